import CSQLite
import SQLiteCore

/// The replica's rollback journal, opened, written and deleted through the VFS of the applier's connection, under
/// the very name SQLite gives the database's journal: whatever VFS the database uses (and the fault-injecting one
/// of the power-loss tests) sees every write of an apply, and SQLite finds the journal where it looks for one.
final class JournalFile {
    let file: DatabaseFile
    private let storage: UnsafeMutableRawPointer
    private var open = true

    private init(file: DatabaseFile, storage: UnsafeMutableRawPointer) {
        self.file = file
        self.storage = storage
    }

    deinit {
        close()
    }

    /// Creates the journal (or truncates one left behind) for writing.
    static func create(for connection: SQLiteConnection) throws(ReplicaError) -> JournalFile {
        let journal = try open(connection, flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_MAIN_JOURNAL)
        try journal.file.truncate(to: 0)
        return journal
    }

    /// Opens an existing journal (to read it back).
    static func openExisting(for connection: SQLiteConnection) throws(ReplicaError) -> JournalFile {
        try open(connection, flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_MAIN_JOURNAL)
    }

    private static func open(_ connection: SQLiteConnection, flags: Int32) throws(ReplicaError) -> JournalFile {
        let (vfs, name) = try locate(connection)
        let storage = UnsafeMutableRawPointer.allocate(byteCount: Int(vfs.pointee.szOsFile), alignment: 16)
        storage.initializeMemory(as: UInt8.self, repeating: 0, count: Int(vfs.pointee.szOsFile))
        let pointer = storage.assumingMemoryBound(to: sqlite3_file.self)
        var outFlags: Int32 = 0
        let result = vfs.pointee.xOpen(vfs, name, pointer, flags, &outFlags)
        guard result == SQLITE_OK, pointer.pointee.pMethods != nil else {
            if pointer.pointee.pMethods != nil { _ = pointer.pointee.pMethods.pointee.xClose(pointer) }
            storage.deallocate()
            throw ReplicaError(.localFileError, "Could not open the replica's journal (SQLite code \(result))")
        }
        return JournalFile(file: DatabaseFile(file: pointer), storage: storage)
    }

    /// Deletes the journal and makes the deletion durable (the directory is synced): the commit point of an apply.
    static func delete(for connection: SQLiteConnection) throws(ReplicaError) {
        let (vfs, name) = try locate(connection)
        let result = vfs.pointee.xDelete(vfs, name, 1)
        guard result == SQLITE_OK || result == SQLITE_IOERR | (23 << 8) else {  // SQLITE_IOERR_DELETE_NOENT
            throw ReplicaError(.localFileError, "Could not delete the replica's journal (SQLite code \(result))")
        }
    }

    func close() {
        guard open else { return }
        open = false
        _ = file.methods.pointee.xClose(file.file)
        storage.deallocate()
    }

    private static func locate(
        _ connection: SQLiteConnection
    ) throws(ReplicaError) -> (UnsafeMutablePointer<sqlite3_vfs>, UnsafePointer<CChar>) {
        var vfs: UnsafeMutablePointer<sqlite3_vfs>?
        let result = sqlite3_file_control(connection.handle, "main", SQLITE_FCNTL_VFS_POINTER, &vfs)
        guard result == SQLITE_OK, let vfs, let database = sqlite3_db_filename(connection.handle, "main"),
              let name = sqlite3_filename_journal(database)
        else {
            throw ReplicaError(.localFileError, "SQLite did not hand out the replica's VFS (\(result))")
        }
        return (vfs, name)
    }
}
