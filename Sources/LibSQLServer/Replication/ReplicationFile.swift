import Foundation

/// A file read through one descriptor kept open until ``close()``, with positioned reads.
///
/// The database file must be read this way: closing *any* descriptor of a file drops every POSIX lock the
/// process holds on it, SQLite's included, so the replication log opens the database and its `-wal`
/// once and never opens and closes another descriptor on them.
final class ReplicationFile: @unchecked Sendable {
    let path: String
    private let descriptor: Int32

    init(path: String) throws {
        self.path = path
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ReplicationError.io("cannot open \(path): \(String(cString: strerror(errno)))") }
    }

    /// The current size in bytes.
    func size() throws -> Int {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw ReplicationError.io("cannot stat \(path): \(String(cString: strerror(errno)))") }
        return Int(info.st_size)
    }

    /// Reads up to `count` bytes at `offset`; fewer only at the end of the file.
    func read(at offset: Int, count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let filled = try bytes.withUnsafeMutableBytes { (buffer) throws -> Int in
            try read(at: offset, into: buffer)
        }
        if filled < count { bytes.removeSubrange(filled...) }
        return bytes
    }

    /// Fills `buffer` from `offset` and returns how many bytes were read (fewer only at the end of the file).
    func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var filled = 0
        while filled < buffer.count {
            let result = pread(descriptor, buffer.baseAddress! + filled, buffer.count - filled, off_t(offset + filled))
            if result < 0 {
                if errno == EINTR { continue }
                throw ReplicationError.io("cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if result == 0 { break }
            filled += result
        }
        return filled
    }

    func close() { closeDescriptor(descriptor) }
}

/// Writes a file atomically: a temporary file in the same directory, fsync, rename, fsync of the directory.
enum DurableFile {
    /// With `atomically: false` the bytes go straight to `path`, not fsynced (see ``sync(_:)``), and with
    /// `appending` after the bytes already there.
    static func write(
        _ path: String, atomically: Bool = true, appending: Bool = false, _ produce: (Int32) throws -> Void
    ) throws {
        precondition(!(atomically && appending), "an atomic write replaces the file")
        let temporary = atomically ? path + ".tmp" : path
        let descriptor = open(temporary, O_WRONLY | O_CREAT | (appending ? O_APPEND : O_TRUNC) | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw ReplicationError.io("cannot create \(temporary): \(String(cString: strerror(errno)))") }
        do {
            try produce(descriptor)
            guard !atomically || fsync(descriptor) == 0 else { throw ReplicationError.io("cannot fsync \(temporary)") }
        } catch {
            _ = close(descriptor)
            unlink(temporary)
            throw error
        }
        _ = close(descriptor)
        guard atomically else { return }
        guard rename(temporary, path) == 0 else { throw ReplicationError.io("cannot rename \(temporary): \(String(cString: strerror(errno)))") }
        syncDirectory(of: path)
    }

    static func write(_ path: String, data: Data) throws {
        try write(path) { (descriptor) throws in
            try data.withUnsafeBytes { (bytes) throws in try writeAll(descriptor, bytes) }
        }
    }

    static func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) throws {
        var written = 0
        while written < bytes.count {
            let result = writeDescriptor(descriptor, bytes.baseAddress! + written, bytes.count - written)
            if result < 0 {
                if errno == EINTR { continue }
                throw ReplicationError.io("write failed: \(String(cString: strerror(errno)))")
            }
            written += result
        }
    }

    /// fsyncs a file written with `atomically: false`, and its directory.
    static func sync(_ path: String) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ReplicationError.io("cannot open \(path): \(String(cString: strerror(errno)))") }
        let result = fsync(descriptor)
        _ = close(descriptor)
        guard result == 0 else { throw ReplicationError.io("cannot fsync \(path)") }
        syncDirectory(of: path)
    }

    static func syncDirectory(of path: String) {
        let directory = (path as NSString).deletingLastPathComponent
        let descriptor = open(directory.isEmpty ? "." : directory, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        _ = close(descriptor)
    }
}

private func closeDescriptor(_ descriptor: Int32) { _ = close(descriptor) }

private func writeDescriptor(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}

/// Why the replication log could not do what was asked.
enum ReplicationError: Error, Sendable, CustomStringConvertible {
    /// A file could not be read or written.
    case io(String)
    /// The database cannot be replicated as it is (page size, journal mode).
    case unsupported(String)
    /// A SQLite call failed.
    case sqlite(String)

    var description: String {
        switch self {
        case .io(let message): "replication I/O error: \(message)"
        case .unsupported(let message): "replication is not possible: \(message)"
        case .sqlite(let message): "replication SQLite error: \(message)"
        }
    }
}
