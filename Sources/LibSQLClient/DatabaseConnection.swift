import Foundation
import Hrana

/// The query interface every kind of connection shares: a remote ``Database``, a local file, and the embedded
/// replica of the `Replica` module.
///
/// Code written against `any DatabaseConnection` (the record layer, migrations, your own repositories) behaves
/// the same on each: the same statements, results, transactions and ``LibSQLError`` codes.
public protocol DatabaseConnection: Sendable {
    /// Runs one statement in autocommit mode.
    @discardableResult
    func execute(_ statement: Statement) async throws -> ResultSet

    /// Runs statements atomically; the first failure rolls everything back and is thrown with its
    /// ``LibSQLError/statementIndex``.
    @discardableResult
    func batch(_ statements: [Statement], mode: TransactionMode) async throws -> [ResultSet]

    /// Runs an interactive transaction: commits when `body` returns, rolls back when it throws or the task is
    /// cancelled.
    @discardableResult
    func transaction<T>(_ mode: TransactionMode, _ body: (Transaction) async throws -> T) async throws -> T

    /// Runs a script of several statements in order, outside any transaction.
    func executeMultiple(_ sql: String) async throws

    /// Runs schema changes as one batch with foreign keys off.
    @discardableResult
    func migrate(_ statements: [Statement]) async throws -> [ResultSet]

    /// Streams the rows of a query with bounded memory.
    func query(_ statement: Statement) -> RowSequence

    /// Releases the connection's resources; later calls fail with ``LibSQLError/Code/clientClosed``.
    func close() async
}

extension DatabaseConnection {
    /// Runs one statement with positional arguments (appended to interpolated ones; a statement built with named
    /// arguments fails with `ARGS_BOTH_POSITIONAL_AND_NAMED`).
    @discardableResult
    public func execute(_ sql: Statement, _ arguments: [any SQLValueConvertible]) async throws -> ResultSet {
        try await execute(sql.appending(arguments))
    }

    /// Runs one statement with named arguments (`:name`, `@name`, `$name`).
    @discardableResult
    public func execute(_ sql: Statement, named arguments: [String: any SQLValueConvertible]) async throws -> ResultSet {
        try await execute(sql.naming(arguments))
    }

    /// Runs statements atomically in a deferred transaction.
    @discardableResult
    public func batch(_ statements: [Statement]) async throws -> [ResultSet] {
        try await batch(statements, mode: .deferred)
    }

    /// Runs an interactive write transaction.
    @discardableResult
    public func transaction<T>(_ body: (Transaction) async throws -> T) async throws -> T {
        try await transaction(.write, body)
    }

    /// Streams the rows of a query with positional arguments; an argument error is thrown by the first `next()`.
    public func query(_ sql: Statement, _ arguments: [any SQLValueConvertible]) -> RowSequence {
        do {
            return query(try sql.appending(arguments))
        } catch {
            return RowSequence { throw error }
        }
    }
}
