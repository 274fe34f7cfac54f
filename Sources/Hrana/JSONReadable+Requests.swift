import Foundation

// Fast readers for the request messages (see JSONReadable.swift).

extension Value: JSONReadable {
    static func read(from reader: inout JSONReader) throws(Bail) -> Value {
        var result: Value?
        var seen = false
        let tag = try reader.readTaggedObject { (reader, type, key) throws(Bail) in
            if key == "value" {
                if type == "integer" {
                    try once(&seen)
                    result = .integer(try reader.readIntegerString())
                } else if type == "float" {
                    try once(&seen)
                    result = .float(try reader.readNull() ? .nan : try reader.readDouble())
                } else if type == "text" {
                    try once(&seen)
                    result = .text(try reader.readString())
                } else {
                    try reader.skipValue()
                }
            } else if key == "base64", type == "blob" {
                try once(&seen)
                result = .blob(try reader.readBase64())
            } else {
                try reader.skipValue()
            }
        }
        if tag == "null" { return .null }
        guard let result else { throw Bail() }
        return result
    }
}

extension NamedArg: JSONReadable {
    static func read(from reader: inout JSONReader) throws(Bail) -> NamedArg {
        var name: String?
        var value: Value?
        try reader.readObject { (reader, key) throws(Bail) in
            if key == "name" {
                guard name == nil else { throw Bail() }
                name = try reader.readString()
            } else if key == "value" {
                guard value == nil else { throw Bail() }
                value = try Value.read(from: &reader)
            } else {
                try reader.skipValue()
            }
        }
        guard let name, let value else { throw Bail() }
        return NamedArg(name: name, value: value)
    }
}

extension Stmt: JSONReadable {
    static func read(from reader: inout JSONReader) throws(Bail) -> Stmt {
        var stmt = Stmt(sql: "")
        stmt.sql = nil
        var seen: UInt8 = 0
        try reader.readObject { (reader, key) throws(Bail) in
            func mark(_ bit: UInt8) throws(Bail) {
                guard seen & bit == 0 else { throw Bail() }
                seen |= bit
            }
            if key == "sql" {
                try mark(1)
                stmt.sql = try reader.readOptionalString()
            } else if key == "sql_id" {
                try mark(2)
                stmt.sqlID = try reader.readNull() ? nil : try reader.readInteger(Int32.self)
            } else if key == "args" {
                try mark(4)
                stmt.args = try reader.readNull() ? nil : try reader.readArray(of: Value.self)
            } else if key == "named_args" {
                try mark(8)
                stmt.namedArgs = try reader.readNull() ? nil : try reader.readArray(of: NamedArg.self)
            } else if key == "want_rows" {
                try mark(16)
                stmt.wantRows = try reader.readNull() ? nil : try reader.readBool()
            } else if key == "replication_index" {
                try mark(32)
                stmt.replicationIndex = try reader.readFlexibleUInt64()
            } else {
                try reader.skipValue()
            }
        }
        return stmt
    }
}

extension BatchCondition: JSONReadable {
    static func read(from reader: inout JSONReader) throws(Bail) -> BatchCondition {
        var result: BatchCondition?
        var seen = false
        let tag = try reader.readTaggedObject { (reader, type, key) throws(Bail) in
            if key == "step", type == "ok" || type == "error" {
                try once(&seen)
                let step = try reader.readInteger(UInt32.self)
                result = type == "ok" ? .ok(step: step) : .error(step: step)
            } else if key == "cond", type == "not" {
                try once(&seen)
                result = .not(try BatchCondition.read(from: &reader))
            } else if key == "conds", type == "and" || type == "or" {
                try once(&seen)
                let conditions = try reader.readArray(of: BatchCondition.self)
                result = type == "and" ? .and(conditions) : .or(conditions)
            } else {
                try reader.skipValue()
            }
        }
        if tag == "is_autocommit" { return .isAutocommit }
        guard let result else { throw Bail() }
        return result
    }
}

