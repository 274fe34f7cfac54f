import CSQLite
import Foundation
import Hrana
import SQLiteCore
@testable import Replica

/// A stock-SQLite primary in WAL mode (autocheckpoint off) whose committed frames a test reads straight from its
/// `-wal` file, numbered from 1 per generation as the sync protocol serves them. Independent of our server.
final class WALPrimary {
    let path: String
    let connection: SQLiteConnection
    private var walOffset = 32
    private(set) var frameCount: UInt32 = 0
    private(set) var generation: UInt32 = 1

    init(path: String) throws {
        self.path = path
        connection = try SQLiteConnection(path: path)
        try connection.execute(script: "PRAGMA page_size=4096; PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;")
    }

    func execute(_ sql: String) throws {
        try connection.execute(script: sql)
    }

    /// The database image as of now (what `/export` serves at a generation start).
    func image() -> [UInt8] {
        var size: sqlite3_int64 = 0
        guard let bytes = sqlite3_serialize(connection.handle, "main", &size, 0) else { return [] }
        defer { sqlite3_free(bytes) }
        return [UInt8](UnsafeBufferPointer(start: bytes, count: Int(size)))
    }

    /// Checkpoints (TRUNCATE) and starts a new generation; returns its export image.
    func newGeneration() throws -> [UInt8] {
        _ = try? newFrames()
        try connection.checkpoint(truncate: true)
        walOffset = 32
        frameCount = 0
        generation += 1
        return image()
    }

    /// The frames committed since the last call: `(number, frame)`, up to the last commit frame.
    func newFrames() throws -> [(number: UInt32, frame: WALFrame)] {
        guard let data = FileManager.default.contents(atPath: path + "-wal"), data.count > walOffset else { return [] }
        let bytes = [UInt8](data)
        var frames: [(UInt32, WALFrame)] = []
        var committed = 0
        var offset = walOffset
        var number = frameCount
        while offset + WALFrame.size <= bytes.count {
            let parsed = try WALFrame.parse(Data(bytes[offset..<(offset + WALFrame.size)]))[0]
            number += 1
            frames.append((number, parsed))
            offset += WALFrame.size
            if parsed.isCommit { committed = frames.count }
        }
        let kept = Array(frames.prefix(committed))
        walOffset += kept.count * WALFrame.size
        frameCount += UInt32(kept.count)
        return kept
    }
}

/// A replica file set up as a bootstrap would leave it, with its apply engine.
final class TestReplica {
    let files: LocalFiles
    let applier: PageApplier
    var metadata: ReplicaMetadata
    var buffer = TransactionBuffer()

    /// Bootstraps from the primary's image now; frames the primary logged before are part of that image.
    convenience init(path: String, primary: WALPrimary) throws {
        let export = primary.image()
        _ = try primary.newFrames()
        try self.init(path: path, export: export)
    }

    init(files: LocalFiles, applier: PageApplier, metadata: ReplicaMetadata) {
        self.files = files
        self.applier = applier
        self.metadata = metadata
    }

    init(path: String, export: [UInt8], generation: UInt32 = 1, vfs: String? = nil) throws {
        files = LocalFiles(database: path)
        try LocalFiles.writeSynced(export, to: path)
        let counter = try Bootstrap.prepare(path, bytes: Int64(export.count))
        metadata = ReplicaMetadata(
            remote: "test", pageSize: 4096, bootstrapping: false,
            committed: SyncPosition(generation: generation, frame: 0, changeCounter: counter))
        try LocalFiles.replaceAtomically(files.metadata, with: metadata.encoded(), directory: files.directory)
        applier = try PageApplier(files: files, busyTimeout: .seconds(5), vfs: vfs)
    }

