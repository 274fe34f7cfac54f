import CSQLite
import Foundation
import Logging
import NIOConcurrencyHelpers
import SQLiteCore

/// The server half of libSQL's sync protocol v2 on stock SQLite: the committed frames of the database's
/// WAL, numbered per *generation*, and the database image at the start of each generation.
///
/// - The live generation's frames are read straight from the `-wal` (salts and checksum chain verified,
///   only up to the last commit frame). A read transaction held by a pin connection keeps any other
///   connection or process from restarting the WAL underneath.
/// - A cut (``cut(purging:)``) archives the frames committed so far, then holds the write lock to capture
///   and archive the last ones and checkpoint (PASSIVE, so nothing can slip in); after the lock it copies
///   the new export image, then persists the new generation.
/// - `state.json` is the commit point of a cut; a restart re-validates the WAL and continues the live
///   generation, or starts a new one (and answers 410 for the old) when the WAL changed while it was down.
final class ReplicationLog: Sendable {
    /// The most frames one `/sync` answer carries.
    static let maxFramesPerResponse = 1024

    let options: ReplicationOptions
    private let archive: GenerationArchive
    private let logger: Logger
    private let live: NIOLockedValueBox<Live>
    /// Serializes writes of `state.json`.
    private let saving = NIOLockedValueBox(())
    /// The connections the capture uses; only the capture thread (or open/close) touches them.
    private let connections: Connections

    private struct Connections: @unchecked Sendable {
        /// Holds a read transaction, so that nothing else can restart the WAL.
        let pin: SQLiteConnection
        /// Takes the write lock for a cut.
        let writer: SQLiteConnection
        /// Runs the checkpoint of a cut.
        let checkpointer: SQLiteConnection
        let database: ReplicationFile
        let wal: ReplicationFile
    }

    private struct Live {
        var state: ReplicationState
        var scan: WALScan?
        /// Set when the WAL changed in a way that loses the live generation's history; cleared by a purging cut.
        var broken: String?
        var startedAt: ContinuousClock.Instant
        /// The state changed since `state.json` was last written.
        var needsSave = false
        /// Every commit numbered up to this one (see ``CommitSequence``) was in the WAL at the last scan
        /// made for a replication index.
        var scannedThroughCommit: UInt64 = 0
        /// The generation whose export a cut is still copying; `/export` of it waits.
        var exportPending: UInt32?

        var liveFrames: Int {
            guard let scan else { return 0 }
            return max(0, scan.committedFrames - state.base)
        }
    }

    /// What `/sync/{g}/{start}/{end}` answers.
    enum FramesAnswer: Sendable, Equatable {
        case frames([UInt8])
        /// Nothing at or after `start`: the body carries the current generation.
        case endOfGeneration(current: UInt32)
        /// The generation's history is not kept (purged or never existed).
        case gone
        case unavailable(String)
    }

    /// What `/export/{g}` answers.
    enum ExportAnswer: Sendable, Equatable {
        case image(path: String)
        case gone
        case unavailable(String)
    }

    private init(options: ReplicationOptions, archive: GenerationArchive, logger: Logger, live: Live, connections: Connections) {
        self.options = options
        self.archive = archive
        self.logger = logger
        self.live = NIOLockedValueBox(live)
        self.connections = connections
    }

