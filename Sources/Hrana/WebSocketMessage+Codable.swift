import Foundation

// The JSON forms of the WebSocket messages (Hrana spec "Messages"), used by `JSONDecoder`/`JSONEncoder` and
// mirrored key for key by the hand-written reader and writer.

extension ClientMessage: Codable {
    private enum CodingKeys: String, CodingKey { case type, jwt, requestID = "request_id", request }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        switch type {
        case "hello": self = .hello(jwt: try container.decodeIfPresent(String.self, forKey: .jwt))
        case "request":
            self = .request(
                id: try container.decodeNumber(Int32.self, forKey: .requestID),
                try container.decode(WebSocketRequest.self, forKey: .request))
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .type, in: container, debugDescription: "Unknown client message type \"\(type)\"")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .hello(let jwt):
            try container.encode("hello", forKey: .type)
            try container.encode(jwt, forKey: .jwt)
        case .request(let id, let request):
            try container.encode("request", forKey: .type)
            try container.encode(id, forKey: .requestID)
            try container.encode(request, forKey: .request)
        }
    }
}

extension ServerMessage: Codable {
    private enum CodingKeys: String, CodingKey { case type, error, requestID = "request_id", response }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        switch type {
        case "hello_ok": self = .helloOK
        case "hello_error": self = .helloError(try container.decode(ProtocolError.self, forKey: .error))
        case "response_ok":
            self = .responseOK(
                requestID: try container.decodeNumber(Int32.self, forKey: .requestID),
                try container.decode(WebSocketResponse.self, forKey: .response))
        case "response_error":
            self = .responseError(
                requestID: try container.decodeNumber(Int32.self, forKey: .requestID),
                try container.decode(ProtocolError.self, forKey: .error))
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .type, in: container, debugDescription: "Unknown server message type \"\(type)\"")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .helloOK:
            try container.encode("hello_ok", forKey: .type)
        case .helloError(let error):
            try container.encode("hello_error", forKey: .type)
            try container.encode(error, forKey: .error)
        case .responseOK(let requestID, let response):
            try container.encode("response_ok", forKey: .type)
            try container.encode(requestID, forKey: .requestID)
            try container.encode(response, forKey: .response)
        case .responseError(let requestID, let error):
            try container.encode("response_error", forKey: .type)
            try container.encode(requestID, forKey: .requestID)
            try container.encode(error, forKey: .error)
        }
    }
}

extension WebSocketRequest: Codable {
    private enum CodingKeys: String, CodingKey {
        case type, streamID = "stream_id", cursorID = "cursor_id", maxCount = "max_count", stmt, batch, sql
        case sqlID = "sql_id"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        func streamID() throws -> Int32 { try container.decodeNumber(Int32.self, forKey: .streamID) }
        func cursorID() throws -> Int32 { try container.decodeNumber(Int32.self, forKey: .cursorID) }
        func sqlID() throws -> Int32 { try container.decodeNumber(Int32.self, forKey: .sqlID) }
        switch type {
        case "open_stream": self = .openStream(streamID: try streamID())
        case "close_stream": self = .closeStream(streamID: try streamID())
        case "execute": self = .execute(streamID: try streamID(), try container.decode(Stmt.self, forKey: .stmt))
        case "batch": self = .batch(streamID: try streamID(), try container.decode(Batch.self, forKey: .batch))
        case "open_cursor":
            self = .openCursor(
                streamID: try streamID(), cursorID: try cursorID(), try container.decode(Batch.self, forKey: .batch))
        case "close_cursor": self = .closeCursor(cursorID: try cursorID())
        case "fetch_cursor":
            self = .fetchCursor(
                cursorID: try cursorID(), maxCount: try container.decodeNumber(UInt32.self, forKey: .maxCount))
        case "sequence", "describe":
            let sql = try container.decodeIfPresent(String.self, forKey: .sql)
            let sqlID = try container.decodeNumberIfPresent(Int32.self, forKey: .sqlID)
            self = type == "sequence"
                ? .sequence(streamID: try streamID(), sql: sql, sqlID: sqlID)
                : .describe(streamID: try streamID(), sql: sql, sqlID: sqlID)
        case "store_sql": self = .storeSQL(id: try sqlID(), sql: try container.decode(String.self, forKey: .sql))
        case "close_sql": self = .closeSQL(id: try sqlID())
        case "get_autocommit": self = .getAutocommit(streamID: try streamID())
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .type, in: container, debugDescription: "Unknown request type \"\(type)\"")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(type, forKey: .type)
        switch self {
        case .openStream(let streamID), .closeStream(let streamID), .getAutocommit(let streamID):
            try container.encode(streamID, forKey: .streamID)
        case .execute(let streamID, let stmt):
            try container.encode(streamID, forKey: .streamID)
            try container.encode(stmt, forKey: .stmt)
        case .batch(let streamID, let batch):
            try container.encode(streamID, forKey: .streamID)
            try container.encode(batch, forKey: .batch)
        case .openCursor(let streamID, let cursorID, let batch):
            try container.encode(streamID, forKey: .streamID)
            try container.encode(cursorID, forKey: .cursorID)
            try container.encode(batch, forKey: .batch)
        case .closeCursor(let cursorID):
            try container.encode(cursorID, forKey: .cursorID)
        case .fetchCursor(let cursorID, let maxCount):
            try container.encode(cursorID, forKey: .cursorID)
            try container.encode(maxCount, forKey: .maxCount)
        case .sequence(let streamID, let sql, let sqlID), .describe(let streamID, let sql, let sqlID):
            try container.encode(streamID, forKey: .streamID)
            try container.encodeIfPresent(sql, forKey: .sql)
            try container.encodeIfPresent(sqlID, forKey: .sqlID)
        case .storeSQL(let id, let sql):
            try container.encode(id, forKey: .sqlID)
            try container.encode(sql, forKey: .sql)
        case .closeSQL(let id):
            try container.encode(id, forKey: .sqlID)
        }
    }
}

extension WebSocketResponse: Codable {
    private enum CodingKeys: String, CodingKey { case type, result, entries, done, isAutocommit = "is_autocommit" }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        switch type {
        case "open_stream": self = .openStream
        case "close_stream": self = .closeStream
        case "execute": self = .execute(try container.decode(StmtResult.self, forKey: .result))
        case "batch": self = .batch(try container.decode(BatchResult.self, forKey: .result))
        case "open_cursor": self = .openCursor
        case "close_cursor": self = .closeCursor
        case "fetch_cursor":
            self = .fetchCursor(
                entries: try container.decode([CursorEntry].self, forKey: .entries),
                done: try container.decode(Bool.self, forKey: .done))
        case "sequence": self = .sequence
        case "describe": self = .describe(try container.decode(DescribeResult.self, forKey: .result))
        case "store_sql": self = .storeSQL
        case "close_sql": self = .closeSQL
        case "get_autocommit":
            self = .getAutocommit(isAutocommit: try container.decode(Bool.self, forKey: .isAutocommit))
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .type, in: container, debugDescription: "Unknown response type \"\(type)\"")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(type, forKey: .type)
        switch self {
        case .openStream, .closeStream, .openCursor, .closeCursor, .sequence, .storeSQL, .closeSQL: break
        case .execute(let result): try container.encode(result, forKey: .result)
        case .batch(let result): try container.encode(result, forKey: .result)
        case .describe(let result): try container.encode(result, forKey: .result)
        case .fetchCursor(let entries, let done):
            try container.encode(entries, forKey: .entries)
            try container.encode(done, forKey: .done)
        case .getAutocommit(let isAutocommit): try container.encode(isAutocommit, forKey: .isAutocommit)
        }
    }
}
