import Fixtures
import Foundation
import Hrana
import Testing
@testable import LibSQLServer

/// Replays what the `server-pipeline` fuzz target (`Fuzz/run.sh`) saved, and the recorded pipeline bodies,
/// through the same entry function; the database must still serve a new stream afterwards.
@Suite struct PipelineFuzzRegressionTests {
    @Test("saved server-pipeline inputs and recorded pipelines run or are refused, and the database stays usable")
    func replay() throws {
        var inputs = try Fixtures.fuzzInputs("server-pipeline").map(\.data)
        for body in try Fixtures.recordedBodies() where (try? HranaJSON.decode(PipelineRequest.self, from: body)) != nil {
            inputs.append(Data([0]) + body)
            inputs.append(Data([1]) + body)
        }
        #expect(inputs.count > 20)
        for input in inputs { PipelineFuzzEntries.pipeline(input) }
        let stream = try PipelineFuzzEntries.database.openStream()
        defer { stream.close() }
        let result = try stream.handle(.execute(Stmt(sql: "SELECT 1")), version: .v3)
        guard case .ok(.execute(let rows)) = result else {
            Issue.record("SELECT 1 failed after the replay: \(result)")
            return
        }
        #expect(rows.rows == [[.integer(1)]])
    }
}
