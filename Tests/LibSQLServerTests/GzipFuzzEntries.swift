import Foundation
import Gzip

/// What the gzip fuzz target does with one input (`Fuzz/run.sh`); compiled into the fuzz binary too, so a
/// saved crash input replays here through the same code. The property: no input traps, and output never
/// exceeds the limit.
enum GzipFuzzEntries {
    static let outputLimit = 1 << 20

    /// The first byte picks the format and the chunk size; the rest is fed to the decompressor.
    static func decompress(_ data: Data) {
        guard let first = data.first else { return }
        let body = Array(data.dropFirst())
        let formats: [GzipDecompressor.Format] = [.gzip, .zlib, .rawDeflate, .automatic]
        let format = formats[Int(first & 3)]
        let step = Int(first >> 2) + 1
        guard var decompressor = try? GzipDecompressor(format: format, maxOutputSize: outputLimit) else { return }
        var produced = 0
        do {
            var index = 0
            while index < body.count {
                let end = min(index + step, body.count)
                produced += try decompressor.feed(body[index..<end]).count
                index = end
            }
            produced += try decompressor.finish().count
        } catch {}
        if produced > outputLimit { fatalError("gzip produced \(produced) bytes over the limit of \(outputLimit)") }
    }
}
