import Foundation

// Protobuf forms of the shared structures (`package hrana`, spec appendix; sqld's extension fields included).

extension Value: ProtobufMessage {
    public func encode(to writer: inout ProtobufWriter) {
        switch self {
        case .null: writer.emptyMessageField(1)
        case .integer(let integer): writer.sint64Field(2, integer)
        case .float(let double): writer.doubleField(3, double)
        case .text(let text): writer.stringField(4, text)
        case .blob(let data): writer.bytesField(5, data)
        }
    }

    public static func decode(from reader: inout ProtobufReader) throws(HranaCodingError) -> Value {
        var value: Value?
        let start = reader.position
        while let field = try reader.nextField() {
            switch field.number {
            case 1:
                try reader.emptyMessage(field, "null")
                value = .null
            case 2: value = .integer(try reader.sint64(field))
            case 3: value = .float(try reader.double(field))
            case 4: value = .text(try reader.string(field))
            case 5: value = .blob(try reader.bytes(field))
            default: try reader.skip(field)
            }
        }
        guard let value else { throw reader.error("Value has no value (none of fields 1-5)", at: start) }
        return value
    }
}

extension NamedArg: ProtobufMessage {
    public func encode(to writer: inout ProtobufWriter) {
        if !name.isEmpty { writer.stringField(1, name) }
        writer.messageField(2, value)
    }

    public static func decode(from reader: inout ProtobufReader) throws(HranaCodingError) -> NamedArg {
        var name = ""
        var value: Value?
        let start = reader.position
        while let field = try reader.nextField() {
            switch field.number {
            case 1: name = try reader.string(field)
            case 2: value = try reader.message(field, "value")
            default: try reader.skip(field)
            }
        }
        guard let value else { throw reader.error("NamedArg has no value (field 2)", at: start) }
        return NamedArg(name: name, value: value)
    }
}

extension Stmt: ProtobufMessage {
    public func encode(to writer: inout ProtobufWriter) {
        if let sql { writer.stringField(1, sql) }
        if let sqlID { writer.int32Field(2, sqlID) }
        for arg in args ?? [] { writer.messageField(3, arg) }
        for namedArg in namedArgs ?? [] { writer.messageField(4, namedArg) }
        if let wantRows { writer.boolField(5, wantRows) } else if writer.explicitWantRows { writer.boolField(5, true) }
        if let replicationIndex { writer.varintField(6, replicationIndex) }
    }

    public static func decode(from reader: inout ProtobufReader) throws(HranaCodingError) -> Stmt {
        var stmt = Stmt(sql: "")
        stmt.sql = nil
        var args: [Value] = []
        var namedArgs: [NamedArg] = []
        while let field = try reader.nextField() {
            switch field.number {
            case 1: stmt.sql = try reader.string(field)
            case 2: stmt.sqlID = try reader.int32(field)
            case 3: args.append(try reader.message(field, "args", index: args.count))
            case 4: namedArgs.append(try reader.message(field, "named_args", index: namedArgs.count))
            case 5: stmt.wantRows = try reader.bool(field)
            case 6: stmt.replicationIndex = try reader.uint64(field)
            default: try reader.skip(field)
            }
        }
        stmt.args = args.isEmpty ? nil : args
        stmt.namedArgs = namedArgs.isEmpty ? nil : namedArgs
        return stmt
    }
}

extension Column: ProtobufMessage {
    public func encode(to writer: inout ProtobufWriter) {
        if let name { writer.stringField(1, name) }
        if let decltype { writer.stringField(2, decltype) }
    }

    public static func decode(from reader: inout ProtobufReader) throws(HranaCodingError) -> Column {
        var column = Column(name: nil, decltype: nil)
        while let field = try reader.nextField() {
            switch field.number {
            case 1: column.name = try reader.string(field)
            case 2: column.decltype = try reader.string(field)
            default: try reader.skip(field)
            }
        }
        return column
    }
}

/// `hrana.Row`: `repeated Value values = 1`.
enum ProtobufRow {
    static func encode(_ row: [Value], to writer: inout ProtobufWriter) {
        for value in row { writer.messageField(1, value) }
    }

    static func decode(from reader: inout ProtobufReader) throws(HranaCodingError) -> [Value] {
        var values: [Value] = []
        while let field = try reader.nextField() {
            if field.number == 1 {
                values.append(try reader.message(field, "values", index: values.count))
            } else {
                try reader.skip(field)
            }
        }
        return values
    }
}

