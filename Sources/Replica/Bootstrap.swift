import Foundation
import Logging

/// Builds a replica file from `GET /export/{generation}` and swaps it in (option F of the replication digest):
/// download into a temporary file in the same directory, switch it to rollback-journal mode, fsync, rename over
/// the database, fsync the directory. No SQLite connection may be open on the database while it runs.
enum Bootstrap {
    /// Downloads the current generation's export and installs it; returns the new metadata and the byte count.
    static func run(
        files: LocalFiles, client: SyncProtocolClient, remote: String, logger: Logger
    ) async throws -> (ReplicaMetadata, Int64) {
        for _ in 0..<3 {
            let generation = try await client.currentGeneration()
            let temporary = files.temporary("bootstrap")
            defer { try? LocalFiles.remove(temporary) }
            guard let bytes = try await client.export(generation: generation, to: temporary) else {
                logger.debug("The export vanished before the download; asking for the generation again")
                continue
            }
            let counter = try prepare(temporary, bytes: bytes)
            let position = SyncPosition(generation: generation, frame: 0, changeCounter: counter)
            var metadata = ReplicaMetadata(
                remote: remote, pageSize: WALFrame.pageSize, bootstrapping: true, committed: position, pending: nil)
            try LocalFiles.replaceAtomically(files.metadata, with: metadata.encoded(), directory: files.directory)
            for stale in [files.journal, files.wal, files.shm] { try LocalFiles.remove(stale) }
            guard rename(temporary, files.database) == 0 else { throw LocalFiles.failure("rename", temporary) }
            try LocalFiles.syncDirectory(files.directory)
            metadata.bootstrapping = false
            try LocalFiles.replaceAtomically(files.metadata, with: metadata.encoded(), directory: files.directory)
            logger.debug("Replica bootstrapped", metadata: ["generation": "\(generation)", "bytes": "\(bytes)"])
            return (metadata, bytes)
        }
        throw ReplicaError(.protocolViolation, "The server kept announcing generations whose export it does not serve")
    }

    /// Checks the downloaded image and converts it to a rollback-journal database; returns its change counter.
    static func prepare(_ path: String, bytes: Int64) throws(ReplicaError) -> UInt32 {
        guard bytes % Int64(WALFrame.pageSize) == 0 else {
            if bytes >= 18, let head = LocalFiles.read(path)?.prefix(18), head.count == 18 {
                let size = Int(head[16]) << 8 | Int(head[17])
                throw ReplicaError(.unsupportedPageSize, "The remote database's page size is \(size == 1 ? 65536 : size), not 4096")
            }
            throw ReplicaError(.protocolViolation, "The export is \(bytes) bytes, not a whole number of pages")
        }
        guard let handle = FileHandle(forUpdatingAtPath: path) else { throw LocalFiles.failure("open", path) }
        defer { try? handle.close() }
        do {
            var page1 = bytes == 0 ? emptyDatabasePage : [UInt8](try handle.read(upToCount: WALFrame.pageSize) ?? Data())
            guard page1.count == WALFrame.pageSize, page1.starts(with: Array("SQLite format 3\0".utf8)) else {
                throw ReplicaError(.protocolViolation, "The export is not a SQLite database")
            }
            let size = Int(page1[16]) << 8 | Int(page1[17])
            guard size == WALFrame.pageSize else {
                throw ReplicaError(.unsupportedPageSize, "The remote database's page size is \(size == 1 ? 65536 : size), not 4096")
            }
            let counter = bigEndianUInt32(page1, at: 24)
            page1[18] = 1
            page1[19] = 1
            putBigEndian(UInt32(max(bytes, Int64(WALFrame.pageSize)) / Int64(WALFrame.pageSize)), into: &page1, at: 28)
            putBigEndian(counter, into: &page1, at: 92)
            try handle.seek(toOffset: 0)
            try handle.write(contentsOf: page1)
            try handle.synchronize()
            return counter
        } catch let error as ReplicaError {
            throw error
        } catch {
            throw ReplicaError(.localFileError, "Could not prepare the downloaded database: \(error)")
        }
    }

    /// Page 1 of an empty database (UTF-8, 4096-byte pages, rollback mode), for a primary that exports 0 bytes.
    static let emptyDatabasePage: [UInt8] = {
        var page = [UInt8](repeating: 0, count: WALFrame.pageSize)
        page.replaceSubrange(0..<16, with: Array("SQLite format 3\0".utf8))
        page[16] = 0x10
        page[18] = 1
        page[19] = 1
        page[21] = 64
        page[22] = 32
        page[23] = 32
        putBigEndian(1, into: &page, at: 24)
        putBigEndian(1, into: &page, at: 28)
        putBigEndian(4, into: &page, at: 44)
        putBigEndian(1, into: &page, at: 56)
        putBigEndian(1, into: &page, at: 92)
        putBigEndian(3_040_001, into: &page, at: 96)
        page[100] = 0x0D
        page[105] = 0x10
        return page
    }()
}
