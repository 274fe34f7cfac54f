import Foundation
import Hrana
import Testing

/// `BEGIN TRANSACTION READONLY` (libsql-client-ts and our client's `read` mode) opens a transaction that refuses writes.
@Suite struct HTTPReadOnlyTransactionTests {
    /// A `read` batch as libsql-client-ts builds it: BEGIN, the statements, COMMIT, ROLLBACK on failure.
    private static func readBatch(_ statements: [String]) -> Batch {
        var steps = [BatchStep(stmt: Stmt(sql: "BEGIN TRANSACTION READONLY", wantRows: false))]
        for (offset, sql) in statements.enumerated() {
            steps.append(BatchStep(
                condition: .and([.ok(step: UInt32(offset)), .not(.isAutocommit)]), stmt: Stmt(sql: sql)))
        }
        let last = UInt32(statements.count)
        steps.append(BatchStep(condition: .and([.ok(step: last), .not(.isAutocommit)]), stmt: Stmt(sql: "COMMIT")))
        steps.append(BatchStep(condition: .not(.ok(step: last + 1)), stmt: Stmt(sql: "ROLLBACK")))
        return Batch(steps: steps)
    }

    @Test("a write in a read batch fails with SQLITE_READONLY and changes nothing")
    func writeInReadBatchFails() async throws {
        try await ServerHarness.withServer { harness in
            _ = try await harness.query("CREATE TABLE t(a)")
            _ = try await harness.query("INSERT INTO t VALUES (1)")
            let response = try await harness.pipeline([
                .batch(Self.readBatch(["SELECT count(*) FROM t", "INSERT INTO t VALUES (2)", "SELECT 1"])), .close,
            ])
            let batch = try #require(response.results.first?.okBatch)
            #expect(batch.stepResults[1]?.rows == [[.integer(1)]])
            let error = try #require(batch.stepErrors[2])
            #expect(error.code == "SQLITE_READONLY")
            #expect(batch.stepResults[3] == nil && batch.stepErrors[3] == nil)
            #expect(batch.stepResults[4] == nil, "COMMIT is skipped")
            #expect(batch.stepErrors[5] == nil && batch.stepResults[5] != nil, "ROLLBACK runs")
            #expect(try await harness.query("SELECT count(*) FROM t").rows == [[.integer(1)]])
        }
    }

    @Test("writes are refused in every request form of a read transaction, and allowed again after it")
    func readTransactionAcrossRequests() async throws {
        try await ServerHarness.withServer { harness in
            _ = try await harness.query("CREATE TABLE t(a)")
            let begin = try await harness.pipeline([.execute(Stmt(sql: "begin readonly"))])
            let writes = try await harness.pipeline([
                .execute(Stmt(sql: "UPDATE t SET a = 1")),
                .sequence(sql: "SELECT 1; DELETE FROM t", sqlID: nil),
                .execute(Stmt(sql: "CREATE TABLE u(b)")),
                .execute(Stmt(sql: "SELECT count(*) FROM t")),
                .execute(Stmt(sql: "COMMIT")),
                .execute(Stmt(sql: "INSERT INTO t VALUES (7)")),
            ], baton: begin.baton)
            #expect(writes.results[0].failure?.code == "SQLITE_READONLY")
            #expect(writes.results[1].failure?.code == "SQLITE_READONLY")
            #expect(writes.results[2].failure?.code == "SQLITE_READONLY")
            #expect(writes.results[3].okStmt?.rows == [[.integer(0)]])
            #expect(writes.results[4].failure == nil)
            #expect(writes.results[5].okStmt?.affectedRowCount == 1)
            _ = try await harness.pipeline([.close], baton: writes.baton)
            #expect(try await harness.query("SELECT a FROM t").rows == [[.integer(7)]])
        }
    }

    @Test("a deferred transaction still writes")
    func deferredTransactionWrites() async throws {
        try await ServerHarness.withServer { harness in
            _ = try await harness.query("CREATE TABLE t(a)")
            let response = try await harness.pipeline([
                .execute(Stmt(sql: "BEGIN DEFERRED")), .execute(Stmt(sql: "INSERT INTO t VALUES (1)")),
                .execute(Stmt(sql: "COMMIT")), .close,
            ])
            #expect(response.results.allSatisfy { $0.failure == nil }, "\(response.results)")
        }
    }
}
