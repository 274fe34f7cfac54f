import Foundation
import Hrana
import Testing

/// Version knowledge: minimum versions and validation that names the offending request.
@Suite("Protocol versions")
struct ProtocolVersionTests {
    static let v3Batch = Batch(steps: [
        BatchStep(stmt: Stmt(sql: "BEGIN")),
        BatchStep(condition: .and([.ok(step: 0), .not(.isAutocommit)]), stmt: Stmt(sql: "SELECT 1")),
    ])

    @Test("minimum versions")
    func minimumVersions() {
        #expect(PipelineRequest(baton: nil, requests: []).minimumVersion == .v2)
        #expect(PipelineRequest(baton: nil, requests: [.close, .getAutocommit]).minimumVersion == .v3)
        #expect(StreamRequest.batch(Self.v3Batch).minimumVersion == .v3)
        #expect(BatchCondition.or([.ok(step: 0), .not(.error(step: 1))]).minimumVersion == .v2)
        #expect(ProtocolVersion.v3.pipelinePath == "v3/pipeline")
        #expect(ProtocolVersion.v2.pathComponent == "v2")
    }

    @Test("validation names the offending request")
    func validation() throws {
        let pipeline = PipelineRequest(baton: nil, requests: [.execute(Stmt(sql: "SELECT 1")), .batch(Self.v3Batch), .getAutocommit])
        try pipeline.validate(for: .v3)
        do {
            try pipeline.validate(for: .v2)
            Issue.record("a v3 pipeline validated for v2")
        } catch {
            #expect(error.path == "requests[1].batch.steps[1].condition")
            #expect(error.feature == "is_autocommit")
            #expect(error.requiredVersion == .v3)
            #expect(error.description.contains("requests[1].batch.steps[1].condition"))
        }
        do {
            try PipelineRequest(baton: nil, requests: [.close, .getAutocommit]).validate(for: .v2)
            Issue.record("get_autocommit validated for v2")
        } catch {
            #expect(error.path == "requests[1]")
            #expect(error.feature == "get_autocommit")
        }
        let cursor = CursorRequest(baton: nil, batch: Batch(steps: [BatchStep(stmt: Stmt(sql: "SELECT 1"))]))
        try cursor.validate(for: .v3)
        #expect(throws: UnsupportedFeatureError.self) { try cursor.validate(for: .v2) }
        do {
            try CursorRequest(baton: nil, batch: Self.v3Batch).validate(for: .v2)
        } catch {
            #expect(error.feature == "cursor")
        }
    }

    @Test("recorded v2-only exchanges 075/076 carry v3 features that validation catches")
    func recordedUnsupported() throws {
        for number in ["075", "076"] {
            let exchange = try Exchange.load("v2", number)
            let request = try HranaJSON.decode(PipelineRequest.self, from: try #require(exchange.requestBody).data)
            #expect(request.minimumVersion == .v3)
            #expect(throws: UnsupportedFeatureError.self) { try request.validate(for: .v2) }
        }
        for exchange in try Exchange.load("v2") where exchange.isPipeline && exchange.status == 200 {
            let request = try HranaJSON.decode(PipelineRequest.self, from: try #require(exchange.requestBody).data)
            try request.validate(for: .v2)
        }
    }

    @Test("condition references to the current or a later step are found")
    func stepReferences() {
        #expect(Self.v3Batch.firstInvalidStepReference == nil)
        let bad = Batch(steps: [
            BatchStep(stmt: Stmt(sql: "A")),
            BatchStep(condition: .or([.ok(step: 0), .not(.error(step: 1))]), stmt: Stmt(sql: "B")),
        ])
        #expect(bad.firstInvalidStepReference?.step == 1)
        #expect(bad.firstInvalidStepReference?.reference == 1)
        #expect(BatchCondition.and([.ok(step: 3), .not(.error(step: 5)), .isAutocommit]).stepReferences == [3, 5])
    }
}
