import CSQLite
import Hrana
import SQLiteCore

/// Running single statements: exactly one statement per text, arguments, results, sqld's counters.
extension StreamExecution {
    /// Runs a statement and collects its result, charging its estimated size to `budget`.
    func executeCollecting(
        _ stmt: Stmt, sql: String, budget: inout ResponseBudget
    ) throws(ExecutionStop) -> StmtResult {
        var cols: [Column] = []
        var rows: [[Value]] = []
        let outcome = try run(
            stmt, sql: sql, wantRows: stmt.effectiveWantRows,
            onBegin: { columns throws(ExecutionStop) in
                cols = columns
                try budget.add(ResponseBudget.estimate(columns))
            },
            onRow: { row throws(ExecutionStop) in
                try budget.add(ResponseBudget.estimate(row))
                rows.append(row)
            })
        return StmtResult(
            cols: cols, rows: rows, affectedRowCount: outcome.affectedRowCount,
            lastInsertRowID: outcome.lastInsertRowID, rowsRead: outcome.rowsRead,
            rowsWritten: outcome.affectedRowCount, queryDurationMS: outcome.durationMS)
    }

    /// What a statement reports besides its columns and rows.
    struct StatementOutcome {
        var affectedRowCount: UInt64
        var lastInsertRowID: Int64?
        var rowsRead: UInt64
        var durationMS: Double
    }