extension ProtocolError: ProtobufMessage {
    public func encode(to writer: inout ProtobufWriter) {
        if !message.isEmpty { writer.stringField(1, message) }
        if let code { writer.stringField(2, code) }
    }

    public static func decode(from reader: inout ProtobufReader) throws(HranaCodingError) -> ProtocolError {
        var error = ProtocolError(message: "", code: nil)
        while let field = try reader.nextField() {
            switch field.number {
            case 1: error.message = try reader.string(field)
            case 2: error.code = try reader.string(field)
            default: try reader.skip(field)
            }
        }
        return error
    }
}

extension StmtResult: ProtobufMessage {
    public func encode(to writer: inout ProtobufWriter) {
        for col in cols { writer.messageField(1, col) }
        for row in rows { writer.messageField(2) { ProtobufRow.encode(row, to: &$0) } }
        if affectedRowCount != 0 { writer.varintField(3, affectedRowCount) }
        if let lastInsertRowID { writer.sint64Field(4, lastInsertRowID) }
        if let replicationIndex { writer.varintField(5, replicationIndex) }
        if let rowsRead { writer.varintField(6, rowsRead) }
        if let rowsWritten { writer.varintField(7, rowsWritten) }
        if let queryDurationMS { writer.doubleField(8, queryDurationMS) }
    }

    public static func decode(from reader: inout ProtobufReader) throws(HranaCodingError) -> StmtResult {
        var result = StmtResult()
        while let field = try reader.nextField() {
            switch field.number {
            case 1: result.cols.append(try reader.message(field, "cols", index: result.cols.count))
            case 2:
                result.rows.append(try reader.message(field, "rows", index: result.rows.count, ProtobufRow.decode))
            case 3: result.affectedRowCount = try reader.uint64(field)
            case 4: result.lastInsertRowID = try reader.sint64(field)
            case 5: result.replicationIndex = try reader.uint64(field)
            case 6: result.rowsRead = try reader.uint64(field)
            case 7: result.rowsWritten = try reader.uint64(field)
            case 8: result.queryDurationMS = try reader.double(field)
            default: try reader.skip(field)
            }
        }
        return result
    }
}

extension BatchCondition: ProtobufMessage {
    public func encode(to writer: inout ProtobufWriter) {
        switch self {
        case .ok(let step): writer.varintField(1, UInt64(step))
        case .error(let step): writer.varintField(2, UInt64(step))
        case .not(let condition): writer.messageField(3, condition)
        case .and(let conditions): writer.messageField(4) { Self.encodeList(conditions, to: &$0) }
        case .or(let conditions): writer.messageField(5) { Self.encodeList(conditions, to: &$0) }
        case .isAutocommit: writer.emptyMessageField(6)
        }
    }

    private static func encodeList(_ conditions: [BatchCondition], to writer: inout ProtobufWriter) {
        for condition in conditions { writer.messageField(1, condition) }
    }

    private static func decodeList(from reader: inout ProtobufReader) throws(HranaCodingError) -> [BatchCondition] {
        var conditions: [BatchCondition] = []
        while let field = try reader.nextField() {
            if field.number == 1 {
                conditions.append(try reader.message(field, "conds", index: conditions.count))
            } else {
                try reader.skip(field)
            }
        }
        return conditions
    }

    public static func decode(from reader: inout ProtobufReader) throws(HranaCodingError) -> BatchCondition {
        var condition: BatchCondition?
        let start = reader.position
        while let field = try reader.nextField() {
            switch field.number {
            case 1: condition = .ok(step: try reader.uint32(field))
            case 2: condition = .error(step: try reader.uint32(field))
            case 3: condition = .not(try reader.message(field, "not"))
            case 4: condition = .and(try reader.message(field, "and", decodeList))
            case 5: condition = .or(try reader.message(field, "or", decodeList))
            case 6:
                try reader.emptyMessage(field, "is_autocommit")
                condition = .isAutocommit
            default: try reader.skip(field)
            }
        }
        guard let condition else { throw reader.error("BatchCond has no condition (none of fields 1-6)", at: start) }
        return condition
    }
}

extension BatchStep: ProtobufMessage {
    public func encode(to writer: inout ProtobufWriter) {
        if let condition { writer.messageField(1, condition) }
        writer.messageField(2, stmt)
    }