    /// Opens the log of the database at `databasePath` (in WAL mode, every connection opened with
    /// `SQLiteConnection.keepWAL()`). Blocks; call it off the cooperative pool.
    static func open(databasePath: String, options: ReplicationOptions, logger: Logger) throws -> ReplicationLog {
        let archive = try GenerationArchive(databasePath: databasePath)
        let pin = try SQLiteConnection.forReplication(path: databasePath)
        let writer = try SQLiteConnection.forReplication(path: databasePath)
        let checkpointer = try SQLiteConnection.forReplication(path: databasePath)
        var state = try archive.loadState()
        if state == nil {
            try truncate(checkpointer)
        }
        try pin.run("BEGIN; SELECT count(*) FROM sqlite_schema")
        let database = try ReplicationFile(path: databasePath)
        let wal = try ReplicationFile(path: databasePath + "-wal")
        var scan = try WALScanner.scan(wal, resuming: nil)
        if var restored = state {
            if try !continues(restored, scan: scan, database: database, archive: archive) {
                // The WAL changed while the server was down: the live generation's history is gone.
                logger.warning(
                    "The WAL does not continue the replication log; starting a new generation",
                    metadata: ["generation": "\(restored.generation)"])
                try pin.run("COMMIT")
                try truncate(checkpointer)
                try pin.run("BEGIN; SELECT count(*) FROM sqlite_schema")
                scan = try WALScanner.scan(wal, resuming: nil)
                restored.purged.append(restored.generation)
                // Above every archived number: a cut may have written the next one's files before a crash.
                restored.generation = max(restored.generation, archive.highestArchivedGeneration()) + 1
                restored.base = 0
                (restored.epochSalt1, restored.epochSalt2) = (nil, nil)
                try archive.writeExport(restored.generation, from: database, pageCount: try database.size() / WALFormat.pageSize)
                try archive.save(restored)
            } else if restored.epochSalt1 == nil, let scan {
                (restored.epochSalt1, restored.epochSalt2) = (scan.header.salt1, scan.header.salt2)
                try archive.save(restored)
            }
            state = restored
        } else {
            var fresh = ReplicationState.fresh(generation: archive.highestArchivedGeneration() + 1)
            if let scan { (fresh.epochSalt1, fresh.epochSalt2) = (scan.header.salt1, scan.header.salt2) }
            try archive.writeExport(fresh.generation, from: database, pageCount: try database.size() / WALFormat.pageSize)
            try archive.save(fresh)
            state = fresh
        }
        let live = Live(state: state!, scan: scan, startedAt: .now)
        let log = ReplicationLog(
            options: options, archive: archive, logger: logger, live: live,
            connections: Connections(pin: pin, writer: writer, checkpointer: checkpointer, database: database, wal: wal))
        try log.applyRetention()
        return log
    }

    /// Whether the WAL found at start-up still holds the live generation of `state`. After a clean stop
    /// (empty WAL) the database must also still be the generation's export: another process may have
    /// written and checkpointed it while the server was down.
    private static func continues(
        _ state: ReplicationState, scan: WALScan?, database: ReplicationFile, archive: GenerationArchive
    ) throws -> Bool {
        guard let salt1 = state.epochSalt1, let salt2 = state.epochSalt2 else {
            return try state.base == 0 && archive.matches(archive.exportPath(state.generation), database)
        }
        guard let scan else { return false }
        return scan.header.salt1 == salt1 && scan.header.salt2 == salt2 && scan.committedFrames >= state.base
    }

    private static func truncate(_ connection: SQLiteConnection) throws {
        let (result, log, _) = connection.checkpointCounts(mode: SQLITE_CHECKPOINT_TRUNCATE)
        guard result == SQLITE_OK, log == 0 else {
            throw ReplicationError.sqlite("the start-up checkpoint failed (\(result), \(log) frames left): is another process using the database?")
        }
    }

    /// Cuts the live generation if it has frames and truncates the WAL (so that the next start begins a new
    /// generation from an empty WAL), then closes the connections and descriptors. Call it after every
    /// other connection to the database is closed.
    func close() {
        do {
            if live.withLockedValue({ $0.liveFrames }) > 0, try !cut() {
                throw ReplicationError.sqlite("the final cut could not checkpoint every frame")
            }
            try connections.pin.run("COMMIT")
            let (result, log, _) = connections.checkpointer.checkpointCounts(mode: SQLITE_CHECKPOINT_TRUNCATE)
            if result == SQLITE_OK, log == 0 {
                live.withLockedValue { live in
                    guard live.liveFrames == 0 else { return }
                    (live.state.epochSalt1, live.state.epochSalt2, live.state.base) = (nil, nil, 0)
                    live.needsSave = true
                }
            }
            try persist()
        } catch {
            logger.debug("The final cut failed; the WAL is kept for the next start", metadata: ["error": "\(error)"])
            try? persist()
        }
        try? connections.pin.run("COMMIT")
        connections.pin.close()
        connections.writer.close()
        connections.checkpointer.close()
        connections.database.close()
        connections.wal.close()
    }

    // MARK: Serving

    /// The live generation (`GET /info`).
    func currentGeneration() -> Result<UInt32, ReplicationError> {
        live.withLockedValue { live in
            if let broken = live.broken { return .failure(.io(broken)) }
            return .success(live.state.generation)
        }
    }

