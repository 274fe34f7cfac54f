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
    let archive: GenerationArchive
    let logger: Logger
    let live: NIOLockedValueBox<Live>
    /// Serializes writes of `state.json`.
    let saving = NIOLockedValueBox(())
    /// The connections the capture uses; only the capture thread (or open/close) touches them.
    let connections: Connections
    /// The server's queue in front of the write lock, where a cut waits its turn (`nil`: SQLite's busy handler only).
    let writeQueue: WriteQueue?
    /// The stream connections' commit numbering, where a cut counts itself (`nil`: no stream connections).
    let commits: CommitSequence?
    /// How long a cut waits for its turn to write before it is postponed.
    static let writeTurnPatience: Duration = .seconds(2)

    struct Connections: @unchecked Sendable {
        /// Holds a read transaction, so that nothing else can restart the WAL.
        let pin: SQLiteConnection
        /// Takes the write lock for a cut.
        let writer: SQLiteConnection
        /// Runs the checkpoint of a cut.
        let checkpointer: SQLiteConnection
        let database: ReplicationFile
        let wal: ReplicationFile
    }

    struct Live {
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
        /// What the live generation's frame archive already holds (see ``archiveCommittedFrames()``).
        var archived: ArchivedFrames?
        /// ``CommitSequence/cutCount`` of the live generation: commits made with a lower count are in earlier ones.
        var cuts: UInt64 = 0
        /// The next write may still restart the WAL (a cut just checkpointed every frame, or no epoch has
        /// frames yet), so a commit's WAL frame count does not yet say which epoch it counts in.
        var walMayRestart = true

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
    enum ExportAnswer: Sendable {
        /// The image, already open: a purge after this answer no longer affects the download.
        case image(ExportImage)
        case gone
        case unavailable(String)
    }

    private init(
        options: ReplicationOptions, archive: GenerationArchive, logger: Logger, live: Live, connections: Connections,
        writeQueue: WriteQueue?, commits: CommitSequence?
    ) {
        self.writeQueue = writeQueue
        self.commits = commits
        self.options = options
        self.archive = archive
        self.logger = logger
        self.live = NIOLockedValueBox(live)
        self.connections = connections
    }

    /// Opens the log of the database at `databasePath` (in WAL mode, every connection opened with
    /// `SQLiteConnection.keepWAL()`); a cut takes its turn in `writeQueue` like the server's writers and counts
    /// itself in `commits`. Blocks; call it off the cooperative pool.
    static func open(
        databasePath: String, options: ReplicationOptions, writeQueue: WriteQueue? = nil,
        commits: CommitSequence? = nil, logger: Logger
    ) throws -> ReplicationLog {
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
            connections: Connections(pin: pin, writer: writer, checkpointer: checkpointer, database: database, wal: wal),
            writeQueue: writeQueue, commits: commits)
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

    // MARK: Capture

    /// Extends the committed prefix of the live generation from the WAL, and notices a new WAL epoch.
    func refresh(_ live: inout Live) throws {
        guard live.broken == nil else { return }
        defer { if live.liveFrames > 0 { live.walMayRestart = false } }
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

    /// Starts the live generation at frame 1 of the WAL epoch `scan` found.
    func adopt(_ scan: WALScan, into live: inout Live) {
        (live.state.epochSalt1, live.state.epochSalt2) = (scan.header.salt1, scan.header.salt2)
        live.state.base = 0
        live.scan = scan
        live.needsSave = true
    }
}
