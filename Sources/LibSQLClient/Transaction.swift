import Foundation
import Hrana

/// An interactive transaction, valid inside ``Database/transaction(_:_:)``'s closure.
public struct Transaction: Sendable {
    let backend: any TransactionBackend

    /// Runs a statement in the transaction. A failure leaves the transaction open: throw to roll back.
    @discardableResult
    public func execute(_ statement: Statement) async throws -> ResultSet {
        try await LibSQLError.guarding { try await backend.execute(statement) }
    }

    /// Runs a statement with positional arguments (a statement built with named arguments fails with
    /// `ARGS_BOTH_POSITIONAL_AND_NAMED`).
    @discardableResult
    public func execute(_ sql: Statement, _ arguments: [any SQLValueConvertible]) async throws -> ResultSet {
        try await execute(sql.appending(arguments))
    }

    /// Runs a statement with named arguments.
    @discardableResult
    public func execute(_ sql: Statement, named arguments: [String: any SQLValueConvertible]) async throws -> ResultSet {
        try await execute(sql.naming(arguments))
    }

    /// Runs the transaction's last statement and commits it in the same round trip, so a remote transaction of N
    /// statements costs N HTTP requests instead of N + 1. The transaction is over afterwards: later statements
    /// fail with `TRANSACTION_CLOSED`, and returning from the closure commits nothing more. If the statement or
    /// `COMMIT` fails, everything is rolled back and the error is thrown.
    @discardableResult
    public func executeAndCommit(_ statement: Statement) async throws -> ResultSet {
        try await LibSQLError.guarding { try await backend.executeAndCommit(statement) }
    }

    /// Runs statements in one round trip inside the transaction; a failure does not roll back.
    @discardableResult
    public func batch(_ statements: [Statement]) async throws -> [ResultSet] {
        try await LibSQLError.guarding { try await backend.batch(statements) }
    }

    /// Runs a script inside the transaction.
    public func executeMultiple(_ sql: String) async throws {
        try await LibSQLError.guarding { try await backend.executeMultiple(sql) }
    }
}