    /// The frames `start ..< end` of `generation`, at most ``maxFramesPerResponse``.
    func frames(generation: UInt32, start: UInt32, end: UInt32) -> FramesAnswer {
        live.withLockedValue { live in
            do { try refresh(&live) } catch { return .unavailable("\(error)") }
            if let broken = live.broken { return .unavailable(broken) }
            let current = live.state.generation
            let count: Int
            if generation == current {
                count = live.liveFrames
            } else if let closed = live.state.closed[generation] {
                count = closed
            } else {
                return .gone
            }
            guard start >= 1, Int(start) <= count, end > start else { return .endOfGeneration(current: current) }
            let last = min(Int(end) - 1, count, Int(start) + Self.maxFramesPerResponse - 1)
            let wanted = (last - Int(start) + 1) * WALFormat.frameSize
            do {
                if generation == current {
                    let bytes = try connections.wal.read(
                        at: WALFormat.offset(ofFrame: live.state.base + Int(start)), count: wanted)
                    guard bytes.count == wanted, Self.carriesSalts(bytes, live.scan?.header) else {
                        return .unavailable("the WAL changed while it was read")
                    }
                    return .frames(bytes)
                }
                let offset = (Int(start) - 1) * WALFormat.frameSize
                guard let bytes = try archive.read(archive.framesPath(generation), offset: offset, count: wanted),
                      bytes.count == wanted
                else { return .unavailable("the frames of generation \(generation) are missing from the archive") }
                return .frames(bytes)
            } catch {
                return .unavailable("\(error)")
            }
        }
    }

    private static func carriesSalts(_ bytes: [UInt8], _ header: WALHeader?) -> Bool {
        guard let header else { return false }
        return bytes.withUnsafeBytes { raw in
            stride(from: 0, to: raw.count, by: WALFormat.frameSize).allSatisfy { offset in
                WALFormat.readUInt32(raw, at: offset + 8) == header.salt1
                    && WALFormat.readUInt32(raw, at: offset + 12) == header.salt2
            }
        }
    }

    /// The database image at the start of `generation`. Blocks (at most `wait`) while a cut is still copying
    /// it; call it off the cooperative pool.
    func export(generation: UInt32, wait: Duration = .seconds(30)) -> ExportAnswer {
        let deadline = ContinuousClock.now + wait
        while true {
            let answer = live.withLockedValue { live -> ExportAnswer? in
                if let broken = live.broken { return .unavailable(broken) }
                guard generation >= 1, generation <= live.state.generation, !live.state.purged.contains(generation) else {
                    return .gone
                }
                if live.exportPending == generation { return nil }
                let path = archive.exportPath(generation)
                return FileManager.default.fileExists(atPath: path) ? .image(path: path) : .gone
            }
            if let answer { return answer }
            guard ContinuousClock.now < deadline else {
                return .unavailable("the export of generation \(generation) is still being written")
            }
            Thread.sleep(forTimeInterval: 0.001)
        }
    }

    /// The replication index of the last committed write: frames of all earlier generations plus the
    /// live generation's frame count (see `Docs/Server.md`).
    ///
    /// `commit` is the number of the write's commit and `commits` the database's count of them: the WAL is
    /// scanned again only when the last scan began before that commit, so concurrent writers share scans.
    func replicationIndex(covering commit: UInt64, of commits: CommitSequence) -> UInt64? {
        live.withLockedValue { live in
            if commit == 0 || commit > live.scannedThroughCommit {
                let through = commits.current
                guard (try? refresh(&live)) != nil else { return nil }
                live.scannedThroughCommit = through
            }
            guard live.broken == nil else { return nil }
            return live.state.framesBefore + UInt64(live.liveFrames)
        }
    }

    // MARK: Capture

    /// Extends the committed prefix of the live generation from the WAL, and notices a new WAL epoch.
    private func refresh(_ live: inout Live) throws {
        guard live.broken == nil else { return }
        let scan = try WALScanner.scan(connections.wal, resuming: live.scan)
        guard let scan else {
            if live.liveFrames > 0 { live.broken = "the WAL was reset under the replication log" }
            return
        }
        let state = live.state
        if let salt1 = state.epochSalt1, let salt2 = state.epochSalt2 {
            if scan.header.salt1 != salt1 || scan.header.salt2 != salt2 {
                // SQLite restarted the WAL. That keeps the history only if the live generation had no frames
                // in the old epoch and this is the very next epoch.
                guard live.liveFrames == 0, scan.header.salt1 == salt1 &+ 1 else {
                    live.broken = "the WAL was restarted with frames the replication log had not captured"
                    return
                }
                adopt(scan, into: &live)
                return
            }
        } else {
            adopt(scan, into: &live)
            return
        }
        live.scan = scan
    }

