import Foundation

// Protobuf forms of the WebSocket messages (`package hrana.ws`): binary frames of `hrana3-protobuf`.

extension ClientMessage: ProtobufMessage {
    public func encode(to writer: inout ProtobufWriter) {
        switch self {
        case .hello(let jwt):
            writer.messageField(1) { if let jwt { $0.stringField(1, jwt) } }
        case .request(let id, let request):
            writer.messageField(2) { message in
                if id != 0 { message.int32Field(1, id) }
                request.encode(to: &message)
            }
        }
    }

    /// A `ClientMsg` with neither `hello` nor `request` is an error (sqld closes such a socket with 1008).
    public static func decode(from reader: inout ProtobufReader) throws(HranaCodingError) -> ClientMessage {
        var message: ClientMessage?
        let start = reader.position
        while let field = try reader.nextField() {
            switch field.number {
            case 1:
                message = .hello(jwt: try reader.message(field, "hello") { (reader) throws(HranaCodingError) in
                    var jwt: String?
                    while let inner = try reader.nextField() {
                        if inner.number == 1 { jwt = try reader.string(inner) } else { try reader.skip(inner) }
                    }
                    return jwt
                })
            case 2:
                message = try reader.message(field, "request") { (reader) throws(HranaCodingError) in
                    var id: Int32 = 0
                    var request: WebSocketRequest?
                    let start = reader.position
                    while let inner = try reader.nextField() {
                        if inner.number == 1 {
                            id = try reader.int32(inner)
                        } else if let decoded = try WebSocketRequest.decodeField(inner, from: &reader) {
                            request = decoded
                        }
                    }
                    guard let request else { throw reader.error("RequestMsg has no request (none of fields 2-13)", at: start) }
                    return .request(id: id, request)
                }
            default: try reader.skip(field)
            }
        }
        guard let message else { throw reader.error("ClientMsg is neither hello (1) nor request (2)", at: start) }
        return message
    }
}

extension ServerMessage: ProtobufMessage {
    public func encode(to writer: inout ProtobufWriter) {
        switch self {
        case .helloOK: writer.emptyMessageField(1)
        case .helloError(let error): writer.messageField(2) { $0.messageField(1, error) }
        case .responseOK(let requestID, let response):
            writer.messageField(3) { message in
                if requestID != 0 { message.int32Field(1, requestID) }
                response.encode(to: &message)
            }
        case .responseError(let requestID, let error):
            writer.messageField(4) { message in
                if requestID != 0 { message.int32Field(1, requestID) }
                message.messageField(2, error)
            }
        }
    }

    public static func decode(from reader: inout ProtobufReader) throws(HranaCodingError) -> ServerMessage {
        var message: ServerMessage?
        let start = reader.position
        while let field = try reader.nextField() {
            switch field.number {
            case 1:
                try reader.emptyMessage(field, "hello_ok")
                message = .helloOK
            case 2:
                message = .helloError(try reader.message(field, "hello_error") { (reader) throws(HranaCodingError) in
                    try ProtobufWrapper.decode(from: &reader, "error", empty: ProtocolError(message: "", code: nil))
                })
            case 3:
                message = try reader.message(field, "response_ok") { (reader) throws(HranaCodingError) in
                    var id: Int32 = 0
                    var response: WebSocketResponse?
                    let start = reader.position
                    while let inner = try reader.nextField() {
                        if inner.number == 1 {
                            id = try reader.int32(inner)
                        } else if let decoded = try WebSocketResponse.decodeField(inner, from: &reader) {
                            response = decoded
                        }
                    }
                    guard let response else {
                        throw reader.error("ResponseOkMsg has no response (none of fields 2-13)", at: start)
                    }
                    return .responseOK(requestID: id, response)
                }
            case 4:
                message = try reader.message(field, "response_error") { (reader) throws(HranaCodingError) in
                    var id: Int32 = 0
                    var error = ProtocolError(message: "", code: nil)
                    while let inner = try reader.nextField() {
                        switch inner.number {
                        case 1: id = try reader.int32(inner)
                        case 2: error = try reader.message(inner, "error")
                        default: try reader.skip(inner)
                        }
                    }
                    return .responseError(requestID: id, error)
                }
            default: try reader.skip(field)
            }
        }
        guard let message else { throw reader.error("ServerMsg has none of fields 1-4", at: start) }
        return message
    }
}

