import CSQLite
import Foundation
import Hrana
import SQLiteCore
import Testing

@Suite struct ConnectionTests {
    @Test func prepareReturnsTailAndNilForEmptyText() throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let connection = try SQLiteConnection(path: database.path)
        let (first, tail) = try connection.prepare("SELECT 1; SELECT 2")
        #expect(first != nil)
        #expect(tail == " SELECT 2")
        let (empty, emptyTail) = try connection.prepare("  -- only a comment")
        #expect(empty == nil)
        #expect(emptyTail == "")
    }

    @Test func errorsCarryCodesNamesAndOffsets() throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let connection = try SQLiteConnection(path: database.path)
        let syntax = #expect(throws: SQLiteError.self) { try connection.prepare("SELECT foobar") }
        #expect(syntax?.code == SQLITE_ERROR)
        #expect(syntax?.primaryCodeName == "SQLITE_ERROR")
        #expect(syntax?.message == "no such column: foobar")
        #expect(syntax?.offset == 7)

        try connection.execute(script: "CREATE TABLE t(a UNIQUE NOT NULL); INSERT INTO t VALUES (1);")
        let unique = #expect(throws: SQLiteError.self) { try connection.execute(script: "INSERT INTO t VALUES (1)") }
        #expect(unique?.code == SQLITE_CONSTRAINT)
        #expect(unique?.extendedCode == 2067)
        #expect(unique?.primaryCodeName == "SQLITE_CONSTRAINT")
        #expect(unique?.extendedCodeName == "SQLITE_CONSTRAINT_UNIQUE")
        #expect(unique?.message.contains("UNIQUE constraint failed: t.a") == true)

        let notNull = #expect(throws: SQLiteError.self) { try connection.execute(script: "INSERT INTO t VALUES (NULL)") }
        #expect(notNull?.extendedCodeName == "SQLITE_CONSTRAINT_NOTNULL")
    }

    @Test func transactionStateAndAutocommit() throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let connection = try SQLiteConnection(path: database.path)
        try connection.execute(script: "CREATE TABLE t(a)")
        #expect(connection.isAutocommit)
        #expect(connection.transactionState == .none)
        try connection.execute(script: "BEGIN; SELECT * FROM t;")
        #expect(!connection.isAutocommit)
        #expect(connection.transactionState == .read)
        try connection.execute(script: "INSERT INTO t VALUES (1)")
        #expect(connection.transactionState == .write)
        #expect(connection.totalChanges == 1)
        try connection.execute(script: "ROLLBACK")
        #expect(connection.isAutocommit)
        #expect(connection.transactionState == .none)
    }

    @Test func walModeAndConcurrentReader() throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let writer = try SQLiteConnection(path: database.path)
        #expect(try writer.enableWAL() == "wal")
        try writer.execute(script: "CREATE TABLE t(a); BEGIN; INSERT INTO t VALUES (1);")
        let reader = try SQLiteConnection(path: database.path, mode: .readOnly)
        let count = try #require(try reader.prepare("SELECT count(*) FROM t").statement)
        #expect(try count.step())
        #expect(try count.value(at: 0) == .integer(0))
        try writer.execute(script: "COMMIT")
        count.reset()
        #expect(try count.step())
        #expect(try count.value(at: 0) == .integer(1))
        count.reset()
        try writer.checkpoint()
        #expect(FileManager.default.fileExists(atPath: database.path + "-wal"))
    }

    @Test func readOnlyConnectionRejectsWrites() throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        try SQLiteConnection(path: database.path).execute(script: "CREATE TABLE t(a)")
        let reader = try SQLiteConnection(path: database.path, mode: .readOnly)
        let error = #expect(throws: SQLiteError.self) { try reader.execute(script: "INSERT INTO t VALUES (1)") }
        #expect(error?.primaryCodeName == "SQLITE_READONLY")
        #expect(throws: SQLiteError.self) {
            try SQLiteConnection(path: database.folder.appendingPathComponent("missing.db").path, create: false)
        }
    }

    @Test func lengthLimitGivesTooBig() throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let connection = try SQLiteConnection(path: database.path)
        connection.setLimit(.length, 100)
        #expect(connection.limit(.length) == 100)
        let statement = try #require(try connection.prepare("SELECT ?").statement)
        let error = #expect(throws: SQLiteError.self) { try statement.bind(.text(String(repeating: "x", count: 101)), at: 1) }
        #expect(error?.primaryCodeName == "SQLITE_TOOBIG")
        let zeroblob = #expect(throws: SQLiteError.self) { try connection.execute(script: "SELECT zeroblob(1000)") }
        #expect(zeroblob?.primaryCodeName == "SQLITE_TOOBIG")
    }

    @Test func interruptFromAnotherThreadStopsALongQuery() throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let connection = try SQLiteConnection(path: database.path)
        let statement = try #require(try connection.prepare(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c").statement)
        let done = Flag()
        let stopped = DispatchSemaphore(value: 0)
        Thread {
            let start = ContinuousClock.now
            while ContinuousClock.now - start < .seconds(10) {
                Thread.sleep(forTimeInterval: 0.05)
                if done.isSet { break }
                connection.interrupt()
            }
            stopped.signal()
        }.start()
        let start = ContinuousClock.now
        let error = #expect(throws: SQLiteError.self) { _ = try statement.step() }
        done.set()
        stopped.wait()
        #expect(error?.primaryCodeName == "SQLITE_INTERRUPT")
        #expect(ContinuousClock.now - start < .seconds(5))
        statement.reset()
        // A later statement runs normally: an interrupt does not stick to an idle connection.
        connection.interrupt()
        let next = try #require(try connection.prepare("SELECT 1").statement)
        #expect(try next.step())
    }

    @Test func busyTimeoutAndBusyHandler() throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let holder = try SQLiteConnection(path: database.path)
        try holder.enableWAL()
        try holder.execute(script: "CREATE TABLE t(a); BEGIN IMMEDIATE; INSERT INTO t VALUES (1);")

        let waiter = try SQLiteConnection(path: database.path)
        waiter.setBusyTimeout(.milliseconds(100))
        let start = ContinuousClock.now
        let error = #expect(throws: SQLiteError.self) { try waiter.execute(script: "BEGIN IMMEDIATE") }
        #expect(error?.primaryCodeName == "SQLITE_BUSY")
        #expect(ContinuousClock.now - start >= .milliseconds(90))

        let calls = Calls()
        waiter.setBusyHandler { count in
            calls.add()
            if count == 3 { try? holder.execute(script: "COMMIT") }
            return count < 10
        }
        try waiter.execute(script: "BEGIN IMMEDIATE; INSERT INTO t VALUES (2); COMMIT;")
        #expect(calls.count == 4)
        let total = try #require(try waiter.prepare("SELECT count(*) FROM t").statement)
        #expect(try total.step())
        #expect(try total.value(at: 0) == .integer(2))
    }

    @Test func closeRollsBackAndIsIdempotent() throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let connection = try SQLiteConnection(path: database.path)
        try connection.execute(script: "CREATE TABLE t(a); BEGIN; INSERT INTO t VALUES (1);")
        connection.close()
        connection.close()
        connection.interrupt()
        #expect(connection.isClosed)
        let other = try SQLiteConnection(path: database.path)
        let count = try #require(try other.prepare("SELECT count(*) FROM t").statement)
        #expect(try count.step())
        #expect(try count.value(at: 0) == .integer(0))
    }
}

private final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}

private final class Calls: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func add() { lock.withLock { value += 1 } }
    var count: Int { lock.withLock { value } }
}
