import Foundation
import Hrana
import Logging
import SQLiteCore
import Synchronization

/// The client on a local SQLite file (`file:` URLs).
///
/// One connection for statements, batches and transactions, used by one call at a time: an interactive
/// transaction holds it until it commits or rolls back, so other calls of the same client wait (they never see
/// uncommitted data). Streamed queries on a file run on read-only connections of their own and hold nothing:
/// in WAL mode a write of the same client (or another process) goes ahead while they are read, and the query
/// keeps seeing the database as it was when it started.
final class LocalBackend: Backend {
    let database: LocalDatabase
    let lock = AsyncSemaphore(permits: 1)

    init(path: String, access: LocalAccess, logger: Logger) throws {
        database = try LocalDatabase(path: path, access: access, logger: logger)
    }

    /// Fails at once after `close()`, also while a transaction holds the connection.
    private func checkOpen() throws {
        if database.isClosed { throw LibSQLError.clientClosed }
    }

    func execute(_ statement: Statement) async throws -> ResultSet {
        try checkOpen()
        return try await lock.withPermit { try await database.execute(statement) }
    }

    func batch(
        _ statements: [Statement], mode: TransactionMode, disablingForeignKeys: Bool
    ) async throws -> [ResultSet] {
        try checkOpen()
        return try await lock.withPermit {
            try await database.batch(statements, mode: mode, disablingForeignKeys: disablingForeignKeys)
        }
    }

    func executeMultiple(_ sql: String) async throws {
        try checkOpen()
        try await lock.withPermit { try await database.executeScript(sql) }
    }

    func beginTransaction(_ mode: TransactionMode) async throws -> any TransactionBackend {
        try checkOpen()
        try await lock.wait()
        let logger = database.logger
        do {
            try await database.run { connection in
                if mode == .read {
                    _ = try LocalStatement.run("PRAGMA query_only=ON", on: connection)
                }
                do {
                    _ = try LocalStatement.run(Statement(mode.localBeginSQL), on: connection)
                } catch {
                    if mode == .read { LocalTransaction.leaveQueryOnly(connection, logger: logger) }
                    throw error
                }
            }
        } catch {
            lock.signal()
            throw error
        }
        return LocalTransaction(database: database, lock: lock, mode: mode)
    }

    func query(_ statement: Statement) async throws -> any RowSource {
        try checkOpen()
        if database.isMemory {
            return BufferedRowSource(rows: try await lock.withPermit { try await database.rows(statement) })
        }
        return try await LocalQuery.open(statement, database: database)
    }

    func close() async {
        await database.close()
    }
}

/// A local interactive transaction; holds the client's connection until it ends.
final class LocalTransaction: TransactionBackend {
    let database: LocalDatabase
    let mode: TransactionMode
    private let lock: AsyncSemaphore
    private let ended = Mutex(false)

    init(database: LocalDatabase, lock: AsyncSemaphore, mode: TransactionMode) {
        self.database = database
        self.lock = lock
        self.mode = mode
    }

    /// Runs `body` while the transaction is open on the connection.
    private func inTransaction<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        if ended.withLock({ $0 }) { throw Self.closedError }
        return try await database.run { connection in
            if connection.isAutocommit { throw Self.closedError }
            return try body(connection)
        }
    }

    private static var closedError: LibSQLError {
        LibSQLError(code: .transactionClosed, message: "The transaction is no longer active")
    }

    func execute(_ statement: Statement) async throws -> ResultSet {
        try await inTransaction { try LocalStatement.run(statement, on: $0) }
    }

    func batch(_ statements: [Statement]) async throws -> [ResultSet] {
        try await inTransaction { connection in
            var results: [ResultSet] = []
            for (index, statement) in statements.enumerated() {
                do {
                    results.append(try LocalStatement.run(statement, on: connection))
                } catch var error as LibSQLError {
                    error.statementIndex = index
                    throw error
                }
            }
            return results
        }
    }

    func executeMultiple(_ sql: String) async throws {
        try await inTransaction { try LocalStatement.runScript(sql, on: $0) }
    }

    private func end() -> Bool {
        ended.withLock { ended in
            defer { ended = true }
            return !ended
        }
    }

    func executeAndCommit(_ statement: Statement) async throws -> ResultSet {
        let result = try await execute(statement)
        try await commit()
        return result
    }

    func commit() async throws {
        guard end() else { return }
        defer { lock.signal() }
        let mode = mode
        let logger = database.logger
        do {
            try await database.run { connection in
                defer { if mode == .read { Self.leaveQueryOnly(connection, logger: logger) } }
                if connection.isAutocommit {
                    throw LibSQLError(code: .transactionClosed, message: "The transaction was rolled back before COMMIT")
                }
                do {
                    _ = try LocalStatement.run("COMMIT", on: connection)
                } catch {
                    LocalDatabase.rollback(connection, logger: logger)
                    throw error
                }
            }
        } catch let error as LibSQLError where error.code != .clientClosed {
            await database.rollback()
            throw error
        }
    }

    func rollback() async {
        guard end() else { return }
        await database.rollback()
        if mode == .read {
            let logger = database.logger
            _ = try? await database.run { Self.leaveQueryOnly($0, logger: logger) }
        }
        lock.signal()
    }

    static func leaveQueryOnly(_ connection: SQLiteConnection, logger: Logger) {
        do {
            _ = try LocalStatement.run("PRAGMA query_only=OFF", on: connection)
        } catch {
            logger.debug("Leaving query_only failed", metadata: ["error": "\(error)"])
        }
    }
}

