import Foundation
import Hrana
import Logging
import SQLiteCore
import Synchronization

/// The client on a local SQLite file (`file:` URLs).
///
/// One connection, used by one call at a time: an interactive transaction holds it until it commits or
/// rolls back, so other calls of the same client wait (they never see uncommitted data). Streamed queries on a
/// file run on a connection of their own and do not hold it.
final class LocalBackend: Backend {
    let database: LocalDatabase
    let path: String
    let lock = AsyncSemaphore(permits: 1)
    let logger: Logger

    let access: LocalAccess

    init(path: String, access: LocalAccess, logger: Logger) throws {
        self.path = path
        self.logger = logger
        self.access = access
        database = try LocalDatabase(path: path, access: access)
    }

    private var isMemory: Bool { path == ":memory:" || path.contains("mode=memory") }

    func execute(_ statement: Statement) async throws -> ResultSet {
        try await lock.withPermit { try await database.execute(statement) }
    }

    func batch(
        _ statements: [Statement], mode: TransactionMode, disablingForeignKeys: Bool
    ) async throws -> [ResultSet] {
        try await lock.withPermit {
            try await database.batch(statements, mode: mode, disablingForeignKeys: disablingForeignKeys)
        }
    }

    func executeMultiple(_ sql: String) async throws {
        try await lock.withPermit { try await database.executeScript(sql) }
    }

    func beginTransaction(_ mode: TransactionMode) async throws -> any TransactionBackend {
        try await lock.wait()
        do {
            _ = try await database.execute(Statement(mode.localBeginSQL))
        } catch {
            lock.signal()
            throw error
        }
        return LocalTransaction(database: database, lock: lock)
    }

    func query(_ statement: Statement) async throws -> any RowSource {
        if isMemory {
            return BufferedRowSource(rows: try await lock.withPermit { try await database.rows(statement) })
        }
        return try LocalQuery(path: path, statement: statement, busyTimeout: access.busyTimeout)
    }

    func close() async {
        await database.close()
    }
}

/// A local interactive transaction; holds the client's connection until it ends.
final class LocalTransaction: TransactionBackend {
    let database: LocalDatabase
    private let lock: AsyncSemaphore
    private let ended = Mutex(false)

    init(database: LocalDatabase, lock: AsyncSemaphore) {
        self.database = database
        self.lock = lock
    }

    private func checkActive() async throws {
        let autocommit = await database.isAutocommit
        if ended.withLock({ $0 }) || autocommit {
            throw LibSQLError(code: .transactionClosed, message: "The transaction is no longer active")
        }
    }

    func execute(_ statement: Statement) async throws -> ResultSet {
        try await checkActive()
        return try await database.execute(statement)
    }

    func batch(_ statements: [Statement]) async throws -> [ResultSet] {
        try await checkActive()
        var results: [ResultSet] = []
        for (index, statement) in statements.enumerated() {
            do {
                results.append(try await database.execute(statement))
            } catch var error as LibSQLError {
                error.statementIndex = index
                throw error
            }
        }
        return results
    }

    func executeMultiple(_ sql: String) async throws {
        try await checkActive()
        try await database.executeScript(sql)
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
        if await database.isAutocommit {
            throw LibSQLError(code: .transactionClosed, message: "The transaction was rolled back before COMMIT")
        }
        do {
            _ = try await database.execute("COMMIT")
        } catch {
            await database.rollback()
            throw error
        }
    }

    func rollback() async {
        guard end() else { return }
        await database.rollback()
        lock.signal()
    }
}

/// A streamed local query on its own read connection: rows are stepped in small chunks as they are consumed.
final class LocalQuery: RowSource, @unchecked Sendable {
    private let cursor: Cursor
    private var buffer: [Row] = []
    private var index = 0
    private var done = false

    /// Owns the connection and statement; used by one task at a time.
    actor Cursor {
        let connection: SQLiteConnection
        var prepared: SQLiteStatement?
        let layout: RowLayout
        let sql: String

        init(path: String, statement: Statement, busyTimeout: Duration) throws {
            do {
                connection = try SQLiteConnection(path: path, mode: .readOnly, create: false)
            } catch {
                throw LibSQLError(code: .sqliteCantOpen, message: "Could not open the database file: \(error.message)")
            }
            connection.setBusyTimeout(busyTimeout)
            let prepared = try LocalDatabase.prepare(statement, on: connection)
            self.prepared = prepared
            layout = LocalDatabase.layout(of: prepared)
            sql = statement.sql
        }

        func fetch(_ count: Int) throws -> [Row] {
            guard let prepared else { return [] }
            var rows: [Row] = []
            rows.reserveCapacity(count)
            do {
                while rows.count < count, try prepared.step() {
                    rows.append(Row(layout: layout, values: try prepared.row()))
                }
            } catch {
                finish()
                throw LocalDatabase.error(error, sql: sql, atPrepare: false)
            }
            if rows.count < count { finish() }
            return rows
        }

        func finish() {
            prepared = nil
            connection.close()
        }
    }

    init(path: String, statement: Statement, busyTimeout: Duration) throws {
        cursor = try Cursor(path: path, statement: statement, busyTimeout: busyTimeout)
    }

    func next() async throws -> Row? {
        if index >= buffer.count {
            guard !done else { return nil }
            buffer = try await cursor.fetch(256)
            index = 0
            if buffer.count < 256 { done = true }
            if buffer.isEmpty { return nil }
        }
        defer { index += 1 }
        return buffer[index]
    }

    func cancel() async {
        done = true
        await cursor.finish()
    }
}
