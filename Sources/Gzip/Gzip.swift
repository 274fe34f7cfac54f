import CZlib
import Foundation

/// One-shot gzip compression and decompression over zlib.
///
/// For responses that arrive in pieces, use ``GzipDecompressor``.
package enum Gzip {
    /// The default compression level, a balance of speed and size.
    package static let defaultLevel: Int32 = 6

    /// Compresses bytes into a single gzip member.
    /// - Parameters:
    ///   - input: The bytes to compress.
    ///   - level: 0 (store) to 9 (smallest); out-of-range values are clamped.
    package static func compress(_ input: [UInt8], level: Int32 = defaultLevel) -> [UInt8] {
        input.withUnsafeBufferPointer { compress(UnsafeRawBufferPointer($0), level: level) }
    }

    /// Compresses data into a single gzip member.
    package static func compress(_ input: Data, level: Int32 = defaultLevel) -> Data {
        Data(input.withUnsafeBytes { compress($0, level: level) })
    }

    /// Compresses raw bytes into a single gzip member.
    package static func compress(_ input: UnsafeRawBufferPointer, level: Int32 = defaultLevel) -> [UInt8] {
        var compressor = GzipCompressor(level: level)
        return compressor.finish(input)
    }

    /// Decompresses a complete gzip (or zlib) document.
    /// - Parameters:
    ///   - input: The compressed bytes.
    ///   - format: The container format.
    ///   - maxOutputSize: The largest decompressed size accepted; more fails with ``GzipError/outputTooLarge(limit:)``.
    package static func decompress(
        _ input: [UInt8], format: GzipDecompressor.Format = .gzip, maxOutputSize: Int = 64 << 20
    ) throws(GzipError) -> [UInt8] {
        var decompressor = try GzipDecompressor(format: format, maxOutputSize: maxOutputSize)
        var output = try decompressor.feed(input)
        output += try decompressor.finish()
        return output
    }

    /// Decompresses complete gzip (or zlib) data.
    package static func decompress(
        _ input: Data, format: GzipDecompressor.Format = .gzip, maxOutputSize: Int = 64 << 20
    ) throws(GzipError) -> Data {
        Data(try decompress([UInt8](input), format: format, maxOutputSize: maxOutputSize))
    }
}

/// Why compressed data could not be decoded.
package enum GzipError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The input is not valid data of the expected format.
    case corrupt(String)
    /// The decompressed data would exceed the configured limit (a guard against zip bombs).
    case outputTooLarge(limit: Int)
    /// The input ended before the compressed stream did.
    case truncated
    /// zlib could not be set up.
    case initializationFailed(Int32)

    package var description: String {
        switch self {
        case .corrupt(let reason): "Invalid compressed data: \(reason)"
        case .outputTooLarge(let limit): "Decompressed data exceeds the limit of \(limit) bytes"
        case .truncated: "Compressed data ended unexpectedly"
        case .initializationFailed(let code): "zlib initialization failed (\(code))"
        }
    }
}
