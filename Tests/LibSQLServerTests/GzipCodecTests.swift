import Fixtures
import Foundation
import Gzip
import Testing

@Suite("Gzip")
struct GzipCodecTests {
    private let text = Array(String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 500).utf8)

    @Test("compress then decompress round-trips, including empty input")
    func roundTrip() throws {
        for input in [text, [], [0x00], (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 7919) }] {
            let compressed = Gzip.compress(input)
            #expect(compressed.prefix(2) == [0x1F, 0x8B])
            #expect(try Gzip.decompress(compressed) == input)
        }
        #expect(Gzip.compress(text).count < text.count / 10)
        let data = Data(text)
        #expect(try Gzip.decompress(Gzip.compress(data)) == data)
    }

    @Test("streaming decompression in small chunks and concatenated members")
    func streaming() throws {
        let compressed = Gzip.compress(text) + Gzip.compress(Array("tail".utf8))
        var decompressor = try GzipDecompressor(format: .gzip)
        var output: [UInt8] = []
        var index = 0
        while index < compressed.count {
            let end = min(index + 7, compressed.count)
            output += try decompressor.feed(compressed[index..<end])
            index = end
        }
        output += try decompressor.finish()
        #expect(output == text + Array("tail".utf8))
        #expect(decompressor.totalOutput == output.count)
    }

    @Test("automatic format detects gzip")
    func automatic() throws {
        #expect(try Gzip.decompress(Gzip.compress(text), format: .automatic) == text)
    }

    @Test("a zip bomb stops at the output limit")
    func outputLimit() throws {
        let bomb = Gzip.compress([UInt8](repeating: 0, count: 10_000_000))
        #expect(bomb.count < 20_000)
        #expect(throws: GzipError.outputTooLarge(limit: 1_000_000)) {
            _ = try Gzip.decompress(bomb, maxOutputSize: 1_000_000)
        }
        var decompressor = try GzipDecompressor(maxOutputSize: 100)
        #expect(throws: GzipError.outputTooLarge(limit: 100)) { _ = try decompressor.feed(bomb) }
    }

    @Test("corrupt and truncated input fail")
    func corrupt() throws {
        #expect(throws: GzipError.self) { _ = try Gzip.decompress(Array("not gzip at all".utf8)) }
        let compressed = Gzip.compress(text)
        #expect(throws: GzipError.truncated) { _ = try Gzip.decompress(Array(compressed.dropLast(10))) }
        var flipped = compressed
        flipped[flipped.count / 2] ^= 0xFF
        #expect(throws: GzipError.self) { _ = try Gzip.decompress(flipped) }
    }
}

@Suite("Gzip streaming compressor")
struct GzipCompressorTests {
    private func sampleInput(using generator: inout SeededGenerator) -> [UInt8] {
        var input: [UInt8] = []
        for index in 0..<3_000 {
            input += Array(#"{"type":"row","row":[{"type":"integer","value":"\#(index)"}]}"#.utf8) + [0x0A]
            if index % 500 == 0 { input += (0..<4_000).map { _ in UInt8.random(in: 0...255, using: &generator) } }
        }
        return input
    }

    @Test("random chunks decompress to the input, and every feed ends at a flush point", arguments: [1, 2, 3])
    func flushPoints(seed: UInt64) throws {
        var generator = SeededGenerator(seed: seed)
        let input = sampleInput(using: &generator)
        var compressor = GzipCompressor(level: 5)
        var decompressor = try GzipDecompressor(format: .gzip)
        var compressed: [UInt8] = []
        var decoded: [UInt8] = []
        var fed = 0
        var feeds = 0
        while fed < input.count, feeds < 10_000 {
            let size = Int.random(in: 0...min(40_000, input.count - fed), using: &generator)
            let output = compressor.feed(input[fed..<fed + size])
            fed += size
            feeds += 1
            compressed += output
            decoded += try decompressor.feed(output)
            #expect(decoded.count == fed, "after feed \(feeds)")
            try #require(decoded == Array(input[..<fed]), "the bytes so far decode to everything fed so far")
        }
        #expect(fed == input.count)
        let completeBeforeFinish = decompressor.isComplete
        #expect(!completeBeforeFinish)
        let trailer = compressor.finish()
        #expect(!trailer.isEmpty)
        #expect(compressor.finish().isEmpty, "finishing twice adds nothing")
        decoded += try decompressor.feed(trailer)
        decoded += try decompressor.finish()
        #expect(decoded == input)
        #expect(try Gzip.decompress(compressed + trailer) == input)
        #expect(compressed.prefix(2) == [0x1F, 0x8B])
        #expect(compressed.count + trailer.count < input.count)
    }

    @Test("a stream without its trailer is truncated; empty input still makes a valid member")
    func trailer() throws {
        var compressor = GzipCompressor()
        let text = Array(String(repeating: "line\n", count: 1_000).utf8)
        let body = compressor.feed(text)
        #expect(throws: GzipError.truncated) { _ = try Gzip.decompress(body) }
        #expect(try Gzip.decompress(body + compressor.finish()) == text)

        var empty = GzipCompressor()
        let nothing = empty.feed([UInt8]())
        #expect(try Gzip.decompress(nothing + empty.finish()) == [])
    }
}
