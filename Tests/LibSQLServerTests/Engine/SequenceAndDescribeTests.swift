import Hrana
import Testing
@testable import LibSQLServer

extension EngineTests {
    @Suite struct SequenceAndDescribeTests {
        @Test func sequenceRunsEveryStatement() throws {
            let harness = try EngineHarness()
            let session = try harness.openStream()
            #expect(try session.handle(.sequence(sql: "CREATE TABLE a(x); INSERT INTO a VALUES (1); -- done", sqlID: nil), version: .v3) == .ok(.sequence))
            #expect(try session.scalar("SELECT count(*) FROM a") == .integer(1))
            #expect(try session.handle(.sequence(sql: "", sqlID: nil), version: .v3) == .ok(.sequence))
            #expect(try session.handle(.sequence(sql: " -- nothing ", sqlID: nil), version: .v3) == .ok(.sequence))
        }

        @Test func sequenceStopsAtTheFirstFailure() throws {
            let harness = try EngineHarness()
            let session = try harness.openStream()
            try session.query("CREATE TABLE a(x)")
            let result = try session.handle(.sequence(
                sql: "INSERT INTO a VALUES (1); INSERT INTO missing VALUES (2); INSERT INTO a VALUES (3);", sqlID: nil), version: .v3)
            guard case .error(let error) = result else { Issue.record("\(result)"); return }
            #expect(error.code == "SQLITE_UNKNOWN")
            #expect(error.message == "SQLite error: no such table: missing")
            #expect(try session.query("SELECT x FROM a").rows == [[.integer(1)]])
        }

        @Test func sequenceAcceptsBeginReadonly() throws {
            let harness = try EngineHarness()
            let session = try harness.openStream()
            #expect(try session.handle(.sequence(sql: "BEGIN READONLY; SELECT 1;", sqlID: nil), version: .v3) == .ok(.sequence))
            #expect(!session.isAutocommit)
        }

        @Test func describeReportsParamsColumnsAndFlags() throws {
            let harness = try EngineHarness()
            let session = try harness.openStream()
            try session.query("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT)")
            let result = try session.handle(.describe(sql: "SELECT id, name AS n, id + 1 FROM t WHERE id = :a OR id = ? OR id = ?5", sqlID: nil), version: .v3)
            guard case .ok(.describe(let describe)) = result else { Issue.record("\(result)"); return }
            #expect(describe.params.map(\.name) == [":a", nil, nil, nil, "?5"])
            #expect(describe.cols == [Column(name: "id", decltype: "INTEGER"), Column(name: "n", decltype: "TEXT"), Column(name: "id + 1", decltype: nil)])
            #expect(describe.isReadonly && !describe.isExplain)

            let insert = try session.handle(.describe(sql: "INSERT INTO t(name) VALUES (?)", sqlID: nil), version: .v3)
            #expect(insert == .ok(.describe(DescribeResult(params: [.init(name: nil)], cols: [], isExplain: false, isReadonly: false))))
            // Not executed.
            #expect(try session.scalar("SELECT count(*) FROM t") == .integer(0))

            let explain = try session.handle(.describe(sql: "EXPLAIN SELECT 1", sqlID: nil), version: .v3)
            guard case .ok(.describe(let explainResult)) = explain else { Issue.record("\(explain)"); return }
            #expect(explainResult.isExplain)

            for bad in ["SELEC broken", "", "SELECT 1; SELECT 2"] {
                guard case .error = try session.handle(.describe(sql: bad, sqlID: nil), version: .v3) else {
                    Issue.record("describe \(bad) did not fail")
                    continue
                }
            }
        }
    }
}
