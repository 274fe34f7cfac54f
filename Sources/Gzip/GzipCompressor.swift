import CZlib

/// Incremental gzip compression for bodies that are sent in pieces.
///
/// Every ``feed(_:)`` ends at a deflate sync-flush point, so a receiver can decompress everything fed so
/// far from the bytes returned so far; ``finish()`` ends the gzip member.
///
/// ```swift
/// var compressor = GzipCompressor()
/// for chunk in chunks { try await send(compressor.feed(chunk)) }
/// try await send(compressor.finish())
/// ```
package struct GzipCompressor: ~Copyable, @unchecked Sendable {
    private let stream: UnsafeMutablePointer<z_stream>
    private var finished = false

    /// Creates a compressor.
    /// - Parameter level: 0 (store) to 9 (smallest); out-of-range values are clamped.
    package init(level: Int32 = Gzip.defaultLevel) {
        stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // windowBits 15 + 16 selects the gzip wrapper.
        let status = deflateInit2_(
            stream, min(max(level, 0), 9), Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
            Int32(MemoryLayout<z_stream>.size))
        precondition(status == Z_OK, "deflateInit2 failed: \(status)")
    }

    deinit {
        deflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Compresses the next chunk and returns the bytes to send, ending at a flush point.
    ///
    /// Must not be called after ``finish()``.
    package mutating func feed(_ input: some Collection<UInt8>) -> [UInt8] {
        if let output = input.withContiguousStorageIfAvailable({ run(UnsafeRawBufferPointer($0), flush: Z_SYNC_FLUSH) }) {
            return output
        }
        return Array(input).withUnsafeBytes { run($0, flush: Z_SYNC_FLUSH) }
    }

    /// Compresses the next chunk and returns the bytes to send, ending at a flush point.
    package mutating func feed(_ input: UnsafeRawBufferPointer) -> [UInt8] {
        run(input, flush: Z_SYNC_FLUSH)
    }

    /// Compresses a last chunk (none by default), ends the gzip member and returns its last bytes (the final
    /// block and the trailer).
    ///
    /// Calling it again returns nothing.
    package mutating func finish(_ input: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)) -> [UInt8] {
        guard !finished else { return [] }
        finished = true
        return run(input, flush: Z_FINISH)
    }

    private func run(_ input: UnsafeRawBufferPointer, flush: Int32) -> [UInt8] {
        precondition(!finished || flush == Z_FINISH, "GzipCompressor fed after finish()")
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(input.count)
        // Enough for the whole chunk in one pass in practice; the loop covers the rest.
        var output = [UInt8](repeating: 0, count: Int(deflateBound(stream, uLong(input.count))) + 64)
        var written = 0
        while true {
            if written == output.count { output.append(contentsOf: repeatElement(0, count: max(output.count, 4096))) }
            let status = output.withUnsafeMutableBufferPointer { out -> Int32 in
                stream.pointee.next_out = out.baseAddress! + written
                stream.pointee.avail_out = uInt(out.count - written)
                let status = deflate(stream, flush)
                written = out.count - Int(stream.pointee.avail_out)
                return status
            }
            precondition(status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR, "deflate failed: \(status)")
            if flush == Z_FINISH ? status == Z_STREAM_END : stream.pointee.avail_out > 0 { break }
        }
        stream.pointee.next_in = nil
        output.removeSubrange(written...)
        return output
    }
}
