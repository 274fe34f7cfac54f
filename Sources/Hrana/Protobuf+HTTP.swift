import Foundation

// Protobuf forms of the HTTP bodies (`package hrana.http`): `/v3-protobuf/pipeline` and `/v3-protobuf/cursor`.

extension PipelineRequest: ProtobufMessage {
    public func encode(to writer: inout ProtobufWriter) {
        if let baton { writer.stringField(1, baton) }
        for request in requests { writer.messageField(2, request) }
    }

    public static func decode(from reader: inout ProtobufReader) throws(HranaCodingError) -> PipelineRequest {
        var body = PipelineRequest(baton: nil, requests: [])
        while let field = try reader.nextField() {
            switch field.number {
            case 1: body.baton = try reader.string(field)
            case 2: body.requests.append(try reader.message(field, "requests", index: body.requests.count))
            default: try reader.skip(field)
            }
        }
        return body
    }
}

extension PipelineResponse: ProtobufMessage {
    public func encode(to writer: inout ProtobufWriter) {
        if let baton { writer.stringField(1, baton) }
        if let baseURL { writer.stringField(2, baseURL) }
        for result in results { writer.messageField(3, result) }
    }

    public static func decode(from reader: inout ProtobufReader) throws(HranaCodingError) -> PipelineResponse {
        var body = PipelineResponse(baton: nil, baseURL: nil, results: [])
        while let field = try reader.nextField() {
            switch field.number {
            case 1: body.baton = try reader.string(field)
            case 2: body.baseURL = try reader.string(field)
            case 3: body.results.append(try reader.message(field, "results", index: body.results.count))
            default: try reader.skip(field)
            }
        }
        return body
    }
}

extension StreamResult: ProtobufMessage {
    public func encode(to writer: inout ProtobufWriter) {
        switch self {
        case .ok(let response): writer.messageField(1, response)
        case .error(let error): writer.messageField(2, error)
        }
    }

    public static func decode(from reader: inout ProtobufReader) throws(HranaCodingError) -> StreamResult {
        var result: StreamResult?
        let start = reader.position
        while let field = try reader.nextField() {
            switch field.number {
            case 1: result = .ok(try reader.message(field, "ok"))
            case 2: result = .error(try reader.message(field, "error"))
            default: try reader.skip(field)
            }
        }
        guard let result else { throw reader.error("StreamResult is neither ok (1) nor error (2)", at: start) }
        return result
    }
}

extension CursorRequest: ProtobufMessage {
    public func encode(to writer: inout ProtobufWriter) {
        if let baton { writer.stringField(1, baton) }
        writer.messageField(2, batch)
    }

    public static func decode(from reader: inout ProtobufReader) throws(HranaCodingError) -> CursorRequest {
        var body = CursorRequest(baton: nil, batch: Batch(steps: []))
        while let field = try reader.nextField() {
            switch field.number {
            case 1: body.baton = try reader.string(field)
            case 2: body.batch = try reader.message(field, "batch")
            default: try reader.skip(field)
            }
        }
        return body
    }
}

extension CursorResponse: ProtobufMessage {
    public func encode(to writer: inout ProtobufWriter) {
        if let baton { writer.stringField(1, baton) }
        if let baseURL { writer.stringField(2, baseURL) }
    }

    public static func decode(from reader: inout ProtobufReader) throws(HranaCodingError) -> CursorResponse {
        var body = CursorResponse(baton: nil, baseURL: nil)
        while let field = try reader.nextField() {
            switch field.number {
            case 1: body.baton = try reader.string(field)
            case 2: body.baseURL = try reader.string(field)
            default: try reader.skip(field)
            }
        }
        return body
    }
}

/// The `sql` / `sql_id` pair of `sequence` and `describe` requests, and a stream id where the request has one.
struct ProtobufSQLReference {
    var streamID: Int32 = 0
    var sql: String?
    var sqlID: Int32?

