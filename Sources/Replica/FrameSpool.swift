import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Page images of a primary transaction too large to hold in memory, kept in `<db>-sync.spool` until its commit
/// frame arrives: memory then holds only where each page is.
///
/// Nothing in it has to survive a crash (the frames are pulled again from the last applied position), so it is
/// never fsynced; a spool a crash left behind is deleted when the replica opens. Used by one sync at a time.
final class FrameSpool: @unchecked Sendable {
    let path: String
    private var descriptor: Int32 = -1
    /// Bytes written since the last ``reset()``.
    private(set) var size: Int64 = 0
    /// The largest ``size`` reached, for tests and metrics.
    private(set) var peakSize: Int64 = 0

    init(path: String) {
        self.path = path
    }

    deinit {
        close()
    }

    /// Appends a page image; returns its offset.
    func append(_ page: [UInt8]) throws(ReplicaError) -> Int64 {
        if descriptor < 0 {
            descriptor = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else { throw LocalFiles.failure("create", path) }
        }
        let offset = size
        var written = 0
        while written < page.count {
            let result = page.withUnsafeBytes {
                pwrite(descriptor, $0.baseAddress! + written, $0.count - written, off_t(offset) + off_t(written))
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw LocalFiles.failure("write", path)
            }
            written += result
        }
        size += Int64(page.count)
        peakSize = max(peakSize, size)
        return offset
    }

    /// Reads back the page image at `offset`.
    func read(at offset: Int64, count: Int = WALFrame.pageSize) throws(ReplicaError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let result = bytes.withUnsafeMutableBytes {
                pread(descriptor, $0.baseAddress! + done, count - done, off_t(offset) + off_t(done))
            }
            if result < 0, errno == EINTR { continue }
            guard result > 0 else { throw LocalFiles.failure("read", path) }
            done += result
        }
        return bytes
    }

    /// Forgets every page (the transactions that referred to them were applied or dropped).
    func reset() {
        guard descriptor >= 0, size > 0 else { return }
        _ = ftruncate(descriptor, 0)
        size = 0
    }

    /// Closes and deletes the file.
    func close() {
        guard descriptor >= 0 else { return }
        closeDescriptor(descriptor)
        descriptor = -1
        unlink(path)
        size = 0
    }
}

private func closeDescriptor(_ descriptor: Int32) {
    _ = close(descriptor)
}