extension BatchStep: JSONReadable {
    static func read(from reader: inout JSONReader) throws(Bail) -> BatchStep {
        var condition: BatchCondition?
        var stmt: Stmt?
        var seenCondition = false
        try reader.readObject { (reader, key) throws(Bail) in
            if key == "condition" {
                try once(&seenCondition)
                condition = try reader.readNull() ? nil : try BatchCondition.read(from: &reader)
            } else if key == "stmt" {
                guard stmt == nil else { throw Bail() }
                stmt = try Stmt.read(from: &reader)
            } else {
                try reader.skipValue()
            }
        }
        guard let stmt else { throw Bail() }
        return BatchStep(condition: condition, stmt: stmt)
    }
}

extension Batch: JSONReadable {
    static func read(from reader: inout JSONReader) throws(Bail) -> Batch {
        var steps: [BatchStep]?
        var replicationIndex: UInt64?
        var seenIndex = false
        try reader.readObject { (reader, key) throws(Bail) in
            if key == "steps" {
                guard steps == nil else { throw Bail() }
                steps = try reader.readArray(of: BatchStep.self)
            } else if key == "replication_index" {
                try once(&seenIndex)
                replicationIndex = try reader.readFlexibleUInt64()
            } else {
                try reader.skipValue()
            }
        }
        guard let steps else { throw Bail() }
        var batch = Batch(steps: steps)
        batch.replicationIndex = replicationIndex
        return batch
    }
}

extension StreamRequest: JSONReadable {
    static func read(from reader: inout JSONReader) throws(Bail) -> StreamRequest {
        var stmt: Stmt?
        var batch: Batch?
        var sql: String?
        var sqlID: Int32?
        var seen: UInt8 = 0
        let tag = try reader.readTaggedObject { (reader, _, key) throws(Bail) in
            func mark(_ bit: UInt8) throws(Bail) {
                guard seen & bit == 0 else { throw Bail() }
                seen |= bit
            }
            if key == "stmt" {
                try mark(1)
                stmt = try Stmt.read(from: &reader)
            } else if key == "batch" {
                try mark(2)
                batch = try Batch.read(from: &reader)
            } else if key == "sql" {
                try mark(4)
                sql = try reader.readOptionalString()
            } else if key == "sql_id" {
                try mark(8)
                sqlID = try reader.readNull() ? nil : try reader.readInteger(Int32.self)
            } else {
                try reader.skipValue()
            }
        }
        // Fields of other request kinds were parsed (and validated) but are ignored, as in `init(from:)`.
        if tag == "close" { return .close }
        if tag == "execute", let stmt { return .execute(stmt) }
        if tag == "batch", let batch { return .batch(batch) }
        if tag == "sequence" { return .sequence(sql: sql, sqlID: sqlID) }
        if tag == "describe" { return .describe(sql: sql, sqlID: sqlID) }
        if tag == "store_sql", let sqlID, let sql { return .storeSQL(id: sqlID, sql: sql) }
        if tag == "close_sql", let sqlID { return .closeSQL(id: sqlID) }
        if tag == "get_autocommit" { return .getAutocommit }
        throw Bail()
    }
}

extension PipelineRequest: JSONReadable {
    static func read(from reader: inout JSONReader) throws(Bail) -> PipelineRequest {
        var baton: String?
        var hasBaton = false
        var requests: [StreamRequest]?
        try reader.readObject { (reader, key) throws(Bail) in
            if key == "baton" {
                try once(&hasBaton)
                baton = try reader.readOptionalString()
            } else if key == "requests" {
                guard requests == nil else { throw Bail() }
                requests = try reader.readArray(of: StreamRequest.self)
            } else {
                try reader.skipValue()
            }
        }
        guard let requests else { throw Bail() }
        return PipelineRequest(baton: baton, requests: requests, encodesNullBaton: hasBaton)
    }
}

extension CursorRequest: JSONReadable {
    static func read(from reader: inout JSONReader) throws(Bail) -> CursorRequest {
        var baton: String?
        var seenBaton = false
        var batch: Batch?
        try reader.readObject { (reader, key) throws(Bail) in
            if key == "baton" {
                try once(&seenBaton)
                baton = try reader.readOptionalString()
            } else if key == "batch" {
                guard batch == nil else { throw Bail() }
                batch = try Batch.read(from: &reader)
            } else {
                try reader.skipValue()
            }
        }
        guard let batch else { throw Bail() }
        return CursorRequest(baton: baton, batch: batch)
    }
}
