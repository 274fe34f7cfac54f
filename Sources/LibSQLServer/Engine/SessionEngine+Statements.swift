import CSQLite
import Hrana
import SQLiteCore

/// Running single statements: exactly one statement per text, arguments, results, sqld's counters.
extension SessionEngine {
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
    struct Outcome {
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
    ) throws(ExecutionStop) -> Outcome {
        if refuseForTimeout() { throw .failed(EngineError.transactionTimeout) }
        let kind = SQLText.statementKind(sql)
        let statement: SQLiteStatement
        do {
            statement = try prepareSingle(sql)
            try ArgumentBinder.bind(stmt, to: statement)
        } catch {
            if isRunningInline && inlineGaveUp(code: error.code) { throw .needsWorker }
            throw .failed(error)
        }
        if isRunningInline && !(kind == .query && statement.isReadOnly) { throw .needsWorker }
        let columnCount = statement.columnCount
        var columns: [Column] = []
        columns.reserveCapacity(Int(columnCount))
        for index in 0..<columnCount {
            columns.append(Column(name: statement.columnName(index), decltype: statement.columnDeclaredType(index)))
        }
        try onBegin(columns)

        let clock = ContinuousClock()
        let start = clock.now
        var rowCount: UInt64 = 0
        defer { noteTransactionState(since: start) }
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
        let elapsed = clock.now - start
        return Outcome(
            affectedRowCount: kind.changesRows ? UInt64(max(0, connection.changes)) : 0,
            lastInsertRowID: kind == .insert ? connection.lastInsertRowID : nil,
            rowsRead: rowCount,
            durationMS: Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
    }

    /// Compiles exactly one statement: `SQL_NO_STATEMENT` for none, `SQL_MANY_STATEMENTS` for more.
    func prepareSingle(_ sql: String) throws(ProtocolError) -> SQLiteStatement {
        var remaining = SQLText.rewritingReadonlyBegin(sql) ?? sql
        var found: SQLiteStatement?
        do {
            while found == nil {
                let (statement, tail) = try connection.prepare(remaining)
                if let statement {
                    found = statement
                } else if tail.isEmpty || tail.utf8.count >= remaining.utf8.count {
                    throw EngineError.noStatement
                }
                remaining = tail
            }
        } catch let error as SQLiteError {
            throw EngineError.sqlite(error, atPrepare: true)
        } catch let error as ProtocolError {
            throw error
        } catch {
            throw EngineError.noStatement
        }
        while !remaining.isEmpty {
            guard let (statement, tail) = try? connection.prepare(remaining), statement == nil else {
                throw EngineError.manyStatements
            }
            if tail.utf8.count >= remaining.utf8.count { break }
            remaining = tail
        }
        guard let found else { throw EngineError.noStatement }
        return found
    }

    func runSequence(_ sql: String) -> StreamResult {
        if refuseForTimeout() { return .error(EngineError.transactionTimeout) }
        var remaining = sql
        let start = ContinuousClock.now
        defer { noteTransactionState(since: start) }
        while !remaining.isEmpty {
            remaining = SQLText.rewritingReadonlyBegin(remaining) ?? remaining
            let statement: SQLiteStatement?
            let tail: String
            do {
                (statement, tail) = try connection.prepare(remaining)
            } catch {
                return .error(EngineError.sqlite(error, atPrepare: true))
            }
            if let statement {
                do {
                    while try statement.step() {}
                } catch {
                    statement.reset()
                    return .error(EngineError.sqlite(error, atPrepare: false))
                }
            }
            if tail.utf8.count >= remaining.utf8.count { break }
            remaining = tail
        }
        return .ok(.sequence)
    }

    func describe(_ sql: String) -> StreamResult {
        let statement: SQLiteStatement
        do {
            statement = try prepareSingle(sql)
        } catch {
            return .error(error)
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
