import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An advisory lock (`flock`) on `<db>-sync.lock` that keeps a second replica, in this process or another, off
/// the same path. It is a separate file on purpose: a descriptor opened and closed on the database file itself
/// would drop SQLite's POSIX locks.
final class ReplicaLockFile: Sendable {
    private let descriptor: Int32

    init(path: String, database: String) throws(ReplicaError) {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw LocalFiles.failure("create the lock file", path) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw ReplicaError(.alreadyOpen, "\(database) is already open as a replica (in this or another process)")
        }
        self.descriptor = descriptor
    }

    func release() {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
