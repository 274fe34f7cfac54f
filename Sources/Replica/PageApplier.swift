import CSQLite
import Foundation
import SQLiteCore

/// What the replica file's header says (bytes 16..99 of page 1).
struct FileHeader: Sendable, Hashable {
    var pageCount: UInt32
    var changeCounter: UInt32
    /// Bytes 18 and 19: 1,1 in rollback-journal mode, 2,2 in WAL mode.
    var journalBytes: (UInt8, UInt8)
    var pageSize: Int

    static func == (a: FileHeader, b: FileHeader) -> Bool {
        a.pageCount == b.pageCount && a.changeCounter == b.changeCounter && a.journalBytes == b.journalBytes
            && a.pageSize == b.pageSize
    }
    func hash(into hasher: inout Hasher) { hasher.combine(changeCounter) }

    var isRollbackMode: Bool { pageCount == 0 || journalBytes == (1, 1) }

    init(pageCount: UInt32, page1: [UInt8]) {
        self.pageCount = pageCount
        guard pageCount > 0 else {
            changeCounter = 0
            journalBytes = (1, 1)
            pageSize = WALFrame.pageSize
            return
        }
        changeCounter = bigEndianUInt32(page1, at: 24)
        journalBytes = (page1[18], page1[19])
        let raw = Int(page1[16]) << 8 | Int(page1[17])
        pageSize = raw == 1 ? 65536 : raw
    }
}

/// The replica file changed in a way only someone else's write explains; the replica must be rebuilt.
struct LocalDrift: Error, CustomStringConvertible {
    let description: String
}

/// Applies complete primary transactions to the replica file, each atomically and crash-safely, through SQLite's
/// own file handle while holding SQLite's EXCLUSIVE lock (option A of the replication digest):
///
/// 1. `BEGIN EXCLUSIVE`: readers are waited out, new ones wait in their busy handler;
/// 2. a hot journal with the old images of every page that will change or be truncated away (page 1 always) is
///    written and fsynced, and the metadata is rewritten with the position the apply will reach (`pending`);
/// 3. the new pages are written; page 1 is patched (rollback mode, change counter + 1, database size);
/// 4. the file is truncated and fsynced;
/// 5. the journal is deleted and the directory fsynced: **the commit point**;
/// 6. `COMMIT` releases the lock (SQLite has nothing to write).
///
/// A crash before step 5 leaves a hot journal that SQLite rolls back on the next open, in any process. The bumped
/// change counter makes every open connection drop its page cache before its next read.
final class PageApplier: @unchecked Sendable {
    let files: LocalFiles
    let connection: SQLiteConnection

    /// Opens the applier's connection; `vfs` names a registered SQLite VFS to open the file with (the power-loss
    /// tests use a fault-injecting one), `nil` the default.
    init(files: LocalFiles, busyTimeout: Duration, vfs: String? = nil) throws(ReplicaError) {
        self.files = files
        do {
            connection = try SQLiteConnection(
                path: vfs.map { Self.uri(files.database, vfs: $0) } ?? files.database, mode: .readWrite, create: false)
        } catch {
            throw ReplicaError(.localFileError, "Could not open the replica file: \(error.message)")
        }
        connection.setBusyTimeout(busyTimeout)
    }

    func close() {
        connection.close()
    }

    /// A `file:` URI naming `path` and `vfs`.
    private static func uri(_ path: String, vfs: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?#%")
        return "file:\(path.addingPercentEncoding(withAllowedCharacters: allowed) ?? path)?vfs=\(vfs)"
    }

    /// Runs a read so that SQLite rolls back any hot journal left by a crash, then reads the header.
    func recoverAndReadHeader() throws(ReplicaError) -> FileHeader {
        try run("BEGIN")
        defer { try? run("ROLLBACK") }
        try run("SELECT count(*) FROM sqlite_schema")
        return try header(of: DatabaseFile(connection: connection))
    }

    private func header(of file: DatabaseFile) throws(ReplicaError) -> FileHeader {
        let size = try file.size()
        guard size % Int64(WALFrame.pageSize) == 0 else {
            throw ReplicaError(.localFileError, "The replica file's size \(size) is not a multiple of the page size")
        }
        let pages = UInt32(size / Int64(WALFrame.pageSize))
        return FileHeader(pageCount: pages, page1: pages > 0 ? try file.read(count: 100, at: 0) : [])
    }