    /// Prepares, binds and runs one statement; `onRow` sees rows only when `wantRows`.
    func run(
        _ stmt: Stmt, sql: String, wantRows: Bool,
        onBegin: ([Column]) throws(ExecutionStop) -> Void,
        onRow: ([Value]) throws(ExecutionStop) -> Void
    ) throws(ExecutionStop) -> StatementOutcome {
        if refuseForTimeout() { throw .failed(EngineError.transactionTimeout) }
        let statement: SQLiteStatement
        do {
            statement = try connection.prepareSingle(sql)
            try statement.bind(positional: stmt.effectiveArgs, named: Self.namedArguments(of: stmt))
            try refuseWriteInReadOnlyTransaction(statement)
        } catch {
            if isRunningInline && inlineGaveUp(code: error.code) { throw .needsWorker }
            throw .failed(error.protocolError)
        }
        let kind = statement.kind
        if isRunningInline && !(kind == .query && statement.isReadOnly) { throw .needsWorker }
        let columnCount = statement.columnCount
        var columns: [Column] = []
        columns.reserveCapacity(Int(columnCount))
        for index in 0..<columnCount {
            columns.append(Column(name: statement.columnName(index), decltype: statement.columnDeclaredType(index)))
        }
        try onBegin(columns)

        let clock = ContinuousClock()
        var rowCount: UInt64 = 0
        let hasTurn = takeWriteTurn(for: statement)
        // After the wait for the turn: the transaction timeout counts from when the lock was taken.
        let start = clock.now
        defer { noteTransactionState(since: start) }
        if !hasTurn { throw .failed(Self.writeTurnTimeout.protocolError) }
        do {
            while try statement.step() {
                rowCount += 1
                if wantRows { try onRow(try statement.row()) }
            }
        } catch let error as SQLiteError {
            statement.reset()
            if isRunningInline && inlineGaveUp(code: error.code) { throw .needsWorker }
            if error.code == SQLITE_INTERRUPT, control.takeTimeoutRequest() {
                if !connection.isAutocommit { rollback() }
                control.setTimedOut()
                observedTimeout = true
                throw .failed(EngineError.transactionTimeout)
            }
            throw .failed(EngineError.sqlite(error, atPrepare: false))
        } catch let stop as ExecutionStop {
            statement.reset()
            throw stop
        } catch {
            statement.reset()
            throw .failed(ProtocolError(message: "\(error)", code: "SQLITE_UNKNOWN"))
        }
        noteReadOnlyBegin(sql)
        let elapsed = clock.now - start
        return StatementOutcome(
            affectedRowCount: kind.changesRows ? UInt64(max(0, connection.changes)) : 0,
            lastInsertRowID: kind == .insert ? connection.lastInsertRowID : nil,
            rowsRead: rowCount,
            durationMS: Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
    }

    /// Waits for this stream's turn in the write queue before a statement that may take the write lock
    /// (`sqlite3_stmt_readonly` false, `BEGIN IMMEDIATE` included) when it does not hold it yet; returns
    /// false when the busy timeout passed first.
    func takeWriteTurn(for statement: SQLiteStatement) -> Bool {
        statement.isReadOnly || connection.transactionState == .write || control.waitForWriteTurn()
    }

    /// A write that waited for its turn in the write queue longer than the busy timeout: SQLite's own error
    /// for a lock it waited for in vain.
    static let writeTurnTimeout = StatementError(
        SQLiteError(extendedCode: SQLITE_BUSY, message: "database is locked"), atPrepare: false)

    /// Refuses a statement that would write (`sqlite3_stmt_readonly` false) inside a read-only transaction,
    /// as sqld refuses writes in a read transaction.
    func refuseWriteInReadOnlyTransaction(_ statement: SQLiteStatement) throws(StatementError) {
        guard isInReadOnlyTransaction, !statement.isReadOnly else { return }
        if connection.isAutocommit {
            isInReadOnlyTransaction = false
        } else {
            throw .writeInReadOnlyTransaction
        }
    }

    /// Marks the transaction read-only after `sql` ran, when it was a `BEGIN READONLY` that opened one.
    func noteReadOnlyBegin(_ sql: String) {
        if connection.isAutocommit {
            isInReadOnlyTransaction = false
        } else if !isInReadOnlyTransaction && SQLText.beginsReadOnlyTransaction(sql) {
            isInReadOnlyTransaction = true
        }
    }

    /// A statement's named arguments by name; the first of two with one name wins, as in sqld.
    static func namedArguments(of stmt: Stmt) -> [String: Value] {
        let namedArgs = stmt.effectiveNamedArgs
        guard !namedArgs.isEmpty else { return [:] }
        var named: [String: Value] = [:]
        for arg in namedArgs where named[arg.name] == nil { named[arg.name] = arg.value }
        return named
    }

    func runSequence(_ sql: String) -> StreamResult {
        if refuseForTimeout() { return .error(EngineError.transactionTimeout) }
        var remaining = sql
        var start = ContinuousClock.now
        defer { noteTransactionState(since: start) }
        while !remaining.isEmpty {
            let original = remaining
            remaining = SQLText.rewritingReadonlyBegin(remaining) ?? remaining
            let statement: SQLiteStatement?
            let tail: String
            do {
                (statement, tail) = try connection.prepare(remaining)
            } catch {
                return .error(EngineError.sqlite(error, atPrepare: true))
            }
            if let statement {
                do throws(StatementError) {
                    try refuseWriteInReadOnlyTransaction(statement)
                    if !statement.isReadOnly && connection.transactionState != .write {
                        guard control.waitForWriteTurn() else { throw Self.writeTurnTimeout }
                        start = .now
                    }
                } catch {
                    return .error(error.protocolError)
                }
                do {
                    while try statement.step() {}
                } catch {
                    statement.reset()
                    return .error(EngineError.sqlite(error, atPrepare: false))
                }
                noteReadOnlyBegin(original)
            }
            if tail.utf8.count >= remaining.utf8.count { break }
            remaining = tail
        }
        return .ok(.sequence)
    }

    func describe(_ sql: String) -> StreamResult {
        let statement: SQLiteStatement
        do {
            statement = try connection.prepareSingle(sql)
        } catch {
            return .error(error.protocolError)
        }
        let parameterCount = statement.parameterCount
        let params = parameterCount > 0
            ? (1...parameterCount).map { DescribeResult.Param(name: statement.parameterName($0)) } : []
        let cols = (0..<statement.columnCount).map {
            Column(name: statement.columnName($0), decltype: statement.columnDeclaredType($0))
        }
        return .ok(.describe(DescribeResult(
            params: params, cols: cols, isExplain: statement.isExplain, isReadonly: statement.isReadOnly)))
    }
}