    private func adopt(_ scan: WALScan, into live: inout Live) {
        (live.state.epochSalt1, live.state.epochSalt2) = (scan.header.salt1, scan.header.salt2)
        live.state.base = 0
        live.scan = scan
        live.needsSave = true
    }

    /// One round of the capture thread: captures, and cuts when a threshold is reached or the log broke.
    func tick() {
        let (frames, age, broken) = live.withLockedValue { live in
            do { try refresh(&live) } catch {
                logger.debug("WAL capture failed", metadata: ["error": "\(error)"])
            }
            return (live.liveFrames, ContinuousClock.now - live.startedAt, live.broken)
        }
        do { try persist() } catch {
            logger.debug("Saving the replication state failed", metadata: ["error": "\(error)"])
        }
        guard broken != nil || frames >= options.maxFramesPerGeneration || (frames > 0 && age >= options.maxGenerationAge)
        else { return }
        do {
            if try !cut(purging: broken != nil) {
                logger.debug("Generation cut postponed: readers or writers are busy")
            }
        } catch {
            logger.warning("Generation cut failed", metadata: ["error": "\(error)"])
        }
    }

    /// Ends the live generation: its frames are archived, the checkpointed database becomes the export of
    /// the next one. With `purging`, the live generation's history is dropped instead (410 from then on).
    /// Returns `false` when it must be retried (a writer held the lock, or a reader kept the checkpoint
    /// from copying every frame). Call it from the capture thread only.
    ///
    /// Frames committed so far are archived before the write lock is taken: the pin keeps the WAL from
    /// restarting, so they cannot change. The write lock is then held only to capture and archive the last
    /// frames and checkpoint, so no write can slip in and no restart of the WAL can overwrite a frame before it
    /// is copied. The export is copied after the lock is released: writers only append to the WAL until the
    /// next checkpoint, which is this thread's next cut, and `/export` of the new generation waits for it.
    /// The fsyncs and the new `state.json` come last.
    @discardableResult
    func cut(purging: Bool = false) throws -> Bool {
        let connections = connections
        let precopied = purging ? nil : try archiveCommittedFrames()
        do { try connections.writer.execute(script: "BEGIN IMMEDIATE") } catch { return false }
        let locked = ContinuousClock.now
        var holdsWriteLock = true
        defer { if holdsWriteLock { try? connections.writer.execute(script: "COMMIT") } }
        // 1. Capture the last frames and checkpoint every one of them.
        let planned = try live.withLockedValue { (live) throws -> (state: ReplicationState, scan: WALScan?, frames: Int, first: Int)? in
            if !purging { try refresh(&live) }
            guard purging || live.broken == nil else { return nil }
            let frames = live.liveFrames
            guard purging || frames > 0 else { return nil }
            let walFrames = live.scan?.committedFrames ?? 0
            try connections.pin.run("COMMIT")
            let (result, log, checkpointed) = connections.checkpointer.checkpointCounts(mode: SQLITE_CHECKPOINT_PASSIVE)
            let scan = try WALScanner.scan(connections.wal, resuming: nil)
            guard result == SQLITE_OK, log == checkpointed, purging || log == walFrames,
                  (scan?.committedFrames ?? 0) == log
            else {
                try connections.pin.run("BEGIN; SELECT count(*) FROM sqlite_schema")
                return nil
            }
            var state = live.state
            let first = state.base + 1
            if purging {
                state.purged.append(state.generation)
            } else {
                state.closed[state.generation] = frames
                state.framesBefore += UInt64(frames)
            }
            state.generation += 1
            state.base = log
            (state.epochSalt1, state.epochSalt2) = (scan?.header.salt1, scan?.header.salt2)
            return (state, scan, frames, first)
        }
        guard let planned else { return false }
        var pinned = false
        defer { if !pinned { try? connections.pin.run("BEGIN; SELECT count(*) FROM sqlite_schema") } }
        // 2. Archive the frames not copied yet while nothing can change them (page cache only).
        let closing = planned.state.generation - 1
        let next = planned.state.generation
        var written: [String] = []
        if !purging {
            if let precopied, precopied.generation == closing, precopied.first == planned.first,
               precopied.last <= planned.state.base {
                try archive.writeFrames(
                    closing, from: connections.wal, first: precopied.last + 1, last: planned.state.base, sync: false,
                    appending: true)
            } else {
                try archive.writeFrames(closing, from: connections.wal, first: planned.first, last: planned.state.base, sync: false)
            }
            written.append(archive.framesPath(closing))
        }
        let pageCount = try connections.database.size() / WALFormat.pageSize
        // 3. Serve the next generation; its export is pending until copied.
        live.withLockedValue { live in
            live.state = planned.state
            live.scan = planned.scan
            live.broken = nil
            live.startedAt = .now
            live.needsSave = true
            live.exportPending = next
        }
        try connections.pin.run("BEGIN; SELECT count(*) FROM sqlite_schema")
        pinned = true
        try? connections.writer.execute(script: "COMMIT")
        holdsWriteLock = false
        let lockHeld = ContinuousClock.now - locked
        // 4. The export: the database file does not change before this thread checkpoints again.
        do {
            try archive.writeExport(next, from: connections.database, pageCount: pageCount, sync: false)
        } catch {
            // Without its export the new generation cannot be served: the next round purges it.
            unlink(archive.exportPath(next))
            live.withLockedValue { live in
                live.exportPending = nil
                live.broken = "the export of generation \(next) could not be written: \(error)"
            }
            throw error
        }
        written.append(archive.exportPath(next))
        live.withLockedValue { $0.exportPending = nil }
        // 5. Make it durable: the archive files, then the state (the commit point across restarts).
        for path in written { try DurableFile.sync(path) }
        try persist()
        try applyRetention()
        logger.debug("Cut a generation", metadata: [
            "generation": "\(next)", "frames": "\(planned.frames)", "writeLockHeld": "\(lockHeld)",
            "total": "\(ContinuousClock.now - locked)",
        ])
        return true
    }