    /// Applies one transaction (or a group of consecutive ones, atomically as one) and returns the metadata that
    /// now describes the file.
    ///
    /// Throws ``LocalDrift`` when the file is not what the metadata says (a foreign write, WAL mode), a
    /// ``ReplicaError`` otherwise; on any error the file is back at its previous state.
    ///
    /// `bumpChangeCounter: false` exists only for the test that shows why the bump is needed.
    func apply(
        _ transaction: PrimaryTransaction, generation: UInt32, metadata: ReplicaMetadata, bumpChangeCounter: Bool = true
    ) throws -> ReplicaMetadata {
        try run("BEGIN EXCLUSIVE")
        var committed = false
        defer { if !committed { try? run("ROLLBACK") } }

        let file = try DatabaseFile(connection: connection)
        let header = try header(of: file)
        guard header.isRollbackMode, !LocalFiles.exists(files.wal) else {
            throw LocalDrift(description: "the replica file was switched to WAL mode")
        }
        guard header.changeCounter == metadata.committed.changeCounter else {
            throw LocalDrift(description:
                "the replica file's change counter is \(header.changeCounter), expected \(metadata.committed.changeCounter)")
        }
        let original = header.pageCount
        let size = transaction.sizeAfter
        guard transaction.pages[1] != nil || original > 0 else {
            throw ReplicaError(.protocolViolation, "The first transaction of an empty database does not write page 1")
        }

        // Pages a truncation inside a group of transactions zeroed and nothing wrote again.
        var writes = transaction.pages
        if transaction.minimumSize < size {
            let zeros = [UInt8](repeating: 0, count: WALFrame.pageSize)
            for page in (transaction.minimumSize + 1)...size where writes[page] == nil && page <= original {
                writes[page] = .memory(zeros)
            }
        }

        // Old images of every page that changes or disappears, page 1 always, streamed into the journal.
        var journaled = Set(writes.keys.filter { $0 <= original })
        if original > 0 { journaled.insert(1) }
        if size < original { journaled.formUnion((size + 1)...original) }
        let journalPages = journaled.sorted()
        let oldPage1 = original > 0 ? try file.read(count: WALFrame.pageSize, at: 0) : nil
        try writeJournal(journalPages, originalPageCount: original, oldPage1: oldPage1, file: file)
        CrashInjection.reached("journal")

        let counter = bumpChangeCounter ? header.changeCounter &+ 1 : header.changeCounter
        var next = metadata
        next.pending = SyncPosition(
            generation: generation, frame: transaction.commitFrame, changeCounter: counter,
            frameIdentity: transaction.commitIdentity)
        // The rename's directory fsync also makes the journal's creation durable.
        try LocalFiles.replaceAtomically(files.metadata, with: next.encoded(), directory: files.directory)
        CrashInjection.reached("metadata")

        do {
            var page1: [UInt8]
            if let image = writes[1] { page1 = try transaction.image(image) } else { page1 = oldPage1! }
            page1[18] = 1
            page1[19] = 1
            putBigEndian(counter, into: &page1, at: 24)
            putBigEndian(size, into: &page1, at: 28)
            putBigEndian(counter, into: &page1, at: 92)
            var written = 0
            for (page, image) in writes.sorted(by: { $0.key < $1.key }) {
                if page == 1 { try file.write(page1, at: 0) } else { try file.write(try transaction.image(image), at: offset(page)) }
                written += 1
                CrashInjection.reached("page-\(written)")
            }
            if writes[1] == nil {
                try file.write(page1, at: 0)
                written += 1
                CrashInjection.reached("page-\(written)")
            }
            if size < original {
                try file.truncate(to: offset(size + 1))
                CrashInjection.reached("truncate")
            }
            try file.sync()
            CrashInjection.reached("synced")
        } catch {
            restore(recordCount: journalPages.count, originalPages: original, file: file)
            throw error
        }

        try JournalFile.delete(for: connection)
        CrashInjection.reached("commit-point")
        try run("COMMIT")
        committed = true
        CrashInjection.reached("committed")
        return next
    }

    /// Writes and fsyncs the hot journal: the old image of every page in `pages`, read from the file a batch at a
    /// time, so that memory does not grow with the transaction.
    private func writeJournal(
        _ pages: [UInt32], originalPageCount: UInt32, oldPage1: [UInt8]?, file: DatabaseFile
    ) throws(ReplicaError) {
        let nonce = UInt32.random(in: 0...UInt32.max)
        let journal = try JournalFile.create(for: connection)
        defer { journal.close() }
        var buffer = RollbackJournal.header(
            recordCount: pages.count, originalPageCount: originalPageCount, pageSize: WALFrame.pageSize, nonce: nonce)
        let flushSize = 64 * RollbackJournal.recordSize(pageSize: WALFrame.pageSize)
        buffer.reserveCapacity(flushSize + RollbackJournal.recordSize(pageSize: WALFrame.pageSize) + RollbackJournal.sectorSize)
        var position: Int64 = 0
        for page in pages {
            let image: [UInt8]
            if page == 1 { image = oldPage1! } else { image = try file.read(count: WALFrame.pageSize, at: offset(page)) }
            RollbackJournal.appendRecord(page: page, image: image, nonce: nonce, to: &buffer)
            if buffer.count >= flushSize {
                try journal.file.write(buffer, at: position)
                position += Int64(buffer.count)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        if !buffer.isEmpty { try journal.file.write(buffer, at: position) }
        try journal.file.sync()
    }

    /// Puts the old images back from the journal while the lock is still held; if that fails the hot journal
    /// stays for SQLite.
    private func restore(recordCount: Int, originalPages: UInt32, file: DatabaseFile) {
        do {
            let journal = try JournalFile.openExisting(for: connection)
            defer { journal.close() }
            let recordSize = RollbackJournal.recordSize(pageSize: WALFrame.pageSize)
            for index in 0..<recordCount {
                let record = try journal.file.read(
                    count: recordSize, at: Int64(RollbackJournal.sectorSize + index * recordSize))
                let page = bigEndianUInt32(record, at: 0)
                try file.write(Array(record[4..<(4 + WALFrame.pageSize)]), at: offset(page))
            }
            try file.truncate(to: offset(originalPages + 1))
            try file.sync()
            journal.close()
            try JournalFile.delete(for: connection)
        } catch {
            // The journal is still on disk: the next reader of the file rolls it back.
        }
    }

    private func offset(_ page: UInt32) -> Int64 {
        Int64(page - 1) * Int64(WALFrame.pageSize)
    }

    private func run(_ sql: String) throws(ReplicaError) {
        do {
            try connection.execute(script: sql)
        } catch {
            if error.code == SQLITE_BUSY || error.code == SQLITE_LOCKED {
                throw ReplicaError(.busy, "The replica stayed locked by a reader: \(error.message)")
            }
            throw ReplicaError(.localFileError, "SQLite failed on the replica (\(sql)): \(error.message)")
        }
    }
}