    public static func decode(from reader: inout ProtobufReader) throws(HranaCodingError) -> BatchStep {
        var step = BatchStep(stmt: Stmt(sql: ""))
        step.stmt.sql = nil
        while let field = try reader.nextField() {
            switch field.number {
            case 1: step.condition = try reader.message(field, "condition")
            case 2: step.stmt = try reader.message(field, "stmt")
            default: try reader.skip(field)
            }
        }
        return step
    }
}

extension Batch: ProtobufMessage {
    public func encode(to writer: inout ProtobufWriter) {
        for step in steps { writer.messageField(1, step) }
        if let replicationIndex { writer.varintField(2, replicationIndex) }
    }

    public static func decode(from reader: inout ProtobufReader) throws(HranaCodingError) -> Batch {
        var batch = Batch(steps: [])
        while let field = try reader.nextField() {
            switch field.number {
            case 1: batch.steps.append(try reader.message(field, "steps", index: batch.steps.count))
            case 2: batch.replicationIndex = try reader.uint64(field)
            default: try reader.skip(field)
            }
        }
        return batch
    }
}

extension BatchResult: ProtobufMessage {
    /// The same result with `nil` steps appended up to `stepCount`: protobuf sends only non-null steps, so a
    /// decoded result is as long as its last non-null step and the batch's own step count says the rest.
    public func padded(toStepCount stepCount: Int) -> BatchResult {
        var result = self
        if result.stepResults.count < stepCount {
            result.stepResults += Array(repeating: nil, count: stepCount - result.stepResults.count)
        }
        if result.stepErrors.count < stepCount {
            result.stepErrors += Array(repeating: nil, count: stepCount - result.stepErrors.count)
        }
        return result
    }

    public func encode(to writer: inout ProtobufWriter) {
        for (step, result) in stepResults.enumerated() {
            guard let result else { continue }
            writer.messageField(1) { entry in
                entry.varintField(1, UInt64(step))
                entry.messageField(2, result)
            }
        }
        for (step, error) in stepErrors.enumerated() {
            guard let error else { continue }
            writer.messageField(2) { entry in
                entry.varintField(1, UInt64(step))
                entry.messageField(2, error)
            }
        }
    }

    public static func decode(from reader: inout ProtobufReader) throws(HranaCodingError) -> BatchResult {
        var results: [(UInt32, StmtResult)] = []
        var errors: [(UInt32, ProtocolError)] = []
        var count = 0
        while let field = try reader.nextField() {
            switch field.number {
            case 1:
                let entry = try reader.message(field, "step_results", index: results.count) {
                    (reader) throws(HranaCodingError) in try mapEntry(from: &reader, StmtResult())
                }
                results.append(entry)
                count = max(count, Int(entry.0) + 1)
            case 2:
                let entry = try reader.message(field, "step_errors", index: errors.count) {
                    (reader) throws(HranaCodingError) in try mapEntry(from: &reader, ProtocolError(message: "", code: nil))
                }
                errors.append(entry)
                count = max(count, Int(entry.0) + 1)
            default: try reader.skip(field)
            }
        }
        var result = BatchResult(
            stepResults: Array(repeating: nil, count: count), stepErrors: Array(repeating: nil, count: count))
        for (step, stepResult) in results { result.stepResults[Int(step)] = stepResult }
        for (step, error) in errors { result.stepErrors[Int(step)] = error }
        return result
    }

    /// A `map<uint32, M>` entry: key 1, value 2 (an absent value is the empty message, as in protobuf).
    private static func mapEntry<M: ProtobufMessage>(
        from reader: inout ProtobufReader, _ empty: M
    ) throws(HranaCodingError) -> (UInt32, M) {
        var key: UInt32 = 0
        var value = empty
        while let field = try reader.nextField() {
            switch field.number {
            case 1:
                key = try reader.uint32(field)
                guard key <= HranaProtobuf.maxBatchStepIndex else {
                    throw reader.error(
                        "step index \(key) is above the limit of \(HranaProtobuf.maxBatchStepIndex)", at: field.offset)
                }
            case 2: value = try reader.message(field, "value")
            default: try reader.skip(field)
            }
        }
        return (key, value)
    }
}

extension DescribeResult: ProtobufMessage {
    public func encode(to writer: inout ProtobufWriter) {
        for param in params {
            writer.messageField(1) { if let name = param.name { $0.stringField(1, name) } }
        }
        for col in cols { writer.messageField(2, col) }
        if isExplain { writer.boolField(3, true) }
        if isReadonly { writer.boolField(4, true) }
    }