/// A streamed local query on its own read-only connection: rows are stepped in chunks as they are consumed.
final class LocalQuery: RowSource, @unchecked Sendable {
    private let cursor: Cursor
    private let database: LocalDatabase
    private var buffer: [Row] = []
    private var index = 0
    private var done = false
    /// Rows stepped per hop to a thread: small first, so the first row comes soon, then larger, so a long
    /// stream pays for few hops.
    private var chunk = LocalQuery.firstChunk

    static let firstChunk = 256
    static let largestChunk = 4096

    /// The connection and statement, used on ``LocalThreads`` under a lock.
    final class Cursor: Sendable {
        private struct State: @unchecked Sendable {
            var connection: SQLiteConnection?
            var prepared: SQLiteStatement?
        }

        private let state: Mutex<State>
        let layout: RowLayout
        let sql: String

        init(path: String, statement: Statement, busyTimeout: Duration) throws {
            let connection: SQLiteConnection
            do {
                connection = try SQLiteConnection(path: path, mode: .readOnly, create: false)
            } catch {
                throw LibSQLError(code: .sqliteCantOpen, message: "Could not open the database file: \(error.message)")
            }
            connection.setBusyTimeout(busyTimeout)
            let prepared = try LocalStatement.prepare(statement, on: connection)
            layout = LocalStatement.layout(of: prepared)
            sql = statement.sql
            state = Mutex(State(connection: connection, prepared: prepared))
        }

        func fetch(_ count: Int) throws -> [Row] {
            try state.withLock { state throws -> [Row] in
                guard let prepared = state.prepared else { return [] }
                var rows: [Row] = []
                rows.reserveCapacity(count)
                do throws(SQLiteError) {
                    while rows.count < count, try prepared.step() {
                        rows.append(Row(layout: layout, values: try prepared.row()))
                    }
                } catch {
                    Self.finish(&state)
                    throw LocalStatement.error(error, sql: sql)
                }
                if rows.count < count { Self.finish(&state) }
                return rows
            }
        }

        func finish() {
            state.withLock { Self.finish(&$0) }
        }

        private static func finish(_ state: inout State) {
            state.prepared = nil
            state.connection?.close()
            state.connection = nil
        }
    }

    private init(cursor: Cursor, database: LocalDatabase) {
        self.cursor = cursor
        self.database = database
    }

    static func open(_ statement: Statement, database: LocalDatabase) async throws -> LocalQuery {
        guard !database.isClosed else { throw LibSQLError.clientClosed }
        let path = database.path
        let timeout = database.access.busyTimeout
        let cursor = try await LocalThreads.run { try Cursor(path: path, statement: statement, busyTimeout: timeout) }
        return LocalQuery(cursor: cursor, database: database)
    }

    func next() async throws -> Row? {
        if index >= buffer.count {
            guard !done else { return nil }
            guard !database.isClosed else {
                await cancel()
                throw LibSQLError.clientClosed
            }
            let cursor = cursor
            let wanted = chunk
            buffer = try await LocalThreads.run { try cursor.fetch(wanted) }
            index = 0
            chunk = min(chunk * 4, Self.largestChunk)
            if buffer.count < wanted { done = true }
            if buffer.isEmpty { return nil }
        }
        defer { index += 1 }
        return buffer[index]
    }

    func cancel() async {
        done = true
        let cursor = cursor
        _ = try? await LocalThreads.run { cursor.finish() }
    }
}