    /// Copies the live generation's committed frames to its frame archive ahead of a cut, without the write
    /// lock; returns what was copied (WAL frames `first...last`), or `nil` when there is nothing to copy.
    private func archiveCommittedFrames() throws -> (generation: UInt32, first: Int, last: Int)? {
        let range = live.withLockedValue { live -> (generation: UInt32, first: Int, last: Int)? in
            try? refresh(&live)
            guard live.broken == nil, live.liveFrames > 0, let scan = live.scan else { return nil }
            return (live.state.generation, live.state.base + 1, scan.committedFrames)
        }
        guard let range else { return nil }
        try archive.writeFrames(range.generation, from: connections.wal, first: range.first, last: range.last, sync: false)
        return range
    }

    // MARK: Retention

    /// Purges the oldest closed generations beyond ``ReplicationOptions/keepGenerations`` and
    /// ``ReplicationOptions/maxArchiveBytes``: `state.json` first names them purged (410 from then on), then
    /// their files are deleted. Files of generations purged earlier (a crash between the two) go too.
    func applyRetention() throws {
        let (purged, leftovers) = live.withLockedValue { live -> ([UInt32], [UInt32]) in
            let closed = live.state.closed.keys.sorted(by: >)
            var kept = 0
            var bytes: Int64 = 0
            var victims: [UInt32] = []
            for generation in closed {
                kept += 1
                bytes += archive.size(of: generation)
                if let keep = options.keepGenerations, kept + 1 > keep {
                    victims.append(generation)
                } else if let limit = options.maxArchiveBytes, bytes > limit {
                    victims.append(generation)
                }
            }
            for generation in victims {
                live.state.closed[generation] = nil
                live.state.purged.append(generation)
            }
            if !victims.isEmpty { live.needsSave = true }
            let current = live.state.generation
            return (victims, live.state.purged.filter { $0 != current && archive.holds($0) })
        }
        guard !purged.isEmpty || !leftovers.isEmpty else { return }
        try persist()
        for generation in Set(purged + leftovers) { archive.remove(generation) }
        if !purged.isEmpty {
            logger.debug("Purged old generations", metadata: ["generations": "\(purged.sorted())"])
        }
    }

    /// Writes the latest state to `state.json` if it changed; saves are serialized and always write the newest.
    func persist() throws {
        try saving.withLockedValue { _ in
            let state = live.withLockedValue { live -> ReplicationState? in
                guard live.needsSave else { return nil }
                live.needsSave = false
                return live.state
            }
            guard let state else { return }
            do {
                try archive.save(state)
            } catch {
                live.withLockedValue { $0.needsSave = true }
                throw error
            }
        }
    }
}
