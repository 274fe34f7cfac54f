import Hrana
import Testing
@testable import LibSQLServer

extension EngineTests {
    @Suite struct ResponseLimitTests {
        @Test func executeOverTheLimitIsResponseTooLarge() throws {
            let harness = try EngineHarness { $0.maxResponseSize = 10_000 }
            let session = try harness.openStream()
            let error = try session.failure("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 1000) SELECT printf('%050d', x) FROM c")
            #expect(error.code == "RESPONSE_TOO_LARGE")
            #expect(error.message == "Response is too large")
            #expect(try session.query("SELECT printf('%050d', 1)").rows.count == 1)
            // want_rows:false returns no rows, so there is nothing to limit.
            let noRows = try session.query("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 1000) SELECT printf('%050d', x) FROM c", wantRows: false)
            #expect(noRows.rows.isEmpty)
        }

        @Test func batchOverTheLimitFailsAsAWhole() throws {
            let harness = try EngineHarness { $0.maxResponseSize = 10_000 }
            let session = try harness.openStream()
            let step = BatchStep(stmt: stmt("SELECT zeroblob(3000)"))
            let small = try session.batch([step])
            #expect(small.stepResults.count == 1)
            let result = try session.handle(.batch(Batch(steps: [step, step, step, step])), version: .v3)
            #expect(result == .error(EngineError.responseTooLarge))
        }
    }
}
