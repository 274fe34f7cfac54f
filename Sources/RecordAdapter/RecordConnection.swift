import Foundation
import LibSQLClient
import Logging

/// A database connection as the record layer uses it: any ``LibSQLClient/DatabaseConnection`` (a remote
/// `Database`, a local file, an embedded replica), with query logging, error mapping, nested transactions and
/// commit callbacks.
///
/// ```swift
/// let db = RecordConnection(try Database(url: "libsql://my-db.turso.io", authToken: token))
/// try await db.transaction {
///     let alice = try await User.create(User(name: "Alice", email: "a@example.com"), on: db)
///     try await Post.create(Post(userId: alice.id!, title: "Hello"), on: db)
/// }
/// ```
/// Every statement is logged at debug level with its duration (never its argument values).
public final class RecordConnection: Sendable {
    /// The underlying client connection.
    public let database: any DatabaseConnection
    /// Where statements are logged (debug level).
    public let logger: Logger
    private let syncHandler: (@Sendable () async throws -> Void)?

    /// Wraps a client connection.
    ///
    /// - Parameter sync: what ``sync()`` does; `nil` for connections that are not replicas.
    public init(
        _ database: any DatabaseConnection,
        logger: Logger = Logger(label: "RecordAdapter", factory: { _ in SwiftLogNoOpLogHandler() }),
        sync: (@Sendable () async throws -> Void)? = nil
    ) {
        self.database = database
        self.logger = logger
        self.syncHandler = sync
    }

    /// Whether the calling task is inside a ``transaction(_:)`` of this connection.
    public var isInTransaction: Bool { currentScope != nil }

    var currentScope: TransactionScope? {
        guard let scope = TransactionScope.current, scope.owner == ObjectIdentifier(self) else { return nil }
        return scope
    }

    /// Runs one statement: inside the task's transaction when there is one, otherwise in autocommit mode.
    /// Client errors are thrown as ``RecordError``.
    @discardableResult
    public func execute(_ statement: Statement) async throws -> ResultSet {
        let start = ContinuousClock.now
        do {
            let result: ResultSet
            if let scope = currentScope {
                if scope.claimsCommit(for: statement.sql) {
                    result = try await scope.transaction.executeAndCommit(statement)
                    scope.markCommitted()
                } else {
                    result = try await scope.transaction.execute(statement)
                }
            } else {
                result = try await database.execute(statement)
            }
            log(statement.sql, start, rows: result.rows.count)
            return result
        } catch {
            log(statement.sql, start, failed: error)
            throw RecordError.wrap(error, sql: statement.sql)
        }
    }

    /// Runs statements in one round trip: atomically on their own, or inside the task's transaction.
    @discardableResult
    public func batch(_ statements: [Statement]) async throws -> [ResultSet] {
        guard !statements.isEmpty else { return [] }
        if statements.count == 1 { return [try await execute(statements[0])] }
        let start = ContinuousClock.now
        let summary = "batch of \(statements.count): " + statements[0].sql
        do {
            let results: [ResultSet]
            if let scope = currentScope {
                results = try await scope.transaction.batch(statements)
            } else {
                results = try await database.batch(statements, mode: .write)
            }
            log(summary, start, rows: results.reduce(0) { $0 + $1.rows.count })
            return results
        } catch {
            log(summary, start, failed: error)
            let sql = (error as? LibSQLError)?.statementIndex.map { statements[$0].sql }
            throw RecordError.wrap(error, sql: sql)
        }
    }

    /// Runs `body` in a transaction: commits when it returns, rolls back when it throws or the task is cancelled.
    ///
    /// Models used inside run on the transaction (found through the task, not passed around). A nested call makes
    /// a `SAVEPOINT`: its failure rolls back only its own changes, and it rethrows. ``Model/afterCommit(_:)``
    /// callbacks run after the outermost commit; ``Model/afterRollback(_:)`` after a rollback.
    @discardableResult
    public func transaction<T>(_ body: () async throws -> T) async throws -> T {
        try await transaction(.write, body)
    }

    /// Runs `body` in a transaction of the given mode (`.write`, `.read`, `.deferred`); see ``transaction(_:)``.
    @discardableResult
    public func transaction<T>(_ mode: TransactionMode, _ body: () async throws -> T) async throws -> T {
        if let scope = currentScope { return try await savepoint(in: scope, body) }
        let owner = ObjectIdentifier(self)
        var outer: TransactionScope?
        let value: T
        do {
            value = try await database.transaction(mode) { transaction in
                let scope = TransactionScope(owner: owner, transaction: transaction)
                outer = scope
                return try await TransactionScope.$current.withValue(scope) { try await body() }
            }
        } catch {
            // After `committing { }` the work is durable even when the closure throws later.
            let committed = outer?.hasCommitted == true
            logger.debug(committed ? "transaction committed, then failed" : "transaction rolled back", metadata: ["error": "\(error)"])
            for callback in outer?.takeCallbacks() ?? [] { await committed ? callback.onCommit() : callback.onRollback() }
            throw RecordError.wrap(error, sql: nil)
        }
        for callback in outer?.takeCallbacks() ?? [] { await callback.onCommit() }
        return value
    }

