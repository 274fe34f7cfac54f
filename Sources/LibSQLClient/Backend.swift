import Foundation

/// What a client does, implemented once over HTTP (``RemoteBackend``) and once on a local file (``LocalBackend``).
protocol Backend: Sendable {
    func execute(_ statement: Statement) async throws -> ResultSet
    func batch(_ statements: [Statement], mode: TransactionMode) async throws -> [ResultSet]
    func executeMultiple(_ sql: String) async throws
    func beginTransaction(_ mode: TransactionMode) async throws -> any TransactionBackend
    func query(_ statement: Statement) async throws -> any RowSource
    func close() async
}

/// An open interactive transaction.
protocol TransactionBackend: Sendable {
    func execute(_ statement: Statement) async throws -> ResultSet
    func batch(_ statements: [Statement]) async throws -> [ResultSet]
    func executeMultiple(_ sql: String) async throws
    func commit() async throws
    func rollback() async
}

/// Produces the rows of a streamed query one at a time.
protocol RowSource: AnyObject, Sendable {
    func next() async throws -> Row?
    func cancel() async
}

/// Builds the libsql-client-ts transaction batch: `BEGIN`, the statements each guarded by the previous step's
/// success (and on Hrana 3 by `not is_autocommit`), `COMMIT`, and `ROLLBACK` when `COMMIT` did not succeed.
enum TransactionBatch {
    static func make(_ statements: [Stmt], mode: TransactionMode, version: ProtocolVersion) -> Batch {
        var steps = [BatchStep(stmt: Stmt(sql: mode.beginSQL, wantRows: false))]
        func guarded(after step: Int) -> BatchCondition {
            version >= .v3 ? .and([.ok(step: UInt32(step)), .not(.isAutocommit)]) : .ok(step: UInt32(step))
        }
        for (index, stmt) in statements.enumerated() {
            steps.append(BatchStep(condition: guarded(after: index), stmt: stmt))
        }
        let commit = statements.count + 1
        steps.append(BatchStep(condition: guarded(after: statements.count), stmt: Stmt(sql: "COMMIT", wantRows: false)))
        steps.append(BatchStep(condition: .not(.ok(step: UInt32(commit))), stmt: Stmt(sql: "ROLLBACK", wantRows: false)))
        return Batch(steps: steps)
    }

    /// Extracts the statements' results, throwing the first failure with its statement index.
    static func results(_ result: BatchResult, statements: [Statement]) throws -> [ResultSet] {
        let count = statements.count
        guard result.stepResults.count == count + 3, result.stepErrors.count == count + 3 else {
            throw LibSQLError(code: .hranaProtocolError, message: "The batch result has the wrong number of steps")
        }
        if let error = result.stepErrors[0] {
            throw LibSQLError(error, sql: statements.first.map { _ in "BEGIN" })
        }
        var sets: [ResultSet] = []
        sets.reserveCapacity(count)
        for index in 0..<count {
            if let error = result.stepErrors[index + 1] {
                throw LibSQLError(error, sql: statements[index].sql, statementIndex: index)
            }
            guard let stepResult = result.stepResults[index + 1] else {
                throw LibSQLError(
                    code: .transactionClosed, message: "The batch's transaction was rolled back before this statement ran",
                    statementIndex: index, sql: statements[index].sql)
            }
            sets.append(ResultSet(stepResult))
        }
        if let error = result.stepErrors[count + 1] {
            throw LibSQLError(error, sql: "COMMIT")
        }
        if result.stepResults[count + 1] == nil {
            throw LibSQLError(code: .transactionClosed, message: "The batch's transaction was rolled back before COMMIT")
        }
        return sets
    }
}

/// Whether SQL is certainly read-only (a retry after a lost connection cannot write twice).
func isCertainlyReadOnly(_ sql: String) -> Bool {
    let trimmed = sql.drop { $0.isWhitespace || $0 == "(" }
    let word = trimmed.prefix { $0.isLetter }.uppercased()
    switch word {
    case "SELECT", "VALUES", "EXPLAIN":
        return !sql.uppercased().contains("RETURNING")
    case "WITH":
        let upper = sql.uppercased()
        return !["INSERT", "UPDATE", "DELETE", "REPLACE"].contains { upper.contains($0) }
    default:
        return false
    }
}
