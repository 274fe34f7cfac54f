import CZlib

/// Incremental decompression of gzip, zlib or raw deflate data, fed one chunk at a time.
///
/// ```swift
/// var decompressor = try GzipDecompressor(format: .automatic, maxOutputSize: 10 << 20)
/// for try await chunk in body { output += try decompressor.feed(chunk) }
/// output += try decompressor.finish()
/// ```
/// Concatenated gzip members are decoded one after another, as HTTP clients do.
package struct GzipDecompressor: ~Copyable, @unchecked Sendable {
    /// The container around the deflate data.
    package enum Format: Sendable, Hashable {
        /// RFC 1952 gzip (`Content-Encoding: gzip`).
        case gzip
        /// RFC 1950 zlib (`Content-Encoding: deflate`, correctly used).
        case zlib
        /// Bare RFC 1951 deflate (`Content-Encoding: deflate` as some servers send it).
        case rawDeflate
        /// gzip or zlib, detected from the header.
        case automatic

        var windowBits: Int32 {
            switch self {
            case .gzip: 15 + 16
            case .zlib: 15
            case .rawDeflate: -15
            case .automatic: 15 + 32
            }
        }
    }

    private let stream: UnsafeMutablePointer<z_stream>
    private let format: Format
    /// The largest total output accepted.
    package let maxOutputSize: Int
    /// The number of decompressed bytes produced so far.
    package private(set) var totalOutput = 0
    private var atMemberEnd = false

    /// Creates a decompressor.
    /// - Parameters:
    ///   - format: The container format.
    ///   - maxOutputSize: The largest total decompressed size; more throws ``GzipError/outputTooLarge(limit:)``.
    package init(format: Format = .gzip, maxOutputSize: Int = 64 << 20) throws(GzipError) {
        stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let status = inflateInit2_(stream, format.windowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw .initializationFailed(status)
        }
        self.format = format
        self.maxOutputSize = maxOutputSize
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Whether the input so far ended exactly at the end of a compressed stream.
    package var isComplete: Bool { atMemberEnd }

    /// Decompresses the next chunk of input and returns the bytes it produced.
    package mutating func feed(_ input: some Collection<UInt8>) throws(GzipError) -> [UInt8] {
        let result: Result<[UInt8], GzipError>? = input.withContiguousStorageIfAvailable { buffer in
            Result { () throws(GzipError) in try feed(UnsafeRawBufferPointer(buffer)) }
        }
        if let result { return try result.get() }
        let copy = Array(input)
        let copied: Result<[UInt8], GzipError> = copy.withUnsafeBytes { buffer in
            Result { () throws(GzipError) in try feed(buffer) }
        }
        return try copied.get()
    }

    /// Decompresses the next chunk of input and returns the bytes it produced.
    package mutating func feed(_ input: UnsafeRawBufferPointer) throws(GzipError) -> [UInt8] {
        var output: [UInt8] = []
        guard input.count > 0, let base = input.baseAddress else { return output }
        var remaining = input.count
        var next = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Bytef.self))
        var chunk = [UInt8](repeating: 0, count: 32 * 1024)
        while remaining > 0 {
            if atMemberEnd {
                guard format == .gzip || format == .automatic else {
                    throw .corrupt("trailing data after the end of the compressed stream")
                }
                guard inflateReset(stream) == Z_OK else { throw .corrupt("cannot reset for the next gzip member") }
                atMemberEnd = false
            }
            stream.pointee.next_in = next
            stream.pointee.avail_in = uInt(remaining)
            var status: Int32 = Z_OK
            repeat {
                let produced = chunk.withUnsafeMutableBufferPointer { out -> Int in
                    stream.pointee.next_out = out.baseAddress
                    stream.pointee.avail_out = uInt(out.count)
                    status = inflate(stream, Z_NO_FLUSH)
                    return out.count - Int(stream.pointee.avail_out)
                }
                switch status {
                case Z_OK, Z_STREAM_END, Z_BUF_ERROR: break
                case Z_NEED_DICT: throw .corrupt("a preset dictionary is required")
                default:
                    let message = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                    throw .corrupt(message)
                }
                totalOutput += produced
                guard totalOutput <= maxOutputSize else { throw .outputTooLarge(limit: maxOutputSize) }
                output.append(contentsOf: chunk[0..<produced])
                if status == Z_BUF_ERROR && produced == 0 { break }
            } while status != Z_STREAM_END && (stream.pointee.avail_in > 0 || stream.pointee.avail_out == 0)
            let consumed = remaining - Int(stream.pointee.avail_in)
            next += consumed
            remaining -= consumed
            if status == Z_STREAM_END {
                atMemberEnd = true
            } else if consumed == 0 {
                break
            }
        }
        return output
    }

    /// Signals the end of input: returns any remaining bytes, or throws ``GzipError/truncated`` when the
    /// compressed stream did not end.
    package mutating func finish() throws(GzipError) -> [UInt8] {
        guard atMemberEnd else { throw .truncated }
        return []
    }
}