    /// Runs `body` in the current transaction and sends its first write (`INSERT`, `UPDATE`, `DELETE`,
    /// `REPLACE`) together with `COMMIT`, in one request: a remote transaction of N creates then costs N
    /// requests instead of N + 1.
    ///
    /// ```swift
    /// try await db.transaction {
    ///     let user = try await User.create(user, on: db)                  // BEGIN + INSERT: request 1
    ///     try await db.committing { try await Post.create(post, on: db) } // INSERT + COMMIT + close: request 2
    /// }
    /// ```
    /// Reads before that write (a uniqueness validation) run as usual. The transaction is over after it: a later
    /// statement of the transaction fails with ``RecordError/Kind/statementInvalid`` (`TRANSACTION_CLOSED`), so
    /// `afterSave`/`afterCreate` callbacks of that record must not query. If the write or the `COMMIT` fails, the
    /// error is thrown; letting it leave the transaction's closure rolls everything back. Only the outermost
    /// transaction can commit this way (inside a savepoint it throws); outside a transaction `body` simply runs.
    @discardableResult
    public func committing<T>(_ body: () async throws -> T) async throws -> T {
        guard let scope = currentScope else { return try await body() }
        guard scope.depth == 0 else {
            throw RecordError(.statementInvalid, "committing { } needs the outermost transaction, not a savepoint")
        }
        scope.commitWithNextWrite(true)
        defer { scope.commitWithNextWrite(false) }
        return try await body()
    }

    private func savepoint<T>(in scope: TransactionScope, _ body: () async throws -> T) async throws -> T {
        let name = SQLQuoting.identifier(scope.nextSavepointName())
        try await execute(Statement(sql: "SAVEPOINT \(name)", arguments: .positional([])))
        let child = scope.child()
        do {
            let value = try await TransactionScope.$current.withValue(child) { try await body() }
            try Task.checkCancellation()
            try await execute(Statement(sql: "RELEASE \(name)", arguments: .positional([])))
            scope.adopt(child)
            return value
        } catch {
            // Roll back even when the task is cancelled: the savepoint must not leak into the outer transaction.
            let transaction = scope.transaction
            await Task {
                _ = try? await transaction.execute(Statement(sql: "ROLLBACK TO \(name)", arguments: .positional([])))
                _ = try? await transaction.execute(Statement(sql: "RELEASE \(name)", arguments: .positional([])))
            }.value
            for callback in child.takeCallbacks() { await callback.onRollback() }
            throw error
        }
    }

    /// Runs `action` after the current transaction commits, or at once when there is none.
    public func afterCommit(_ action: @escaping @Sendable () async -> Void) async {
        await onOutcome(commit: action, rollback: {})
    }

    func onOutcome(commit: @escaping @Sendable () async -> Void, rollback: @escaping @Sendable () async -> Void) async {
        if let scope = currentScope {
            scope.register(TransactionScope.Callback(onCommit: commit, onRollback: rollback))
        } else {
            await commit()
        }
    }

    /// Pulls new changes into an embedded replica (the seed's `connection.sync`); fails with
    /// ``RecordError/Kind/statementInvalid`` on a connection that is not a replica.
    public func sync() async throws {
        guard let syncHandler else {
            throw RecordError(.statementInvalid, "sync() needs a replica connection (configure replica_path)")
        }
        try await syncHandler()
    }

    /// Whether the connection is an embedded replica, so that ``sync()`` works.
    public var isReplica: Bool { syncHandler != nil }

    /// Closes the underlying connection.
    public func close() async {
        await database.close()
    }

    private func log(_ sql: String, _ start: ContinuousClock.Instant, rows: Int? = nil, failed: (any Error)? = nil) {
        guard logger.logLevel <= .debug else { return }
        let elapsed = ContinuousClock.now - start
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        var metadata: Logger.Metadata = ["duration_ms": "\((milliseconds * 1000).rounded() / 1000)"]
        if let rows { metadata["rows"] = "\(rows)" }
        if let failed { metadata["error"] = "\(failed)" }
        logger.debug("\(sql)", metadata: metadata)
    }
}
