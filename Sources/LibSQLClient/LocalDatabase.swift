import Foundation
import Hrana
import Logging
import SQLiteCore
import Synchronization

/// The SQLite connection of a local client.
///
/// Every use runs on ``LocalThreads`` under a lock, one at a time; after ``close()`` every use fails with
/// `CLIENT_CLOSED` before reaching SQLite. The exception is a short read: a read-only query in autocommit mode
/// first runs on the caller's task within ``inlineLimit`` (as the server runs short reads inline), and only
/// when it takes longer, would wait for a lock, or finds the connection busy does it run on a thread. A read-write file is switched to WAL, so streamed queries (on
/// connections of their own) and writes on this connection do not block each other.
final class LocalDatabase: Sendable {
    let path: String
    let access: LocalAccess
    let logger: Logger
    /// The connection, `nil` once closed; the lock is held for the whole of each use.
    private let state: Mutex<SQLiteConnection?>
    private let closed = Atomic<Bool>(false)
    /// The time limit of the inline run of a read (stops it through SQLite's progress and busy handlers).
    private let budget = InlineBudget()

    /// How long a read may run on the caller's task before it is stopped and run again on a thread.
    static let inlineLimit: Duration = .microseconds(200)

    init(path: String, access: LocalAccess, logger: Logger) throws {
        self.path = path
        self.access = access
        self.logger = logger
        state = Mutex(try Self.open(path: path, access: access, budget: budget, logger: logger))
    }

    /// Whether the path names an in-memory database, which cannot be shared with a second connection.
    var isMemory: Bool { path.isEmpty || path == ":memory:" || path.contains("mode=memory") }

    static func open(path: String, access: LocalAccess, budget: InlineBudget, logger: Logger) throws -> SQLiteConnection {
        let connection: SQLiteConnection
        do {
            switch access {
            case .readWrite: connection = try SQLiteConnection(path: path)
            case .readOnly: connection = try SQLiteConnection(path: path, mode: .readOnly, create: false)
            }
        } catch {
            throw LibSQLError(code: .sqliteCantOpen, message: "Could not open the database file: \(error.message)")
        }
        connection.setBusyTimeout(access.busyTimeout, budget: budget)
        connection.setProgressHandler(every: 1000) { budget.shouldStop() }
        guard case .readWrite = access, path != ":memory:", !path.isEmpty, !path.contains("mode=memory") else {
            return connection
        }
        do {
            let mode = try connection.enableWAL()
            if mode == "wal" { try connection.execute(script: "PRAGMA synchronous=NORMAL") }
            if mode != "wal" { logger.debug("The database did not switch to WAL mode", metadata: ["mode": "\(mode)"]) }
        } catch {
            // Not a database, or locked for longer than the busy timeout: the first statement reports it.
            logger.debug("Could not switch the database to WAL mode", metadata: ["error": "\(error)"])
        }
        return connection
    }

    var isClosed: Bool { closed.load(ordering: .acquiring) }

