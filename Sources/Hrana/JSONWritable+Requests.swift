import Foundation

// Hand-written JSON for the request messages; each mirrors the type's `encode(to:)` key for key.

extension Value: JSONWritable {
    func write(to writer: inout JSONWriter) throws(JSONWriter.NonFinite) {
        writer.beginObject()
        writer.key("type")
        switch self {
        case .null:
            writer.literal("null")
        case .integer(let integer):
            writer.literal("integer")
            writer.key("value")
            writer.integerString(integer)
        case .float(let double):
            writer.literal("float")
            writer.key("value")
            try writer.number(double)
        case .text(let text):
            writer.literal("text")
            writer.key("value")
            writer.string(text)
        case .blob(let data):
            writer.literal("blob")
            writer.key("base64")
            writer.base64(data)
        }
        writer.endObject()
    }
}

extension NamedArg: JSONWritable {
    func write(to writer: inout JSONWriter) throws(JSONWriter.NonFinite) {
        writer.beginObject()
        writer.key("name")
        writer.string(name)
        writer.key("value")
        try value.write(to: &writer)
        writer.endObject()
    }
}

extension Stmt: JSONWritable {
    func write(to writer: inout JSONWriter) throws(JSONWriter.NonFinite) {
        writer.beginObject()
        if let sql {
            writer.key("sql")
            writer.string(sql)
        }
        if let sqlID {
            writer.key("sql_id")
            writer.number(sqlID)
        }
        if let args {
            writer.key("args")
            try writer.array(args)
        }
        if let namedArgs {
            writer.key("named_args")
            try writer.array(namedArgs)
        }
        if let wantRows {
            writer.key("want_rows")
            writer.bool(wantRows)
        }
        if let replicationIndex {
            writer.key("replication_index")
            writer.integerString(replicationIndex)
        }
        writer.endObject()
    }
}

extension BatchCondition: JSONWritable {
    func write(to writer: inout JSONWriter) throws(JSONWriter.NonFinite) {
        writer.beginObject()
        writer.key("type")
        switch self {
        case .ok(let step):
            writer.literal("ok")
            writer.key("step")
            writer.number(step)
        case .error(let step):
            writer.literal("error")
            writer.key("step")
            writer.number(step)
        case .not(let condition):
            writer.literal("not")
            writer.key("cond")
            try condition.write(to: &writer)
        case .and(let conditions):
            writer.literal("and")
            writer.key("conds")
            try writer.array(conditions)
        case .or(let conditions):
            writer.literal("or")
            writer.key("conds")
            try writer.array(conditions)
        case .isAutocommit:
            writer.literal("is_autocommit")
        }
        writer.endObject()
    }
}

extension BatchStep: JSONWritable {
    func write(to writer: inout JSONWriter) throws(JSONWriter.NonFinite) {
        writer.beginObject()
        if let condition {
            writer.key("condition")
            try condition.write(to: &writer)
        }
        writer.key("stmt")
        try stmt.write(to: &writer)
        writer.endObject()
    }
}

extension Batch: JSONWritable {
    func write(to writer: inout JSONWriter) throws(JSONWriter.NonFinite) {
        writer.beginObject()
        writer.key("steps")
        try writer.array(steps)
        if let replicationIndex {
            writer.key("replication_index")
            writer.integerString(replicationIndex)
        }
        writer.endObject()
    }
}

extension StreamRequest: JSONWritable {
    func write(to writer: inout JSONWriter) throws(JSONWriter.NonFinite) {
        writer.beginObject()
        writer.key("type")
        writer.string(type)
        switch self {
        case .close, .getAutocommit:
            break
        case .execute(let stmt):
            writer.key("stmt")
            try stmt.write(to: &writer)
        case .batch(let batch):
            writer.key("batch")
            try batch.write(to: &writer)
        case .sequence(let sql, let sqlID), .describe(let sql, let sqlID):
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

extension PipelineRequest: JSONWritable {
    func write(to writer: inout JSONWriter) throws(JSONWriter.NonFinite) {
        writer.beginObject()
        if baton != nil || encodesNullBaton {
            writer.key("baton")
            writer.optionalString(baton)
        }
        writer.key("requests")
        try writer.array(requests)
        writer.endObject()
    }
}

extension CursorRequest: JSONWritable {
    func write(to writer: inout JSONWriter) throws(JSONWriter.NonFinite) {
        writer.beginObject()
        writer.key("baton")
        writer.optionalString(baton)
        writer.key("batch")
        try batch.write(to: &writer)
        writer.endObject()
    }
}
