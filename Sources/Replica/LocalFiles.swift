import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The files of a replica beside its database, and the durable file operations they need.
///
/// None of these ever opens the database file itself: that one is only touched through SQLite's handle.
struct LocalFiles: Sendable {
    /// The database file.
    let database: String

    var journal: String { database + "-journal" }
    var wal: String { database + "-wal" }
    var shm: String { database + "-shm" }
    /// The sync metadata (generation, position, change counter).
    var metadata: String { database + "-sync" }
    /// The advisory lock that keeps a second replica off the same path.
    var lock: String { database + "-sync.lock" }
    /// The page images of a transaction larger than memory allows, during one sync (see ``FrameSpool``).
    var spool: String { database + "-sync.spool" }
    var directory: String { (database as NSString).deletingLastPathComponent.isEmpty ? "." : (database as NSString).deletingLastPathComponent }

    /// A fresh temporary path in the database's directory (so a rename into place is atomic).
    func temporary(_ suffix: String) -> String {
        "\(database).\(suffix)-\(UInt32.random(in: 0...UInt32.max))"
    }

    static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    static func size(_ path: String) -> Int64? {
        var info = stat()
        return stat(path, &info) == 0 ? Int64(info.st_size) : nil
    }

    /// Writes a new file and fsyncs it (not its directory).
    static func writeSynced(_ bytes: [UInt8], to path: String) throws(ReplicaError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw failure("create", path) }
        defer { close(descriptor) }
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + written, $0.count - written) }
            if result < 0 {
                if errno == EINTR { continue }
                throw failure("write", path)
            }
            written += result
        }
        guard fsync(descriptor) == 0 else { throw failure("fsync", path) }
    }

    /// Replaces `path` atomically: temporary file, fsync, rename, fsync of the directory.
    static func replaceAtomically(_ path: String, with bytes: [UInt8], directory: String) throws(ReplicaError) {
        let temporary = "\(path).tmp-\(UInt32.random(in: 0...UInt32.max))"
        try writeSynced(bytes, to: temporary)
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw failure("rename", path)
        }
        try syncDirectory(directory)
    }

    /// Makes creations, renames and deletions in a directory durable.
    static func syncDirectory(_ directory: String) throws(ReplicaError) {
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure("open the directory", directory) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw failure("fsync the directory", directory) }
    }

    /// Deletes a file if it exists.
    static func remove(_ path: String) throws(ReplicaError) {
        guard unlink(path) == 0 || errno == ENOENT else { throw failure("delete", path) }
    }

    static func read(_ path: String) -> [UInt8]? {
        FileManager.default.contents(atPath: path).map { [UInt8]($0) }
    }

    static func failure(_ operation: String, _ path: String) -> ReplicaError {
        let reason = String(cString: strerror(errno))
        return ReplicaError(.localFileError, "Could not \(operation) \(path): \(reason)")
    }
}
