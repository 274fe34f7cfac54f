import Foundation
import Hrana
import Testing

/// Pooled connections must look fresh to the next client, as a new sqld connection does.
@Suite struct HTTPStreamPoolTests {
    private static let stateQuery = "SELECT last_insert_rowid(), changes(), total_changes()"
    private static let fresh: [[Value]] = [[.integer(0), .integer(0), .integer(0)]]

    @Test("a one-request stream does not see the rowid and change counts of the previous client")
    func oneRequestStreamSeesFreshCounters() async throws {
        try await ServerHarness.withServer { harness in
            _ = try await harness.query("CREATE TABLE t(a)")
            for round in 0..<5 {
                let insert = try await harness.query("INSERT INTO t VALUES (?), (?)", [.integer(1), .integer(2)])
                #expect(insert.affectedRowCount == 2)
                let state = try await harness.query(Self.stateQuery)
                #expect(state.rows == Self.fresh, "round \(round)")
            }
        }
    }

    @Test("a stream kept open with its baton does not see the counters of the previous client")
    func batonStreamSeesFreshCounters() async throws {
        try await ServerHarness.withServer { harness in
            _ = try await harness.query("CREATE TABLE t(a)")
            for round in 0..<5 {
                _ = try await harness.query("INSERT INTO t VALUES (1)")
                let first = try await harness.pipeline([.execute(Stmt(sql: "SELECT 1"))])
                let second = try await harness.pipeline([.execute(Stmt(sql: Self.stateQuery)), .close], baton: first.baton)
                #expect(second.results.first?.okStmt?.rows == Self.fresh, "round \(round)")
            }
        }
    }
}
