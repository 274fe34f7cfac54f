import Hrana
import Logging
import SQLiteCore

/// The state and logic of one stream. `@unchecked Sendable`: only ever used under its ``HranaStream``'s lock.
final class StreamExecution: @unchecked Sendable {
    let connection: SQLiteConnection
    let configuration: EngineConfiguration
    let control: StreamControl
    let logger: Logger
    /// The SQL stored by `store_sql`, by id.
    private(set) var storedSQL: [Int32: String] = [:]
    private(set) var isClosed = false
    /// Whether a statement of the current request failed with `TRANSACTION_TIMEOUT`.
    var observedTimeout = false
    /// Whether the open transaction began with `BEGIN READONLY` (libSQL's read mode): writes are refused.
    var isInReadOnlyTransaction = false
    /// Whether the current statement runs inline (see ``executeInline(_:limit:)``).
    var isRunningInline = false

    init(connection: SQLiteConnection, configuration: EngineConfiguration, control: StreamControl, logger: Logger) {
        self.connection = connection
        self.configuration = configuration
        self.control = control
        self.logger = logger
    }

    var isAutocommit: Bool { isClosed || connection.isAutocommit }

    // MARK: Requests

    func handle(_ request: StreamRequest, version: ProtocolVersion) throws(StreamFailure) -> StreamResult {
        defer { finishRequest() }
        switch request {
        case .close:
            close()
            return .ok(.close)
        case .storeSQL(let id, let sql):
            return try storeSQL(id: id, sql: sql)
        case .closeSQL(let id):
            storedSQL[id] = nil
            return .ok(.closeSQL)
        default:
            break
        }
        guard !isClosed else { throw .closedStream }
        switch request {
        case .execute(let stmt):
            let sql = try resolve(sql: stmt.sql, sqlID: stmt.sqlID)
            var budget = ResponseBudget(limit: configuration.maxResponseSize)
            do {
                return .ok(.execute(try executeCollecting(stmt, sql: sql, budget: &budget)))
            } catch {
                return .error(error.asProtocolError)
            }
        case .batch(let batch):
            return try runBatch(batch, version: version)
        case .sequence(let sql, let sqlID):
            return runSequence(try resolve(sql: sql, sqlID: sqlID))
        case .describe(let sql, let sqlID):
            return describe(try resolve(sql: sql, sqlID: sqlID))
        case .getAutocommit:
            guard version >= .v3 else { throw .notSupported("The `get_autocommit` request", version: version) }
            return .ok(.getAutocommit(isAutocommit: connection.isAutocommit))
        case .close, .storeSQL, .closeSQL:
            preconditionFailure("handled above")
        }
    }

    func runCursor(
        _ batch: Batch, version: ProtocolVersion, emit: (CursorEntry) throws -> Void
    ) throws(StreamFailure) {
        defer { finishRequest() }
        guard !isClosed else { throw .closedStream }
        let sqls = try validate(batch, version: version)
        var outcomes = [StepOutcome](repeating: .skipped, count: batch.steps.count)
        func send(_ entry: CursorEntry) throws(ExecutionStop) {
            do { try emit(entry) } catch { throw .aborted("\(error)") }
        }
        do throws(ExecutionStop) {
            for (index, step) in batch.steps.enumerated() {
                if let condition = step.condition, !evaluate(condition, outcomes) { continue }
                let stepNumber = UInt32(index)
                do {
                    let outcome = try run(
                        step.stmt, sql: sqls[index], wantRows: step.stmt.effectiveWantRows,
                        onBegin: { cols throws(ExecutionStop) in try send(.stepBegin(step: stepNumber, cols: cols)) },
                        onRow: { row throws(ExecutionStop) in try send(.row(row)) })
                    outcomes[index] = .ok
                    try send(.stepEnd(affectedRowCount: outcome.affectedRowCount, lastInsertRowID: outcome.lastInsertRowID))
                } catch .failed(let error) {
                    outcomes[index] = .error
                    try send(.stepError(step: stepNumber, error: error))
                }
            }
        } catch {
            throw StreamFailure(message: "The cursor was aborted: \(error.asProtocolError.message)")
        }
    }

    /// Rolls back and closes the connection. Idempotent.
    func close() {
        guard !isClosed else { return }
        isClosed = true
        storedSQL.removeAll()
        connection.close()
        control.noteWriteLock(held: false, since: .now)
    }

    // MARK: Stored SQL

    private func storeSQL(id: Int32, sql: String) throws(StreamFailure) -> StreamResult {
        guard storedSQL[id] == nil else { throw .sqlIDExists(id) }
        guard storedSQL.count < configuration.maxStoredSQLCount else {
            return .error(EngineError.storeTooMany(configuration.maxStoredSQLCount))
        }
        let size = sql.utf8.count
        guard size <= configuration.maxStoredSQLSize else {
            return .error(EngineError.storeTooLarge(size: size, limit: configuration.maxStoredSQLSize))
        }
        storedSQL[id] = sql
        return .ok(.storeSQL)
    }

    func resolve(sql: String?, sqlID: Int32?) throws(StreamFailure) -> String {
        switch (sql, sqlID) {
        case (let sql?, nil): return sql
        case (nil, let id?):
            guard let stored = storedSQL[id] else { throw .unknownSQLID(id) }
            return stored
        case (.some, .some): throw .sqlAndSQLIDBoth
        case (nil, nil): throw .sqlAndSQLIDNeither
        }
    }

    // MARK: Batches

    enum StepOutcome { case skipped, ok, error }

    /// Checks conditions and resolves every step's SQL before anything runs.
    private func validate(_ batch: Batch, version: ProtocolVersion) throws(StreamFailure) -> [String] {
        var sqls: [String] = []
        sqls.reserveCapacity(batch.steps.count)
        for (index, step) in batch.steps.enumerated() {
            if let condition = step.condition {
                try BatchConditions.validate(condition, stepIndex: index, version: version)
            }
            sqls.append(try resolve(sql: step.stmt.sql, sqlID: step.stmt.sqlID))
        }
        return sqls
    }

    private func evaluate(_ condition: BatchCondition, _ outcomes: [StepOutcome]) -> Bool {
        BatchConditions.evaluate(condition, outcomes: outcomes, isAutocommit: connection.isAutocommit)
    }

    private func runBatch(_ batch: Batch, version: ProtocolVersion) throws(StreamFailure) -> StreamResult {
        let sqls = try validate(batch, version: version)
        let count = batch.steps.count
        var outcomes = [StepOutcome](repeating: .skipped, count: count)
        var results = [StmtResult?](repeating: nil, count: count)
        var errors = [ProtocolError?](repeating: nil, count: count)
        var budget = ResponseBudget(limit: configuration.maxResponseSize)
        for (index, step) in batch.steps.enumerated() {
            if let condition = step.condition, !evaluate(condition, outcomes) { continue }
            do {
                results[index] = try executeCollecting(step.stmt, sql: sqls[index], budget: &budget)
                outcomes[index] = .ok
            } catch .failed(let error) {
                errors[index] = error
                outcomes[index] = .error
            } catch {
                return .error(error.asProtocolError)
            }
        }
        return .ok(.batch(BatchResult(stepResults: results, stepErrors: errors)))
    }
}

extension ExecutionStop {
    var asProtocolError: ProtocolError {
        switch self {
        case .failed(let error): error
        case .responseTooLarge: EngineError.responseTooLarge
        case .aborted(let reason): ProtocolError(message: reason, code: "CURSOR_ABORTED")
        case .needsWorker: ProtocolError(message: "The statement was interrupted", code: "SQLITE_INTERRUPT")
        }
    }
}
