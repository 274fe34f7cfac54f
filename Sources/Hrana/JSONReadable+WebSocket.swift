import Foundation

// Fast readers for the WebSocket messages (see JSONReadable.swift). Each reads only the keys its `type` uses,
// as `init(from:)` does, and gives up on everything else unusual.

extension ClientMessage: JSONReadable {
    static func read(from reader: inout JSONReader) throws(Bail) -> ClientMessage {
        var jwt: String?
        var requestID: Int32?
        var request: WebSocketRequest?
        var seen: UInt8 = 0
        let tag = try reader.readTaggedObject { (reader, type, key) throws(Bail) in
            if key == "jwt", type == "hello" {
                try once(&seen, bit: 1)
                jwt = try reader.readOptionalString()
            } else if key == "request_id", type == "request" {
                try once(&seen, bit: 2)
                requestID = try reader.readInteger(Int32.self)
            } else if key == "request", type == "request" {
                try once(&seen, bit: 4)
                request = try WebSocketRequest.read(from: &reader)
            } else {
                try reader.skipValue()
            }
        }
        if tag == "hello" { return .hello(jwt: jwt) }
        if tag == "request", let requestID, let request { return .request(id: requestID, request) }
        throw Bail()
    }
}

extension ServerMessage: JSONReadable {
    static func read(from reader: inout JSONReader) throws(Bail) -> ServerMessage {
        var requestID: Int32?
        var response: WebSocketResponse?
        var error: ProtocolError?
        var seen: UInt8 = 0
        let tag = try reader.readTaggedObject { (reader, type, key) throws(Bail) in
            if key == "request_id", type == "response_ok" || type == "response_error" {
                try once(&seen, bit: 1)
                requestID = try reader.readInteger(Int32.self)
            } else if key == "response", type == "response_ok" {
                try once(&seen, bit: 2)
                response = try WebSocketResponse.read(from: &reader)
            } else if key == "error", type == "response_error" || type == "hello_error" {
                try once(&seen, bit: 4)
                error = try ProtocolError.read(from: &reader)
            } else {
                try reader.skipValue()
            }
        }
        if tag == "hello_ok" { return .helloOK }
        if tag == "hello_error", let error { return .helloError(error) }
        if tag == "response_ok", let requestID, let response { return .responseOK(requestID: requestID, response) }
        if tag == "response_error", let requestID, let error { return .responseError(requestID: requestID, error) }
        throw Bail()
    }
}

extension WebSocketRequest: JSONReadable {
    static func read(from reader: inout JSONReader) throws(Bail) -> WebSocketRequest {
        var streamID: Int32?
        var cursorID: Int32?
        var sqlID: Int32?
        var maxCount: UInt32?
        var sql: String?
        var stmt: Stmt?
        var batch: Batch?
        var seen: UInt8 = 0
        let tag = try reader.readTaggedObject { (reader, type, key) throws(Bail) in
            let usesStream = !(type == "close_cursor" || type == "fetch_cursor" || type == "store_sql" || type == "close_sql")
            let usesCursor = type == "open_cursor" || type == "close_cursor" || type == "fetch_cursor"
            let usesSQL = type == "sequence" || type == "describe" || type == "store_sql"
            let usesSQLID = usesSQL || type == "close_sql"
            if key == "stream_id", usesStream {
                try once(&seen, bit: 1)
                streamID = try reader.readInteger(Int32.self)
            } else if key == "cursor_id", usesCursor {
                try once(&seen, bit: 2)
                cursorID = try reader.readInteger(Int32.self)
            } else if key == "sql_id", usesSQLID {
                try once(&seen, bit: 4)
                sqlID = try reader.readNull() ? nil : try reader.readInteger(Int32.self)
            } else if key == "sql", usesSQL {
                try once(&seen, bit: 8)
                sql = try reader.readOptionalString()
            } else if key == "max_count", type == "fetch_cursor" {
                try once(&seen, bit: 16)
                maxCount = try reader.readInteger(UInt32.self)
            } else if key == "stmt", type == "execute" {
                try once(&seen, bit: 32)
                stmt = try Stmt.read(from: &reader)
            } else if key == "batch", type == "batch" || type == "open_cursor" {
                try once(&seen, bit: 64)
                batch = try Batch.read(from: &reader)
            } else {
                try reader.skipValue()
            }
        }
        if tag == "close_cursor", let cursorID { return .closeCursor(cursorID: cursorID) }
        if tag == "fetch_cursor", let cursorID, let maxCount { return .fetchCursor(cursorID: cursorID, maxCount: maxCount) }
        if tag == "store_sql", let sqlID, let sql { return .storeSQL(id: sqlID, sql: sql) }
        if tag == "close_sql", let sqlID { return .closeSQL(id: sqlID) }
        guard let streamID else { throw Bail() }
        if tag == "open_stream" { return .openStream(streamID: streamID) }
        if tag == "close_stream" { return .closeStream(streamID: streamID) }
        if tag == "execute", let stmt { return .execute(streamID: streamID, stmt) }
        if tag == "batch", let batch { return .batch(streamID: streamID, batch) }
        if tag == "open_cursor", let cursorID, let batch { return .openCursor(streamID: streamID, cursorID: cursorID, batch) }
        if tag == "sequence" { return .sequence(streamID: streamID, sql: sql, sqlID: sqlID) }
        if tag == "describe" { return .describe(streamID: streamID, sql: sql, sqlID: sqlID) }
        if tag == "get_autocommit" { return .getAutocommit(streamID: streamID) }
        throw Bail()
    }
}

extension WebSocketResponse: JSONReadable {
    static func read(from reader: inout JSONReader) throws(Bail) -> WebSocketResponse {
        var response: WebSocketResponse?
        var entries: [CursorEntry]?
        var done: Bool?
        var seen: UInt8 = 0
        let tag = try reader.readTaggedObject { (reader, type, key) throws(Bail) in
            if key == "result", type == "execute" {
                try once(&seen, bit: 1)
                response = .execute(try StmtResult.read(from: &reader))
            } else if key == "result", type == "batch" {
                try once(&seen, bit: 1)
                response = .batch(try BatchResult.read(from: &reader))
            } else if key == "result", type == "describe" {
                try once(&seen, bit: 1)
                response = .describe(try DescribeResult.read(from: &reader))
            } else if key == "is_autocommit", type == "get_autocommit" {
                try once(&seen, bit: 1)
                response = .getAutocommit(isAutocommit: try reader.readBool())
            } else if key == "entries", type == "fetch_cursor" {
                try once(&seen, bit: 2)
                entries = try reader.readArray(of: CursorEntry.self)
            } else if key == "done", type == "fetch_cursor" {
                try once(&seen, bit: 4)
                done = try reader.readBool()
            } else {
                try reader.skipValue()
            }
        }
        if tag == "open_stream" { return .openStream }
        if tag == "close_stream" { return .closeStream }
        if tag == "open_cursor" { return .openCursor }
        if tag == "close_cursor" { return .closeCursor }
        if tag == "sequence" { return .sequence }
        if tag == "store_sql" { return .storeSQL }
        if tag == "close_sql" { return .closeSQL }
        if tag == "fetch_cursor", let entries, let done { return .fetchCursor(entries: entries, done: done) }
        guard let response else { throw Bail() }
        return response
    }
}