    /// `firstField` is the number of `sql`: 1 over HTTP, 2 over WebSocket (where field 1 is the stream id).
    static func decode(from reader: inout ProtobufReader, firstField: UInt32) throws(HranaCodingError) -> Self {
        var reference = ProtobufSQLReference()
        while let field = try reader.nextField() {
            switch field.number {
            case firstField - 1 where firstField > 1: reference.streamID = try reader.int32(field)
            case firstField: reference.sql = try reader.string(field)
            case firstField + 1: reference.sqlID = try reader.int32(field)
            default: try reader.skip(field)
            }
        }
        return reference
    }

    static func encode(sql: String?, sqlID: Int32?, to writer: inout ProtobufWriter, firstField: UInt32) {
        if let sql { writer.stringField(firstField, sql) }
        if let sqlID { writer.int32Field(firstField + 1, sqlID) }
    }
}

/// A message of one field (`ExecuteStreamReq {stmt = 1}`, `ExecuteStreamResp {result = 1}`...).
enum ProtobufWrapper {
    static func decode<M: ProtobufMessage>(
        from reader: inout ProtobufReader, _ name: String, empty: M
    ) throws(HranaCodingError) -> M {
        var value = empty
        while let field = try reader.nextField() {
            if field.number == 1 { value = try reader.message(field, name) } else { try reader.skip(field) }
        }
        return value
    }

    /// Reads a message of fields unknown to this library, as empty requests and responses are.
    static func skipAll(from reader: inout ProtobufReader) throws(HranaCodingError) {
        while let field = try reader.nextField() { try reader.skip(field) }
    }
}

extension StreamRequest: ProtobufMessage {
    public func encode(to writer: inout ProtobufWriter) {
        switch self {
        case .close: writer.emptyMessageField(1)
        case .execute(let stmt): writer.messageField(2) { $0.messageField(1, stmt) }
        case .batch(let batch): writer.messageField(3) { $0.messageField(1, batch) }
        case .sequence(let sql, let sqlID):
            writer.messageField(4) { ProtobufSQLReference.encode(sql: sql, sqlID: sqlID, to: &$0, firstField: 1) }
        case .describe(let sql, let sqlID):
            writer.messageField(5) { ProtobufSQLReference.encode(sql: sql, sqlID: sqlID, to: &$0, firstField: 1) }
        case .storeSQL(let id, let sql):
            writer.messageField(6) { request in
                if id != 0 { request.int32Field(1, id) }
                if !sql.isEmpty { request.stringField(2, sql) }
            }
        case .closeSQL(let id): writer.messageField(7) { if id != 0 { $0.int32Field(1, id) } }
        case .getAutocommit: writer.emptyMessageField(8)
        }
    }

    public static func decode(from reader: inout ProtobufReader) throws(HranaCodingError) -> StreamRequest {
        var request: StreamRequest?
        let start = reader.position
        while let field = try reader.nextField() {
            switch field.number {
            case 1:
                try reader.emptyMessage(field, "close")
                request = .close
            case 2:
                request = .execute(try reader.message(field, "execute") { (reader) throws(HranaCodingError) in
                    try ProtobufWrapper.decode(from: &reader, "stmt", empty: Stmt.empty)
                })
            case 3:
                request = .batch(try reader.message(field, "batch") { (reader) throws(HranaCodingError) in
                    try ProtobufWrapper.decode(from: &reader, "batch", empty: Batch(steps: []))
                })
            case 4, 5:
                let reference = try reader.message(field, field.number == 4 ? "sequence" : "describe") {
                    (reader) throws(HranaCodingError) in try ProtobufSQLReference.decode(from: &reader, firstField: 1)
                }
                request = field.number == 4
                    ? .sequence(sql: reference.sql, sqlID: reference.sqlID)
                    : .describe(sql: reference.sql, sqlID: reference.sqlID)
            case 6:
                request = try reader.message(field, "store_sql") { (reader) throws(HranaCodingError) in
                    var id: Int32 = 0
                    var sql = ""
                    while let inner = try reader.nextField() {
                        switch inner.number {
                        case 1: id = try reader.int32(inner)
                        case 2: sql = try reader.string(inner)
                        default: try reader.skip(inner)
                        }
                    }
                    return .storeSQL(id: id, sql: sql)
                }
            case 7:
                request = .closeSQL(id: try reader.message(field, "close_sql", ProtobufIDs.decodeFirst))
            case 8:
                try reader.emptyMessage(field, "get_autocommit")
                request = .getAutocommit
            default: try reader.skip(field)
            }
        }
        guard let request else { throw reader.error("StreamRequest has no request (none of fields 1-8)", at: start) }
        return request
    }
}

