import Foundation
import Hrana
import Logging

/// What a client does, implemented once over HTTP (``RemoteBackend``) and once on a local file (``LocalBackend``).
protocol Backend: Sendable {
    func execute(_ statement: Statement) async throws -> ResultSet
    /// Runs statements atomically; `disablingForeignKeys` wraps the batch in `PRAGMA foreign_keys` off/on on the
    /// same connection (``Database/migrate(_:)``).
    func batch(_ statements: [Statement], mode: TransactionMode, disablingForeignKeys: Bool) async throws -> [ResultSet]
    func executeMultiple(_ sql: String) async throws
    func beginTransaction(_ mode: TransactionMode) async throws -> any TransactionBackend
    func query(_ statement: Statement) async throws -> any RowSource
    /// Authenticates every request sent after it returns with `token` (``Database/updateAuthToken(_:)``).
    func updateAuthToken(_ token: String?)
    func close() async
}

extension Backend {
    func updateAuthToken(_ token: String?) {}
}

/// An open interactive transaction.
protocol TransactionBackend: Sendable {
    func execute(_ statement: Statement) async throws -> ResultSet
    func batch(_ statements: [Statement]) async throws -> [ResultSet]
    func executeMultiple(_ sql: String) async throws
    /// Runs the last statement and commits in the same round trip; later calls fail with `TRANSACTION_CLOSED`.
    func executeAndCommit(_ statement: Statement) async throws -> ResultSet
    func commit() async throws
    func rollback() async
}

/// Produces the rows of a streamed query one at a time.
protocol RowSource: AnyObject, Sendable {
    func next() async throws -> Row?
    func cancel() async
}

extension TransactionBatch {
    /// The batch libsql-client-ts sends for `batch()` (or `migrate()` with `disablingForeignKeys`).
    static func make(
        _ statements: [Statement], mode: TransactionMode, version: ProtocolVersion, disablingForeignKeys: Bool
    ) -> TransactionBatch {
        let stmts = statements.map { $0.hranaStmt() }
        return disablingForeignKeys
            ? BatchBuilder.migration(stmts, mode: mode, version: version, explicitDefaults: false)
            : BatchBuilder.transaction(stmts, mode: mode, version: version, explicitDefaults: false)
    }

    /// The statements' results, or the first failure as a ``LibSQLError`` with its statement index.
    func resultSets(_ result: BatchResult, statements: [Statement]) throws -> [ResultSet] {
        do {
            return try results(from: result).map(ResultSet.init)
        } catch {
            let index = error.statementIndex
            let sql = index.map { statements[$0].sql }
            switch error.kind {
            case .beginFailed, .statementFailed, .commitFailed:
                let failing = error.kind == .beginFailed ? "BEGIN" : error.kind == .commitFailed ? "COMMIT" : sql
                throw LibSQLError(error.error ?? ProtocolError(message: error.description, code: nil),
                                  sql: failing, statementIndex: index)
            case .beginNotExecuted, .statementNotExecuted, .commitNotExecuted:
                throw LibSQLError(
                    code: .transactionClosed, message: "The batch's transaction was rolled back before this step ran",
                    statementIndex: index, sql: sql)
            case .malformedResult:
                throw LibSQLError(code: .hranaProtocolError, message: error.description)
            }
        }
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

/// Runs an autocommit call, and once more when it is certainly read-only and lost its connection (or met an
/// expired stream): reads may be retried, writes never.
func retryingReads<T>(logger: Logger, _ readOnly: Bool, _ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as LibSQLError where readOnly && (error.code == .connectionError || error.code == .streamExpired) {
        logger.debug("Retrying a read after a lost connection", metadata: ["error": "\(error.message)"])
        return try await body()
    }
}