extension WebSocketRequest {
    /// The oneof field number of the request kind in `RequestMsg` (and of its response in `ResponseOkMsg`).
    var fieldNumber: UInt32 {
        switch self {
        case .openStream: 2
        case .closeStream: 3
        case .execute: 4
        case .batch: 5
        case .openCursor: 6
        case .closeCursor: 7
        case .fetchCursor: 8
        case .sequence: 9
        case .describe: 10
        case .storeSQL: 11
        case .closeSQL: 12
        case .getAutocommit: 13
        }
    }

    /// Writes the request's oneof field of `RequestMsg`.
    func encode(to writer: inout ProtobufWriter) {
        writer.messageField(fieldNumber) { request in
            func id(_ field: UInt32, _ value: Int32) { if value != 0 { request.int32Field(field, value) } }
            switch self {
            case .openStream(let streamID), .closeStream(let streamID), .getAutocommit(let streamID):
                id(1, streamID)
            case .execute(let streamID, let stmt):
                id(1, streamID)
                request.messageField(2, stmt)
            case .batch(let streamID, let batch):
                id(1, streamID)
                request.messageField(2, batch)
            case .openCursor(let streamID, let cursorID, let batch):
                id(1, streamID)
                id(2, cursorID)
                request.messageField(3, batch)
            case .closeCursor(let cursorID):
                id(1, cursorID)
            case .fetchCursor(let cursorID, let maxCount):
                id(1, cursorID)
                if maxCount != 0 { request.varintField(2, UInt64(maxCount)) }
            case .sequence(let streamID, let sql, let sqlID), .describe(let streamID, let sql, let sqlID):
                id(1, streamID)
                ProtobufSQLReference.encode(sql: sql, sqlID: sqlID, to: &request, firstField: 2)
            case .storeSQL(let sqlID, let sql):
                id(1, sqlID)
                if !sql.isEmpty { request.stringField(2, sql) }
            case .closeSQL(let sqlID):
                id(1, sqlID)
            }
        }
    }

    /// Reads field `field` of `RequestMsg` when it is a request kind (2-13); skips it and returns `nil` otherwise.
    static func decodeField(
        _ field: ProtobufReader.Field, from reader: inout ProtobufReader
    ) throws(HranaCodingError) -> WebSocketRequest? {
        switch field.number {
        case 2: return .openStream(streamID: try reader.message(field, "open_stream", ProtobufIDs.decodeFirst))
        case 3: return .closeStream(streamID: try reader.message(field, "close_stream", ProtobufIDs.decodeFirst))
        case 4, 5:
            return try reader.message(field, field.number == 4 ? "execute" : "batch") { (reader) throws(HranaCodingError) in
                var streamID: Int32 = 0
                var stmt = Stmt.empty
                var batch = Batch(steps: [])
                while let inner = try reader.nextField() {
                    switch inner.number {
                    case 1: streamID = try reader.int32(inner)
                    case 2 where field.number == 4: stmt = try reader.message(inner, "stmt")
                    case 2: batch = try reader.message(inner, "batch")
                    default: try reader.skip(inner)
                    }
                }
                return field.number == 4 ? .execute(streamID: streamID, stmt) : .batch(streamID: streamID, batch)
            }
        case 6:
            return try reader.message(field, "open_cursor") { (reader) throws(HranaCodingError) in
                var streamID: Int32 = 0
                var cursorID: Int32 = 0
                var batch = Batch(steps: [])
                while let inner = try reader.nextField() {
                    switch inner.number {
                    case 1: streamID = try reader.int32(inner)
                    case 2: cursorID = try reader.int32(inner)
                    case 3: batch = try reader.message(inner, "batch")
                    default: try reader.skip(inner)
                    }
                }
                return .openCursor(streamID: streamID, cursorID: cursorID, batch)
            }
        case 7: return .closeCursor(cursorID: try reader.message(field, "close_cursor", ProtobufIDs.decodeFirst))
        case 8:
            let (cursorID, maxCount) = try reader.message(field, "fetch_cursor", ProtobufIDs.decodePair)
            return .fetchCursor(cursorID: cursorID, maxCount: UInt32(bitPattern: maxCount))
        case 9, 10:
            let reference = try reader.message(field, field.number == 9 ? "sequence" : "describe") {
                (reader) throws(HranaCodingError) in try ProtobufSQLReference.decode(from: &reader, firstField: 2)
            }
            return field.number == 9
                ? .sequence(streamID: reference.streamID, sql: reference.sql, sqlID: reference.sqlID)
                : .describe(streamID: reference.streamID, sql: reference.sql, sqlID: reference.sqlID)
        case 11:
            return try reader.message(field, "store_sql") { (reader) throws(HranaCodingError) in
                var sqlID: Int32 = 0
                var sql = ""
                while let inner = try reader.nextField() {
                    switch inner.number {
                    case 1: sqlID = try reader.int32(inner)
                    case 2: sql = try reader.string(inner)
                    default: try reader.skip(inner)
                    }
                }
                return .storeSQL(id: sqlID, sql: sql)
            }
        case 12: return .closeSQL(id: try reader.message(field, "close_sql", ProtobufIDs.decodeFirst))
        case 13: return .getAutocommit(streamID: try reader.message(field, "get_autocommit", ProtobufIDs.decodeFirst))
        default:
            try reader.skip(field)
            return nil
        }
    }
}