extension StreamResponse: ProtobufMessage {
    public func encode(to writer: inout ProtobufWriter) {
        switch self {
        case .close: writer.emptyMessageField(1)
        case .execute(let result): writer.messageField(2) { $0.messageField(1, result) }
        case .batch(let result): writer.messageField(3) { $0.messageField(1, result) }
        case .sequence: writer.emptyMessageField(4)
        case .describe(let result): writer.messageField(5) { $0.messageField(1, result) }
        case .storeSQL: writer.emptyMessageField(6)
        case .closeSQL: writer.emptyMessageField(7)
        case .getAutocommit(let isAutocommit):
            writer.messageField(8) { if isAutocommit { $0.boolField(1, true) } }
        }
    }

    /// The responses that carry no data, by field number.
    private static let emptyResponses: [UInt32: StreamResponse] = [1: .close, 4: .sequence, 6: .storeSQL, 7: .closeSQL]

    public static func decode(from reader: inout ProtobufReader) throws(HranaCodingError) -> StreamResponse {
        var response: StreamResponse?
        let start = reader.position
        while let field = try reader.nextField() {
            switch field.number {
            case 1, 4, 6, 7:
                let empty = emptyResponses[field.number]!
                try reader.emptyMessage(field, empty.type)
                response = empty
            case 2:
                response = .execute(try reader.message(field, "execute") { (reader) throws(HranaCodingError) in
                    try ProtobufWrapper.decode(from: &reader, "result", empty: StmtResult())
                })
            case 3:
                response = .batch(try reader.message(field, "batch") { (reader) throws(HranaCodingError) in
                    try ProtobufWrapper.decode(from: &reader, "result", empty: BatchResult(stepResults: [], stepErrors: []))
                })
            case 5:
                response = .describe(try reader.message(field, "describe") { (reader) throws(HranaCodingError) in
                    try ProtobufWrapper.decode(from: &reader, "result", empty: DescribeResult.empty)
                })
            case 8:
                response = .getAutocommit(isAutocommit: try reader.message(field, "get_autocommit", ProtobufIDs.decodeBool))
            default: try reader.skip(field)
            }
        }
        guard let response else { throw reader.error("StreamResponse has no response (none of fields 1-8)", at: start) }
        return response
    }
}

/// Messages whose only known fields are scalars: ids (`CloseSqlReq {sql_id = 1}`, `FetchCursorReq`...) and
/// `is_autocommit`.
enum ProtobufIDs {
    /// The `int32` fields 1 and 2 (0 when absent).
    static func decodePair(from reader: inout ProtobufReader) throws(HranaCodingError) -> (Int32, Int32) {
        var first: Int32 = 0
        var second: Int32 = 0
        while let field = try reader.nextField() {
            switch field.number {
            case 1: first = try reader.int32(field)
            case 2: second = try reader.int32(field)
            default: try reader.skip(field)
            }
        }
        return (first, second)
    }

    static func decodeFirst(from reader: inout ProtobufReader) throws(HranaCodingError) -> Int32 {
        try decodePair(from: &reader).0
    }

    static func decodeBool(from reader: inout ProtobufReader) throws(HranaCodingError) -> Bool {
        var value = false
        while let field = try reader.nextField() {
            if field.number == 1 { value = try reader.bool(field) } else { try reader.skip(field) }
        }
        return value
    }
}

extension Stmt {
    /// A statement with neither SQL nor SQL id: what an absent protobuf `Stmt` reads as.
    static var empty: Stmt {
        var stmt = Stmt(sql: "")
        stmt.sql = nil
        return stmt
    }
}

extension DescribeResult {
    static var empty: DescribeResult { DescribeResult(params: [], cols: [], isExplain: false, isReadonly: false) }
}
