import Foundation
import Hrana
import LibSQLServer
import Testing

@Suite("Batches over HTTP")
struct HTTPBatchTests {
    private func batch(_ steps: [BatchStep]) -> StreamRequest { .batch(Batch(steps: steps)) }

    @Test("a failing middle step does not stop the batch (checklist 17)")
    func middleStepFails() async throws {
        try await ServerHarness.withServer { harness in
            let response = try await harness.pipeline([
                batch([
                    BatchStep(stmt: Stmt(sql: "SELECT 1")), BatchStep(stmt: Stmt(sql: "SELECT foobar")),
                    BatchStep(stmt: Stmt(sql: "SELECT 2")),
                ]), .close,
            ])
            let result = try #require(response.results.first?.okBatch)
            #expect(result.stepResults.map { $0 != nil } == [true, false, true])
            #expect(result.stepErrors.map { $0 != nil } == [false, true, false])
        }
    }

    @Test("condition semantics (checklist 18)")
    func conditions() async throws {
        try await ServerHarness.withServer { harness in
            let steps: [BatchStep] = [
                BatchStep(stmt: Stmt(sql: "SELECT 1")),  // 0 ok
                BatchStep(stmt: Stmt(sql: "SELECT foobar")),  // 1 error
                BatchStep(condition: .ok(step: 1), stmt: Stmt(sql: "SELECT 2")),  // 2 skipped
                BatchStep(condition: .ok(step: 0), stmt: Stmt(sql: "SELECT 3")),  // 3 runs
                BatchStep(condition: .error(step: 1), stmt: Stmt(sql: "SELECT 4")),  // 4 runs
                BatchStep(condition: .error(step: 0), stmt: Stmt(sql: "SELECT 5")),  // 5 skipped
                BatchStep(condition: .and([]), stmt: Stmt(sql: "SELECT 6")),  // 6 runs
                BatchStep(condition: .or([]), stmt: Stmt(sql: "SELECT 7")),  // 7 skipped
                BatchStep(condition: .not(.not(.ok(step: 0))), stmt: Stmt(sql: "SELECT 8")),  // 8 runs
                BatchStep(condition: .error(step: 2), stmt: Stmt(sql: "SELECT 9")),  // 9: error(skipped) = false
            ]
            let response = try await harness.pipeline([batch(steps), .close])
            let result = try #require(response.results.first?.okBatch)
            #expect(result.stepResults.map { $0 != nil } == [true, false, false, true, true, false, true, false, true, false])
        }
    }

    @Test("a condition referring to a later step fails the request with 400 (checklist 19)")
    func forwardReference() async throws {
        try await ServerHarness.withServer { harness in
            let response = try await harness.rawPipeline([
                batch([BatchStep(condition: .ok(step: 0), stmt: Stmt(sql: "SELECT 1"))]),
            ])
            #expect(response.status == 400)
            #expect(response.contentType == "text/plain")
        }
    }

    @Test("is_autocommit conditions and get_autocommit (checklists 20, 34)")
    func autocommit() async throws {
        try await ServerHarness.withServer { harness in
            let response = try await harness.pipeline([
                .execute(Stmt(sql: "CREATE TABLE a(x UNIQUE)")),
                .execute(Stmt(sql: "INSERT INTO a VALUES (1)")),
                .getAutocommit,
                batch([
                    BatchStep(condition: .isAutocommit, stmt: Stmt(sql: "SELECT 'auto'")),
                    BatchStep(stmt: Stmt(sql: "BEGIN")),
                    BatchStep(condition: .isAutocommit, stmt: Stmt(sql: "SELECT 'skipped'")),
                    BatchStep(stmt: Stmt(sql: "INSERT OR ROLLBACK INTO a VALUES (1)")),
                    BatchStep(condition: .isAutocommit, stmt: Stmt(sql: "SELECT 'rolled back'")),
                ]),
                .execute(Stmt(sql: "BEGIN")),
                .getAutocommit,
                .close,
            ])
            #expect(response.results[2] == .ok(.getAutocommit(isAutocommit: true)))
            let result = try #require(response.results[3].okBatch)
            #expect(result.stepResults.map { $0 != nil } == [true, true, false, false, true])
            #expect(result.stepErrors[3] != nil)
            #expect(response.results[5] == .ok(.getAutocommit(isAutocommit: false)))
        }
    }

    @Test("Hrana 3 features are rejected on /v2/pipeline (checklist 21)")
    func versionGating() async throws {
        try await ServerHarness.withServer { harness in
            let getAutocommit = try await harness.rawPipeline([.getAutocommit], version: .v2)
            #expect(getAutocommit.status == 400)
            #expect(getAutocommit.contentType == "text/plain")
            let condition = try await harness.rawPipeline(
                [batch([BatchStep(condition: .not(.isAutocommit), stmt: Stmt(sql: "SELECT 1"))])], version: .v2)
            #expect(condition.status == 400)
            let ok = try await harness.rawPipeline([.getAutocommit, .close], version: .v3)
            #expect(ok.status == 200)
        }
    }

    @Test("a libsql-client-ts write batch with a failing step leaves the database unchanged (checklist 22)")
    func lctsRollback() async throws {
        try await ServerHarness.withServer { harness in
            _ = try await harness.query("CREATE TABLE t(x UNIQUE)")
            _ = try await harness.query("INSERT INTO t VALUES (1)")
            let statements = ["INSERT INTO t VALUES (2)", "INSERT INTO t VALUES (1)", "INSERT INTO t VALUES (3)"]
            var steps = [BatchStep(stmt: Stmt(sql: "BEGIN IMMEDIATE", wantRows: false))]
            for (index, sql) in statements.enumerated() {
                steps.append(BatchStep(
                    condition: .and([.ok(step: UInt32(index)), .not(.isAutocommit)]), stmt: Stmt(sql: sql)))
            }
            steps.append(BatchStep(condition: .and([.ok(step: 3), .not(.isAutocommit)]), stmt: Stmt(sql: "COMMIT")))
            steps.append(BatchStep(condition: .not(.ok(step: 4)), stmt: Stmt(sql: "ROLLBACK")))
            let response = try await harness.pipeline([batch(steps), .close])
            let result = try #require(response.results.first?.okBatch)
            #expect(result.stepResults.map { $0 != nil } == [true, true, false, false, false, true])
            let rows = try await harness.query("SELECT x FROM t ORDER BY x").rows
            #expect(rows == [[.integer(1)]])
        }
    }

    @Test("a 1,000-step batch (checklist 23)")
    func thousandSteps() async throws {
        try await ServerHarness.withServer { harness in
            var steps = [
                BatchStep(stmt: Stmt(sql: "CREATE TABLE big(n)")), BatchStep(stmt: Stmt(sql: "BEGIN")),
            ]
            for index in 0..<997 {
                steps.append(BatchStep(stmt: Stmt(sql: "INSERT INTO big VALUES (?)", args: [.integer(Int64(index))])))
            }
            steps.append(BatchStep(stmt: Stmt(sql: "COMMIT")))
            #expect(steps.count == 1000)
            let response = try await harness.pipeline([batch(steps), .close])
            let result = try #require(response.results.first?.okBatch)
            #expect(result.stepResults.count == 1000)
            #expect(result.stepErrors.allSatisfy { $0 == nil })
            let count = try await harness.query("SELECT count(*), sum(n) FROM big").rows
            #expect(count == [[.integer(997), .integer(Int64(996 * 997 / 2))]])
        }
    }
}
