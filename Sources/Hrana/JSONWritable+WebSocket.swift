import Foundation

// Hand-written JSON for the WebSocket messages; each mirrors the type's `encode(to:)` key for key.

extension ClientMessage: JSONWritable {
    func write(to writer: inout JSONWriter) throws(JSONWriter.NonFinite) {
        writer.beginObject()
        writer.key("type")
        switch self {
        case .hello(let jwt):
            writer.literal("hello")
            writer.key("jwt")
            writer.optionalString(jwt)
        case .request(let id, let request):
            writer.literal("request")
            writer.key("request_id")
            writer.number(id)
            writer.key("request")
            try request.write(to: &writer)
        }
        writer.endObject()
    }
}

extension ServerMessage: JSONWritable {
    func write(to writer: inout JSONWriter) throws(JSONWriter.NonFinite) {
        writer.beginObject()
        writer.key("type")
        switch self {
        case .helloOK:
            writer.literal("hello_ok")
        case .helloError(let error):
            writer.literal("hello_error")
            writer.key("error")
            try error.write(to: &writer)
        case .responseOK(let requestID, let response):
            writer.literal("response_ok")
            writer.key("request_id")
            writer.number(requestID)
            writer.key("response")
            try response.write(to: &writer)
        case .responseError(let requestID, let error):
            writer.literal("response_error")
            writer.key("request_id")
            writer.number(requestID)
            writer.key("error")
            try error.write(to: &writer)
        }
        writer.endObject()
    }
}

extension WebSocketRequest: JSONWritable {
    func write(to writer: inout JSONWriter) throws(JSONWriter.NonFinite) {
        writer.beginObject()
        writer.key("type")
        writer.string(type)
        switch self {
        case .openStream(let streamID), .closeStream(let streamID), .getAutocommit(let streamID):
            writer.key("stream_id")
            writer.number(streamID)
        case .execute(let streamID, let stmt):
            writer.key("stream_id")
            writer.number(streamID)
            writer.key("stmt")
            try stmt.write(to: &writer)
        case .batch(let streamID, let batch):
            writer.key("stream_id")
            writer.number(streamID)
            writer.key("batch")
            try batch.write(to: &writer)
        case .openCursor(let streamID, let cursorID, let batch):
            writer.key("stream_id")
            writer.number(streamID)
            writer.key("cursor_id")
            writer.number(cursorID)
            writer.key("batch")
            try batch.write(to: &writer)
        case .closeCursor(let cursorID):
            writer.key("cursor_id")
            writer.number(cursorID)
        case .fetchCursor(let cursorID, let maxCount):
            writer.key("cursor_id")
            writer.number(cursorID)
            writer.key("max_count")
            writer.number(maxCount)
        case .sequence(let streamID, let sql, let sqlID), .describe(let streamID, let sql, let sqlID):
            writer.key("stream_id")
            writer.number(streamID)
            writer.sqlReference(sql: sql, sqlID: sqlID)
        case .storeSQL(let id, let sql):
            writer.key("sql_id")
            writer.number(id)
            writer.key("sql")
            writer.string(sql)
        case .closeSQL(let id):
            writer.key("sql_id")
            writer.number(id)
        }
        writer.endObject()
    }
}

extension WebSocketResponse: JSONWritable {
    func write(to writer: inout JSONWriter) throws(JSONWriter.NonFinite) {
        writer.beginObject()
        writer.key("type")
        writer.string(type)
        switch self {
        case .openStream, .closeStream, .openCursor, .closeCursor, .sequence, .storeSQL, .closeSQL:
            break
        case .execute(let result):
            writer.key("result")
            try result.write(to: &writer)
        case .batch(let result):
            writer.key("result")
            try result.write(to: &writer)
        case .describe(let result):
            writer.key("result")
            try result.write(to: &writer)
        case .fetchCursor(let entries, let done):
            writer.key("entries")
            try writer.array(entries)
            writer.key("done")
            writer.bool(done)
        case .getAutocommit(let isAutocommit):
            writer.key("is_autocommit")
            writer.bool(isAutocommit)
        }
        writer.endObject()
    }
}
