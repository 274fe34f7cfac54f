import Fixtures
import Foundation
import Gzip
import Testing

/// Replays what the gzip fuzz target (`Fuzz/run.sh`) saved, and compressed recorded bodies, truncated and
/// flipped, through the same entry function: none may trap or exceed the output limit.
@Suite struct GzipFuzzRegressionTests {
    @Test("saved gzip fuzz inputs, and damaged compressed bodies, end in output or a typed error")
    func replay() throws {
        var inputs = try Fixtures.fuzzInputs("gzip").map(\.data)
        for body in try Fixtures.recordedBodies().prefix(40) {
            var compressor = GzipCompressor(level: 6)
            let compressed = compressor.feed(Array(body)) + compressor.finish()
            inputs.append(Data([0]) + compressed)
            inputs.append(Data([0]) + compressed.prefix(compressed.count / 2))
            var flipped = compressed
            flipped[flipped.count / 2] ^= 0x5A
            inputs.append(Data([4 | 3]) + flipped)
        }
        #expect(inputs.count >= 120)
        for input in inputs { GzipFuzzEntries.decompress(input) }
    }
}
