import Foundation
import Hrana
import SQLiteCore
import Testing
@testable import LibSQLServer

extension EngineTests {
    /// Inline runs: cheap queries run on the caller's thread; everything else is refused untouched, to run
    /// again on a worker thread.
    @Suite struct InlineExecutionTests {
        static let limit: Duration = .milliseconds(100)
        /// A query that runs for far longer than a millisecond.
        static let slowCount = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000) SELECT count(*) FROM n"

        @Test func aShortQueryRunsInline() throws {
            let harness = try EngineHarness()
            let session = try harness.openStream()
            try session.query("CREATE TABLE t(a INTEGER, b TEXT)")
            try session.query("INSERT INTO t VALUES (?, ?)", [.integer(7), .text("seven")])
            let inline = try session.handleInline(
                .execute(stmt("SELECT a, b FROM t WHERE a = ?", [.integer(7)])), version: .v3, limit: Self.limit)
            guard case .ok(.execute(let result))? = inline else {
                Issue.record("expected an inline result, got \(String(describing: inline))")
                return
            }
            #expect(result.cols.map(\.decltype) == ["INTEGER", "TEXT"])
            #expect(result.rows == [[.integer(7), .text("seven")]])
            #expect(result.rowsRead == 1)
            #expect(try session.handleInline(.getAutocommit, version: .v3, limit: Self.limit)
                == .ok(.getAutocommit(isAutocommit: true)))
        }

        @Test func statementErrorsOfQueriesAreAnsweredInline() throws {
            let harness = try EngineHarness()
            let session = try harness.openStream()
            let missing = try session.handleInline(.execute(stmt("SELECT * FROM missing")), version: .v3, limit: Self.limit)
            #expect(missing == .error(try session.failure("SELECT * FROM missing")))
            let args = try session.handleInline(.execute(stmt("SELECT ?", [])), version: .v3, limit: Self.limit)
            #expect(args.map { if case .error = $0 { true } else { false } } == true)
            #expect(throws: StreamFailure.self) {
                try session.handleInline(.execute(Stmt(sqlID: 9)), version: .v3, limit: Self.limit)
            }
        }

        @Test(arguments: [
            "INSERT INTO t VALUES (1)", "UPDATE t SET a = 2", "DELETE FROM t", "CREATE TABLE u(x)",
            "BEGIN", "BEGIN IMMEDIATE", "PRAGMA user_version = 3", "WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x",
        ])
        func writesAndTransactionControlAreLeftForAWorker(sql: String) throws {
            let harness = try EngineHarness()
            let session = try harness.openStream()
            try session.query("CREATE TABLE t(a)")
            #expect(try session.handleInline(.execute(stmt(sql)), version: .v3, limit: Self.limit) == nil)
            #expect(session.isAutocommit)
            #expect(try session.scalar("SELECT count(*) FROM t") == .integer(0))
            #expect(try session.scalar("PRAGMA user_version") == .integer(0))
            #expect(try session.handleInline(.execute(stmt("SELECT count(*) FROM u")), version: .v3, limit: Self.limit)
                .map { if case .error = $0 { true } else { false } } == true)
        }

        @Test func aQueryThatOutrunsTheLimitIsStoppedAndRunsAgainOnAWorker() throws {
            let harness = try EngineHarness()
            let session = try harness.openStream()
            let start = ContinuousClock.now
            #expect(try session.handleInline(.execute(stmt(Self.slowCount)), version: .v3, limit: .milliseconds(1)) == nil)
            #expect(ContinuousClock.now - start < .milliseconds(500))
            #expect(session.isAutocommit)
            #expect(try session.scalar(Self.slowCount) == .integer(3_000_000))
            // The limit is per run: the next short query runs inline again, and worker runs have none.
            #expect(try session.handleInline(.execute(stmt("SELECT 1")), version: .v3, limit: Self.limit) != nil)
        }

        @Test func queriesInsideATransactionAreLeftForAWorker() throws {
            let harness = try EngineHarness()
            let session = try harness.openStream()
            try session.query("CREATE TABLE t(a)")
            try session.query("BEGIN")
            try session.query("INSERT INTO t VALUES (1)")
            #expect(try session.handleInline(.execute(stmt("SELECT count(*) FROM t")), version: .v3, limit: Self.limit) == nil)
            #expect(!session.isAutocommit)
            #expect(try session.scalar("SELECT count(*) FROM t") == .integer(1))
            try session.query("ROLLBACK")
        }

        @Test func aQueryThatWouldWaitForALockGivesUpAtOnce() throws {
            let harness = try EngineHarness { $0.busyTimeout = .seconds(3) }
            let session = try harness.openStream()
            // WAL readers never wait, so the lock is on an attached database in rollback-journal mode.
            let otherPath = harness.folder.appendingPathComponent("other.sqlite").path
            try session.query("ATTACH DATABASE ? AS other", [.text(otherPath)])
            try session.query("CREATE TABLE other.t(a)")
            let holder = try SQLiteConnection(path: otherPath)
            defer { holder.close() }
            try holder.execute(script: "BEGIN EXCLUSIVE; INSERT INTO t VALUES (1)")
            let start = ContinuousClock.now
            #expect(try session.handleInline(.execute(stmt("SELECT count(*) FROM other.t")), version: .v3, limit: Self.limit) == nil)
            #expect(ContinuousClock.now - start < .seconds(1), "an inline run must not sleep in the busy handler")
            try holder.execute(script: "COMMIT")
            #expect(try session.scalar("SELECT count(*) FROM other.t") == .integer(1))
        }
    }
}