    public static func decode(from reader: inout ProtobufReader) throws(HranaCodingError) -> DescribeResult {
        var result = DescribeResult(params: [], cols: [], isExplain: false, isReadonly: false)
        while let field = try reader.nextField() {
            switch field.number {
            case 1:
                result.params.append(
                    try reader.message(field, "params", index: result.params.count) { (reader) throws(HranaCodingError) in
                        var param = Param(name: nil)
                        while let inner = try reader.nextField() {
                            if inner.number == 1 { param.name = try reader.string(inner) } else { try reader.skip(inner) }
                        }
                        return param
                    })
            case 2: result.cols.append(try reader.message(field, "cols", index: result.cols.count))
            case 3: result.isExplain = try reader.bool(field)
            case 4: result.isReadonly = try reader.bool(field)
            default: try reader.skip(field)
            }
        }
        return result
    }
}

extension CursorEntry: ProtobufMessage {
    public func encode(to writer: inout ProtobufWriter) {
        switch self {
        case .stepBegin(let step, let cols):
            writer.messageField(1) { entry in
                if step != 0 { entry.varintField(1, UInt64(step)) }
                for col in cols { entry.messageField(2, col) }
            }
        case .stepEnd(let affectedRowCount, let lastInsertRowID):
            writer.messageField(2) { entry in
                if affectedRowCount != 0 { entry.varintField(1, affectedRowCount) }
                if let lastInsertRowID { entry.sint64Field(2, lastInsertRowID) }
            }
        case .stepError(let step, let error):
            writer.messageField(3) { entry in
                if step != 0 { entry.varintField(1, UInt64(step)) }
                entry.messageField(2, error)
            }
        case .row(let row): writer.messageField(4) { ProtobufRow.encode(row, to: &$0) }
        case .error(let error): writer.messageField(5, error)
        case .unknown(let type):
            // sqld's `replication_index` entry keeps its field, so that it decodes as what it was.
            if type == "replication_index" { writer.emptyMessageField(6) }
        }
    }

    /// An entry with none of fields 1-5 (sqld's `replication_index` entry, field 6, or its empty form) reads
    /// as ``CursorEntry/unknown(type:)``.
    public static func decode(from reader: inout ProtobufReader) throws(HranaCodingError) -> CursorEntry {
        var entry = CursorEntry.unknown(type: "")
        while let field = try reader.nextField() {
            switch field.number {
            case 1: entry = try reader.message(field, "step_begin", decodeStepBegin)
            case 2: entry = try reader.message(field, "step_end", decodeStepEnd)
            case 3: entry = try reader.message(field, "step_error", decodeStepError)
            case 4: entry = .row(try reader.message(field, "row", ProtobufRow.decode))
            case 5: entry = .error(try reader.message(field, "error"))
            case 6:
                try reader.skip(field)
                entry = .unknown(type: "replication_index")
            default: try reader.skip(field)
            }
        }
        return entry
    }

    private static func decodeStepBegin(from reader: inout ProtobufReader) throws(HranaCodingError) -> CursorEntry {
        var step: UInt32 = 0
        var cols: [Column] = []
        while let field = try reader.nextField() {
            switch field.number {
            case 1: step = try reader.uint32(field)
            case 2: cols.append(try reader.message(field, "cols", index: cols.count))
            default: try reader.skip(field)
            }
        }
        return .stepBegin(step: step, cols: cols)
    }

    private static func decodeStepEnd(from reader: inout ProtobufReader) throws(HranaCodingError) -> CursorEntry {
        var affectedRowCount: UInt64 = 0
        var lastInsertRowID: Int64?
        while let field = try reader.nextField() {
            switch field.number {
            case 1: affectedRowCount = try reader.uint64(field)
            case 2: lastInsertRowID = try reader.sint64(field)
            default: try reader.skip(field)
            }
        }
        return .stepEnd(affectedRowCount: affectedRowCount, lastInsertRowID: lastInsertRowID)
    }

    private static func decodeStepError(from reader: inout ProtobufReader) throws(HranaCodingError) -> CursorEntry {
        var step: UInt32 = 0
        var error = ProtocolError(message: "", code: nil)
        while let field = try reader.nextField() {
            switch field.number {
            case 1: step = try reader.uint32(field)
            case 2: error = try reader.message(field, "error")
            default: try reader.skip(field)
            }
        }
        return .stepError(step: step, error: error)
    }
}
