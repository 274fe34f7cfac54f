import CSQLite
import Foundation
import SQLiteCore

/// The database file as SQLite itself has it open (`SQLITE_FCNTL_FILE_POINTER`): every read, write, truncate
/// and sync of the replica goes through SQLite's own handle, so no second descriptor is ever opened or closed on
/// the file (closing one would drop all of the process's POSIX locks on it).
///
/// Valid while its connection is open; used by one thread at a time, under a lock the connection holds. The
/// same wrapper serves the journal, which ``JournalFile`` opens through the connection's VFS.
struct DatabaseFile {
    let file: UnsafeMutablePointer<sqlite3_file>
    let methods: UnsafePointer<sqlite3_io_methods>

    init(connection: SQLiteConnection) throws(ReplicaError) {
        var pointer: UnsafeMutablePointer<sqlite3_file>?
        let result = sqlite3_file_control(connection.handle, "main", SQLITE_FCNTL_FILE_POINTER, &pointer)
        guard result == SQLITE_OK, let pointer, let methods = pointer.pointee.pMethods else {
            throw ReplicaError(.localFileError, "SQLite did not hand out its file handle (\(result))")
        }
        file = pointer
        self.methods = methods
    }

    /// A file the caller opened through a VFS.
    init(file: UnsafeMutablePointer<sqlite3_file>) {
        self.file = file
        methods = file.pointee.pMethods
    }

    /// The file size in bytes.
    func size() throws(ReplicaError) -> Int64 {
        var size: sqlite3_int64 = 0
        try check(methods.pointee.xFileSize(file, &size), "size")
        return Int64(size)
    }

    /// Reads `count` bytes at `offset`; bytes past the end of the file read as zeros.
    func read(count: Int, at offset: Int64) throws(ReplicaError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let result = bytes.withUnsafeMutableBytes { methods.pointee.xRead(file, $0.baseAddress, Int32(count), offset) }
        if result != SQLITE_IOERR | (2 << 8) { try check(result, "read") }  // SQLITE_IOERR_SHORT_READ
        return bytes
    }

    func write(_ bytes: [UInt8], at offset: Int64) throws(ReplicaError) {
        let result = bytes.withUnsafeBytes { methods.pointee.xWrite(file, $0.baseAddress, Int32($0.count), offset) }
        try check(result, "write")
    }

    func truncate(to size: Int64) throws(ReplicaError) {
        try check(methods.pointee.xTruncate(file, size), "truncate")
    }

    func sync() throws(ReplicaError) {
        try check(methods.pointee.xSync(file, SQLITE_SYNC_FULL), "sync")
    }

    private func check(_ result: Int32, _ operation: String) throws(ReplicaError) {
        guard result == SQLITE_OK else {
            throw ReplicaError(.localFileError, "Could not \(operation) the replica file (SQLite code \(result))")
        }
    }
}
