import Foundation

// Hand-written JSON for the response messages; each mirrors the type's `encode(to:)` key for key.

extension Column: JSONWritable {
    func write(to writer: inout JSONWriter) throws(JSONWriter.NonFinite) {
        writer.beginObject()
        writer.key("name")
        writer.optionalString(name)
        writer.key("decltype")
        writer.optionalString(decltype)
        writer.endObject()
    }
}

extension StmtResult: JSONWritable {
    func write(to writer: inout JSONWriter) throws(JSONWriter.NonFinite) {
        writer.beginObject()
        writer.key("cols")
        try writer.array(cols)
        writer.key("rows")
        try writer.array(rows) { (writer, row) throws(JSONWriter.NonFinite) in try writer.array(row) }
        writer.key("affected_row_count")
        writer.number(affectedRowCount)
        writer.key("last_insert_rowid")
        if let lastInsertRowID { writer.integerString(lastInsertRowID) } else { writer.null() }
        if let rowsRead {
            writer.key("rows_read")
            writer.number(rowsRead)
        }
        if let rowsWritten {
            writer.key("rows_written")
            writer.number(rowsWritten)
        }
        if let queryDurationMS {
            writer.key("query_duration_ms")
            try writer.number(queryDurationMS)
        }
        if let replicationIndex {
            writer.key("replication_index")
            writer.integerString(replicationIndex)
        }
        writer.endObject()
    }
}

extension ProtocolError: JSONWritable {
    func write(to writer: inout JSONWriter) throws(JSONWriter.NonFinite) {
        writer.beginObject()
        writer.key("message")
        writer.string(message)
        if let code {
            writer.key("code")
            writer.string(code)
        }
        writer.endObject()
    }
}

extension BatchResult: JSONWritable {
    func write(to writer: inout JSONWriter) throws(JSONWriter.NonFinite) {
        writer.beginObject()
        writer.key("step_results")
        try writer.array(stepResults) { (writer, result) throws(JSONWriter.NonFinite) in
            if let result { try result.write(to: &writer) } else { writer.null() }
        }
        writer.key("step_errors")
        try writer.array(stepErrors) { (writer, error) throws(JSONWriter.NonFinite) in
            if let error { try error.write(to: &writer) } else { writer.null() }
        }
        if let replicationIndex {
            writer.key("replication_index")
            writer.integerString(replicationIndex)
        }
        writer.endObject()
    }
}

extension DescribeResult: JSONWritable {
    func write(to writer: inout JSONWriter) throws(JSONWriter.NonFinite) {
        writer.beginObject()
        writer.key("params")
        try writer.array(params) { (writer, param) throws(JSONWriter.NonFinite) in
            writer.beginObject()
            writer.key("name")
            writer.optionalString(param.name)
            writer.endObject()
        }
        writer.key("cols")
        try writer.array(cols)
        writer.key("is_explain")
        writer.bool(isExplain)
        writer.key("is_readonly")
        writer.bool(isReadonly)
        writer.endObject()
    }
}

extension StreamResponse: JSONWritable {
    func write(to writer: inout JSONWriter) throws(JSONWriter.NonFinite) {
        writer.beginObject()
        writer.key("type")
        writer.string(type)
        switch self {
        case .close, .sequence, .storeSQL, .closeSQL:
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
        case .getAutocommit(let isAutocommit):
            writer.key("is_autocommit")
            writer.bool(isAutocommit)
        }
        writer.endObject()
    }
}

extension StreamResult: JSONWritable {
    func write(to writer: inout JSONWriter) throws(JSONWriter.NonFinite) {
        writer.beginObject()
        writer.key("type")
        switch self {
        case .ok(let response):
            writer.literal("ok")
            writer.key("response")
            try response.write(to: &writer)
        case .error(let error):
            writer.literal("error")
            writer.key("error")
            try error.write(to: &writer)
        }
        writer.endObject()
    }
}

extension PipelineResponse: JSONWritable {
    func write(to writer: inout JSONWriter) throws(JSONWriter.NonFinite) {
        writer.beginObject()
        writer.key("baton")
        writer.optionalString(baton)
        writer.key("base_url")
        writer.optionalString(baseURL)
        writer.key("results")
        try writer.array(results)
        writer.endObject()
    }
}

extension CursorResponse: JSONWritable {
    func write(to writer: inout JSONWriter) throws(JSONWriter.NonFinite) {
        writer.beginObject()
        writer.key("baton")
        writer.optionalString(baton)
        writer.key("base_url")
        writer.optionalString(baseURL)
        writer.endObject()
    }
}

extension CursorEntry: JSONWritable {
    func write(to writer: inout JSONWriter) throws(JSONWriter.NonFinite) {
        writer.beginObject()
        writer.key("type")
        writer.string(kindName)
        switch self {
        case .stepBegin(let step, let cols):
            writer.key("step")
            writer.number(step)
            writer.key("cols")
            try writer.array(cols)
        case .row(let row):
            writer.key("row")
            try writer.array(row)
        case .stepEnd(let affectedRowCount, let lastInsertRowID):
            writer.key("affected_row_count")
            writer.number(affectedRowCount)
            writer.key("last_insert_rowid")
            if let lastInsertRowID { writer.integerString(lastInsertRowID) } else { writer.null() }
        case .stepError(let step, let error):
            writer.key("step")
            writer.number(step)
            writer.key("error")
            try error.write(to: &writer)
        case .error(let error):
            writer.key("error")
            try error.write(to: &writer)
        case .unknown:
            break
        }
        writer.endObject()
    }
}