    /// Applies every complete transaction among `frames`; returns how many.
    @discardableResult
    func apply(_ frames: [(number: UInt32, frame: WALFrame)], generation: UInt32 = 1, bumpCounter: Bool = true) throws -> Int {
        var applied = 0
        for (number, frame) in frames {
            guard let transaction = try buffer.add(frame, number: number) else { continue }
            var next = try applier.apply(transaction, generation: generation, metadata: metadata, bumpChangeCounter: bumpCounter)
            next.committed = next.pending!
            next.pending = nil
            metadata = next
            applied += 1
        }
        return applied
    }
}

extension TestReplica {
    /// Applies the complete transactions among `frames` in groups of `size`, each group atomically as one.
    @discardableResult
    func applyGrouped(_ frames: [(number: UInt32, frame: WALFrame)], size: Int) throws -> Int {
        var groups: [PrimaryTransaction] = []
        for (number, frame) in frames {
            guard let transaction = try buffer.add(frame, number: number) else { continue }
            if var last = groups.last, last.transactionCount < size {
                last.append(transaction)
                groups[groups.count - 1] = last
            } else {
                groups.append(transaction)
            }
        }
        for group in groups {
            var next = try applier.apply(group, generation: 1, metadata: metadata)
            next.committed = next.pending!
            next.pending = nil
            metadata = next
        }
        return groups.count
    }
}

/// The logical content of a database: schema and every table's rows, sorted. (Opened read-write so that SQLite
/// can roll back a hot journal a crash left.)
func dump(_ path: String) throws -> [String] {
    let connection = try SQLiteConnection(path: path, mode: .readWrite, create: false)
    defer { connection.close() }
    return try dump(connection)
}

func dump(_ connection: SQLiteConnection) throws -> [String] {
    var lines: [String] = []
    var tables: [String] = []
    let schema = try connection.prepare("SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name").statement!
    while try schema.step() {
        let row = try schema.row()
        lines.append(row.map(plain).joined(separator: "|"))
        if case .text("table") = row[0], case .text(let name) = row[1], !name.hasPrefix("sqlite_") { tables.append(name) }
    }
    for table in tables {
        let select = try connection.prepare("SELECT * FROM \"\(table)\"").statement!
        var rows: [String] = []
        while try select.step() { rows.append(try select.row().map(plain).joined(separator: "|")) }
        lines.append(contentsOf: rows.sorted().map { "\(table): \($0)" })
    }
    return lines
}

func integrityCheck(_ path: String) throws -> String {
    let connection = try SQLiteConnection(path: path, mode: .readWrite, create: false)
    defer { connection.close() }
    let statement = try connection.prepare("PRAGMA integrity_check").statement!
    var lines: [String] = []
    while try statement.step() { lines.append(plain(try statement.value(at: 0))) }
    return lines.joined(separator: "\n")
}

/// A fresh directory, removed by `body`'s end.
func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("replica-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    return try await body(directory)
}

/// A value as text: the string itself, numbers in decimal, blobs in hex, `NULL`.
func plain(_ value: Value) -> String {
    switch value {
    case .null: "NULL"
    case .integer(let integer): "\(integer)"
    case .float(let double): "\(double)"
    case .text(let text): text
    case .blob(let data): "blob(\(data.count), crc \(CRC32.checksum(data)))"
    }
}

extension TestReplica {
    /// Reopens a replica file left by an apply that was cut short, as ``ReplicaSyncer`` does on open: a read lets
    /// SQLite roll back a hot journal, and the file's change counter picks the position the metadata names.
    /// Returns `nil` when the counter matches neither position (the syncer would rebuild the file).
    static func reopen(_ path: String) throws -> TestReplica? {
        let files = LocalFiles(database: path)
        var metadata = try ReplicaMetadata.decode(LocalFiles.read(files.metadata) ?? [])
        let applier = try PageApplier(files: files, busyTimeout: .seconds(5))
        let header = try applier.recoverAndReadHeader()
        guard header.isRollbackMode, let position = metadata.position(forChangeCounter: header.changeCounter) else {
            applier.close()
            return nil
        }
        metadata.committed = position
        metadata.pending = nil
        return TestReplica(files: files, applier: applier, metadata: metadata)
    }
}
