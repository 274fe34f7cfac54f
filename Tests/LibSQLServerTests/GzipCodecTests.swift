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
