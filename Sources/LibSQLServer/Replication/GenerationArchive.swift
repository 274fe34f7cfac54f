import Foundation

/// What survives a restart: the generation counter, where the live generation starts in the WAL, and
/// the closed generations. Every other generation below the live one is gone (purged, or never existed: 410).
/// Stored as `state.json` in the archive directory, written atomically.
struct ReplicationState: Codable, Sendable, Equatable {
    /// The live generation (≥ 1).
    var generation: UInt32
    /// The salts of the WAL epoch that holds the live generation's frames; `nil` until a WAL exists.
    var epochSalt1: UInt32?
    var epochSalt2: UInt32?
    /// The WAL frame after which the live generation's frames start (its frame 1 is WAL frame `base + 1`).
    var base: Int
    /// Frame counts of the closed generations whose frames are archived.
    var closed: [UInt32: Int]
    /// Frames of every generation before the live one, purged ones included: the base of ``replication_index``.
    var framesBefore: UInt64

    static func fresh(generation: UInt32) -> ReplicationState {
        ReplicationState(generation: generation, base: 0, closed: [:], framesBefore: 0)
    }
}

/// The directory next to the database (`<db>-replication/`) that holds the state, the export image of
/// every generation (`<g>.export`, the database file at the start of `g`) and the frames of every
/// closed generation (`<g>.frames`, raw 4,120-byte WAL frames).
struct GenerationArchive: Sendable {
    let directory: String

    init(databasePath: String) throws {
        directory = databasePath + "-replication"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw ReplicationError.io("cannot create \(directory): \(error.localizedDescription)")
        }
    }

    var statePath: String { directory + "/state.json" }
    func exportPath(_ generation: UInt32) -> String { "\(directory)/\(generation).export" }
    func framesPath(_ generation: UInt32) -> String { "\(directory)/\(generation).frames" }

    func loadState() throws -> ReplicationState? {
        guard let data = FileManager.default.contents(atPath: statePath) else { return nil }
        do {
            return try JSONDecoder().decode(ReplicationState.self, from: data)
        } catch {
            throw ReplicationError.io("\(statePath) is damaged: \(error)")
        }
    }

    func save(_ state: ReplicationState) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data: Data
        do { data = try encoder.encode(state) } catch { throw ReplicationError.io("cannot encode the replication state: \(error)") }
        try DurableFile.write(statePath, data: data)
    }

    /// The highest generation any archived file names, so that a lost state never reuses a number.
    func highestArchivedGeneration() -> UInt32 {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap { UInt32($0.split(separator: ".").first ?? "") }.max() ?? 0
    }

    /// Copies `pageCount` pages of `source` (the database, through its kept descriptor) to the export of `generation`.
    func writeExport(_ generation: UInt32, from source: ReplicationFile, pageCount: Int, sync: Bool = true) throws {
        try copy(to: exportPath(generation), from: source, offset: 0, count: pageCount * WALFormat.pageSize, sync: sync)
    }

    /// Copies WAL frames `first...last` (1-based WAL indices) to the frame archive of `generation`; with
    /// `appending`, after the frames already there (not fsynced: ``DurableFile/sync(_:)`` later).
    func writeFrames(
        _ generation: UInt32, from wal: ReplicationFile, first: Int, last: Int, sync: Bool = true, appending: Bool = false
    ) throws {
        let count = max(0, last - first + 1) * WALFormat.frameSize
        try copy(
            to: framesPath(generation), from: wal, offset: WALFormat.offset(ofFrame: first), count: count,
            sync: sync && !appending, appending: appending)
    }

    /// Copies `count` bytes; with `sync`, atomically and durably, else straight into `path` in the page
    /// cache (``DurableFile/sync(_:)`` later), after its bytes when `appending`.
    private func copy(
        to path: String, from source: ReplicationFile, offset: Int, count: Int, sync: Bool, appending: Bool = false
    ) throws {
        try DurableFile.write(path, atomically: sync, appending: appending) { (descriptor) throws in
            if let sent = try source.send(at: offset, count: count, to: descriptor) {
                guard sent == count else { throw ReplicationError.io("\(source.path) is shorter than expected") }
                return
            }
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            var done = 0
            while done < count {
                let wanted = min(buffer.count, count - done)
                let read = try buffer.withUnsafeMutableBytes { (raw) throws -> Int in
                    try source.read(at: offset + done, into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<wanted]))
                }
                guard read == wanted else { throw ReplicationError.io("\(source.path) is shorter than expected") }
                try buffer.withUnsafeBytes { (raw) throws in
                    try DurableFile.writeAll(descriptor, UnsafeRawBufferPointer(rebasing: raw[0..<read]))
                }
                done += read
            }
        }
    }

    /// The bytes the archived files of `generation` take.
    func size(of generation: UInt32) -> Int64 {
        [exportPath(generation), framesPath(generation)].reduce(0) { total, path in
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value
            return total + (size ?? 0)
        }
    }

    /// The generations that have an archived file on disk.
    func archivedGenerations() -> Set<UInt32> {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return Set(names.compactMap { name -> UInt32? in
            let parts = name.split(separator: ".")
            guard parts.count == 2, parts[1] == "export" || parts[1] == "frames" else { return nil }
            return UInt32(parts[0])
        })
    }

    /// Deletes the archived files of `generation`, if any.
    func remove(_ generation: UInt32) {
        for path in [exportPath(generation), framesPath(generation)] { unlink(path) }
    }

    /// Whether an archived file of `generation` is still on disk.
    func holds(_ generation: UInt32) -> Bool {
        FileManager.default.fileExists(atPath: exportPath(generation))
            || FileManager.default.fileExists(atPath: framesPath(generation))
    }

    /// Whether the archived file at `path` has exactly the bytes of `file`.
    func matches(_ path: String, _ file: ReplicationFile) throws -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let size = try file.size()
        var offset = 0
        while true {
            let chunk: Data
            do { chunk = try handle.read(upToCount: 1 << 20) ?? Data() } catch { throw ReplicationError.io("cannot read \(path)") }
            let live = try file.read(at: offset, count: 1 << 20)
            guard chunk.elementsEqual(live) else { return false }
            offset += chunk.count
            if chunk.isEmpty { return offset == size }
        }
    }

    /// Reads `count` bytes of an archived file at `offset`; `nil` when the file is missing.
    func read(_ path: String, offset: Int, count: Int) throws -> [UInt8]? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        do {
            try handle.seek(toOffset: UInt64(offset))
            return [UInt8](try handle.read(upToCount: count) ?? Data())
        } catch {
            throw ReplicationError.io("cannot read \(path): \(error.localizedDescription)")
        }
    }
}
