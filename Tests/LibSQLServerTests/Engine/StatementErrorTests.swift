import Foundation
import Synchronization
import Hrana
import Testing
@testable import LibSQLServer

extension EngineTests {
    @Suite struct StatementErrorTests {
        @Test(arguments: ["", "   ", "-- c", "/* block */", ";", " ; ; "])
        func textWithoutStatement(sql: String) throws {
            let harness = try EngineHarness()
            let error = try harness.openStream().failure(sql)
            #expect(error.code == "SQL_NO_STATEMENT")
            #expect(error.message == "SQL string does not contain any statement")
        }

        @Test(arguments: ["SELECT 1; SELECT 2", "SELECT 1; ; SELECT 2", "SELECT 1; garbage", "SELECT 1;; SELECT 2 -- x", "SELECT 1; -- c\nSELECT 2"])
        func textWithTwoStatements(sql: String) throws {
            let harness = try EngineHarness()
            let error = try harness.openStream().failure(sql)
            #expect(error.code == "SQL_MANY_STATEMENTS")
            #expect(error.message == "SQL string contains more than one statement")
        }

        @Test(arguments: ["SELECT 1;", "SELECT 1 -- trailing", "SELECT 1; /* c */ ;", " -- lead\nSELECT 1", "; SELECT 1"])
        func oneStatementWithTrimmings(sql: String) throws {
            let harness = try EngineHarness()
            #expect(try harness.openStream().query(sql).rows == [[.integer(1)]])
        }

        @Test func sqlErrorsAreMappedLikeSqld() throws {
            let harness = try EngineHarness()
            let session = try harness.openStream()
            let column = try session.failure("SELECT foobar")
            #expect(column.code == "SQL_INPUT_ERROR")
            #expect(column.message == "SQL input error: no such column: foobar (at offset 7)")
            #expect(try session.failure("SELEC 1").code == "SQL_INPUT_ERROR")
            let commit = try session.failure("COMMIT")
            #expect(commit.code == "SQLITE_UNKNOWN")
            #expect(commit.message == "SQLite error: cannot commit - no transaction is active")

            try session.query("CREATE TABLE t(a UNIQUE, b NOT NULL DEFAULT 0 CHECK (b >= 0))")
            try session.query("INSERT INTO t(a) VALUES (1)")
            let unique = try session.failure("INSERT INTO t(a) VALUES (1)")
            #expect(unique.code == "SQLITE_CONSTRAINT")
            #expect(unique.message == "SQLite error: UNIQUE constraint failed: t.a")
            #expect(try session.failure("INSERT INTO t VALUES (2, -1)").code == "SQLITE_CONSTRAINT")
            #expect(try session.failure("INSERT INTO t VALUES (3, NULL)").code == "SQLITE_CONSTRAINT")
            #expect(try session.failure("SELECT abs(-9223372036854775808)").code == "SQLITE_UNKNOWN")
        }

        @Test func interruptedStatementIsSQLiteInterrupt() throws {
            let harness = try EngineHarness()
            let session = try harness.openStream()
            let done = Atomic<Bool>(false)
            let stopped = DispatchSemaphore(value: 0)
            Thread {
                let start = ContinuousClock.now
                while ContinuousClock.now - start < .seconds(10) {
                    Thread.sleep(forTimeInterval: 0.05)
                    if done.load(ordering: .sequentiallyConsistent) { break }
                    session.interrupt()
                }
                stopped.signal()
            }.start()
            let error = try session.failure("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c")
            done.store(true, ordering: .sequentiallyConsistent)
            stopped.wait()
            #expect(error.code == "SQLITE_INTERRUPT")
            #expect(try session.scalar("SELECT 'next'") == .text("next"))
        }

        @Test func invalidUTF8IsAStatementError() throws {
            let harness = try EngineHarness()
            let session = try harness.openStream()
            try session.query("CREATE TABLE t(a TEXT)")
            try session.query("INSERT INTO t VALUES ('ok'), (CAST(x'ff' AS TEXT))")
            let error = try session.failure("SELECT a FROM t")
            #expect(error.code == "UNICODE_ERROR")
            #expect(try session.scalar("SELECT a FROM t WHERE rowid = 1") == .text("ok"))
        }
    }
}