    /// Runs `body` with the connection on a SQLite thread.
    func run<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        guard !isClosed else { throw LibSQLError.clientClosed }
        return try await LocalThreads.run {
            try self.state.withLock { connection throws -> T in
                guard let connection else { throw LibSQLError.clientClosed }
                return try body(connection)
            }
        }
    }

    /// Closes the connection (rolling back an open transaction) once the statement running now, if any, ends.
    func close() async {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        _ = try? await LocalThreads.run {
            self.state.withLock { connection in
                connection?.close()
                connection = nil
            }
        }
    }

    // MARK: Operations

    func execute(_ statement: Statement) async throws -> ResultSet {
        if let result = try executeInline(statement) { return result }
        return try await run { try LocalStatement.run(statement, on: $0) }
    }

    /// Runs a read-only query on the calling task when the connection is free and in autocommit mode and the
    /// query finishes within ``inlineLimit``; `nil` when it must run on a thread (nothing has changed then).
    private func executeInline(_ statement: Statement) throws -> ResultSet? {
        guard !isClosed, SQLText.statementKind(statement.sql) == .query else { return nil }
        let budget = budget
        let outcome = state.withLockIfAvailable { connection -> Result<ResultSet, any Error>? in
            guard let connection, connection.isAutocommit else { return nil }
            budget.begin(limit: Self.inlineLimit)
            defer { budget.end() }
            do {
                guard let result = try LocalStatement.runReadOnly(statement, on: connection) else { return nil }
                return .success(result)
            } catch let error as LibSQLError {
                if budget.isExhausted || error.code == .sqliteBusy || error.code == .sqliteLocked { return nil }
                return .failure(error)
            } catch {
                return .failure(error)
            }
        }
        guard let outcome = outcome ?? nil else { return nil }
        return try outcome.get()
    }

    func executeScript(_ sql: String) async throws {
        try await run { try LocalStatement.runScript(sql, on: $0) }
    }

    /// Runs `BEGIN`, the statements and `COMMIT`, rolling back at the first failure. A `.read` batch runs with
    /// `PRAGMA query_only`, so a write in it fails with `SQLITE_READONLY`; with `disablingForeignKeys`, between
    /// `PRAGMA foreign_keys=off` and the previous setting (SQLite ignores the pragma inside a transaction).
    func batch(_ statements: [Statement], mode: TransactionMode, disablingForeignKeys: Bool) async throws -> [ResultSet] {
        let logger = logger
        return try await run { connection in
            try Self.withPragma("foreign_keys", disablingForeignKeys ? false : nil, on: connection, logger: logger) {
                try Self.withPragma("query_only", mode == .read ? true : nil, on: connection, logger: logger) {
                    try Self.batch(statements, mode: mode, on: connection, logger: logger)
                }
            }
        }
    }

    private static func batch(
        _ statements: [Statement], mode: TransactionMode, on connection: SQLiteConnection, logger: Logger
    ) throws -> [ResultSet] {
        _ = try LocalStatement.run(Statement(mode.localBeginSQL), on: connection)
        var results: [ResultSet] = []
        results.reserveCapacity(statements.count)
        for (index, statement) in statements.enumerated() {
            do {
                results.append(try LocalStatement.run(statement, on: connection))
            } catch var error as LibSQLError {
                rollback(connection, logger: logger)
                error.statementIndex = index
                throw error
            }
        }
        do {
            _ = try LocalStatement.run("COMMIT", on: connection)
        } catch {
            rollback(connection, logger: logger)
            throw error
        }
        return results
    }

    /// Runs `body` with a boolean pragma set to `value` (unchanged when `nil`), then restores the value it had.
    static func withPragma<T>(
        _ name: String, _ value: Bool?, on connection: SQLiteConnection, logger: Logger, _ body: () throws -> T
    ) throws -> T {
        guard let value else { return try body() }
        let previous = try LocalStatement.run(Statement(sql: "PRAGMA \(name)", arguments: .positional([])), on: connection)
            .rows.first?[0] == .integer(1)
        guard previous != value else { return try body() }
        _ = try LocalStatement.run(Statement(sql: "PRAGMA \(name)=\(value ? "ON" : "OFF")", arguments: .positional([])), on: connection)
        defer {
            do {
                _ = try LocalStatement.run(
                    Statement(sql: "PRAGMA \(name)=\(previous ? "ON" : "OFF")", arguments: .positional([])), on: connection)
            } catch {
                logger.debug("Restoring a pragma failed", metadata: ["pragma": "\(name)", "error": "\(error)"])
            }
        }
        return try body()
    }

    /// Rolls back an open transaction. A failed `ROLLBACK` is logged; if the transaction is still open after
    /// it, the connection is replaced by a fresh one (closing rolls back), so the next call starts in autocommit.
    func rollback() async {
        let logger = logger
        let path = path
        let access = access
        _ = try? await LocalThreads.run {
            self.state.withLock { connection in
                guard let open = connection, !Self.rollback(open, logger: logger) else { return }
                do {
                    let fresh = try Self.open(path: path, access: access, budget: self.budget, logger: logger)
                    open.close()
                    connection = fresh
                } catch {
                    logger.debug("Reopening the connection after a failed ROLLBACK failed", metadata: ["error": "\(error)"])
                }
            }
        }
    }

    /// Runs `ROLLBACK` when a transaction is open; returns whether the connection is in autocommit afterwards.
    @discardableResult
    static func rollback(_ connection: SQLiteConnection, logger: Logger) -> Bool {
        guard !connection.isAutocommit else { return true }
        do {
            _ = try LocalStatement.run("ROLLBACK", on: connection)
        } catch {
            logger.debug("ROLLBACK failed", metadata: ["error": "\(error)"])
        }
        return connection.isAutocommit
    }

    /// Runs all rows of a query, for in-memory databases that cannot open a second connection.
    func rows(_ statement: Statement) async throws -> [Row] {
        try await run { try LocalStatement.run(statement, on: $0).rows }
    }
}

/// How a local client opens its file.
enum LocalAccess: Sendable {
    /// The public `file:` mode: read-write, created when missing, switched to WAL.
    case readWrite
    /// ``Database/init(readOnlyLocalPath:busyTimeout:logger:)``: read-only, never created, journal mode untouched.
    case readOnly(busyTimeout: Duration)

    var busyTimeout: Duration {
        switch self {
        case .readWrite: .seconds(5)
        case .readOnly(let timeout): timeout
        }
    }
}

extension TransactionMode {
    /// Stock SQLite has no `BEGIN TRANSACTION READONLY`; a local read transaction is deferred and runs with
    /// `PRAGMA query_only`.
    var localBeginSQL: String {
        switch self {
        case .write: "BEGIN IMMEDIATE"
        case .read, .deferred: "BEGIN DEFERRED"
        }
    }
}