extension WebSocketResponse {
    /// The oneof field number of the response kind in `ResponseOkMsg`, the same as its request's.
    var fieldNumber: UInt32 {
        switch self {
        case .openStream: 2
        case .closeStream: 3
        case .execute: 4
        case .batch: 5
        case .openCursor: 6
        case .closeCursor: 7
        case .fetchCursor: 8
        case .sequence: 9
        case .describe: 10
        case .storeSQL: 11
        case .closeSQL: 12
        case .getAutocommit: 13
        }
    }

    /// Writes the response's oneof field of `ResponseOkMsg`.
    func encode(to writer: inout ProtobufWriter) {
        switch self {
        case .openStream, .closeStream, .openCursor, .closeCursor, .sequence, .storeSQL, .closeSQL:
            writer.emptyMessageField(fieldNumber)
        case .execute(let result): writer.messageField(4) { $0.messageField(1, result) }
        case .batch(let result): writer.messageField(5) { $0.messageField(1, result) }
        case .fetchCursor(let entries, let done):
            writer.messageField(8) { response in
                for entry in entries { response.messageField(1, entry) }
                if done { response.boolField(2, true) }
            }
        case .describe(let result): writer.messageField(10) { $0.messageField(1, result) }
        case .getAutocommit(let isAutocommit): writer.messageField(13) { if isAutocommit { $0.boolField(1, true) } }
        }
    }

    private static let emptyResponses: [UInt32: WebSocketResponse] = [
        2: .openStream, 3: .closeStream, 6: .openCursor, 7: .closeCursor, 9: .sequence, 11: .storeSQL, 12: .closeSQL,
    ]

    /// Reads field `field` of `ResponseOkMsg` when it is a response kind (2-13); skips it and returns `nil`
    /// otherwise.
    static func decodeField(
        _ field: ProtobufReader.Field, from reader: inout ProtobufReader
    ) throws(HranaCodingError) -> WebSocketResponse? {
        if let empty = emptyResponses[field.number] {
            try reader.emptyMessage(field, webSocketKindNames[Int(field.number)])
            return empty
        }
        switch field.number {
        case 4:
            return .execute(try reader.message(field, "execute") { (reader) throws(HranaCodingError) in
                try ProtobufWrapper.decode(from: &reader, "result", empty: StmtResult())
            })
        case 5:
            return .batch(try reader.message(field, "batch") { (reader) throws(HranaCodingError) in
                try ProtobufWrapper.decode(from: &reader, "result", empty: BatchResult(stepResults: [], stepErrors: []))
            })
        case 8:
            return try reader.message(field, "fetch_cursor") { (reader) throws(HranaCodingError) in
                var entries: [CursorEntry] = []
                var done = false
                while let inner = try reader.nextField() {
                    switch inner.number {
                    case 1: entries.append(try reader.message(inner, "entries", index: entries.count))
                    case 2: done = try reader.bool(inner)
                    default: try reader.skip(inner)
                    }
                }
                return .fetchCursor(entries: entries, done: done)
            }
        case 10:
            return .describe(try reader.message(field, "describe") { (reader) throws(HranaCodingError) in
                try ProtobufWrapper.decode(from: &reader, "result", empty: DescribeResult.empty)
            })
        case 13:
            return .getAutocommit(isAutocommit: try reader.message(field, "get_autocommit", ProtobufIDs.decodeBool))
        default:
            try reader.skip(field)
            return nil
        }
    }
}
