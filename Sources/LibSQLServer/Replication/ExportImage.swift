import NIOCore

/// An archived database image opened for one `/export` download. It is opened while the log's lock is held and
/// stays open until the download is done, so a purge that unlinks the file meanwhile does not cut the download,
/// and the image is sent in chunks rather than loaded whole.
final class ExportImage: Sendable {
    /// Bytes per chunk read and sent.
    static let chunkSize = 256 * 1024

    private let file: ReplicationFile
    /// The image's size in bytes (its `Content-Length`).
    let size: Int

    init(path: String) throws {
        file = try ReplicationFile(path: path)
        do {
            size = try file.size()
        } catch {
            file.close()
            throw error
        }
    }

    deinit { file.close() }

    /// The chunk at `offset`: ``chunkSize`` bytes or what is left. Blocks; call it off the cooperative pool.
    func chunk(at offset: Int) throws -> ByteBuffer {
        let count = min(Self.chunkSize, size - offset)
        var buffer = ByteBufferAllocator().buffer(capacity: count)
        let filled = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { bytes in
            try file.read(at: offset, into: UnsafeMutableRawBufferPointer(rebasing: bytes[..<count]))
        }
        guard filled == count else {
            throw ReplicationError.io("the export ended after \(offset + filled) of \(size) bytes")
        }
        return buffer
    }
}
