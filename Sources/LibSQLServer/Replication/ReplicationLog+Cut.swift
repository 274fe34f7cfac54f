import CSQLite
import Foundation
import Logging
import NIOConcurrencyHelpers
import SQLiteCore

/// Ending a generation: the capture thread's rounds and the cut.
extension ReplicationLog {
    /// One round of the capture thread: captures, copies the frames committed since the last round to the
    /// live generation's frame archive, and cuts when a threshold is reached or the log broke.
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
        if broken == nil {
            do { try archiveCommittedFrames() } catch {
                logger.debug("Archiving frames failed", metadata: ["error": "\(error)"])
            }
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
    /// Frames committed so far are archived before the write lock is taken (each round of ``tick()`` copies
    /// the new ones): the pin keeps the WAL from restarting, so they cannot change. The cut takes its turn in
    /// the server's ``WriteQueue`` like any writer, then the write lock, held only to capture and archive the last
    /// frames and checkpoint, so no write can slip in and no restart of the WAL can overwrite a frame before it
    /// is copied. The export is copied after the lock is released: writers only append to the WAL until the
    /// next checkpoint, which is this thread's next cut, and `/export` of the new generation waits for it.
    /// The fsyncs and the new `state.json` come last.
    @discardableResult
    func cut(purging: Bool = false) throws -> Bool {
        let connections = connections
        if !purging { try archiveCommittedFrames() }
        let turn = ObjectIdentifier(self)
        if let writeQueue, !writeQueue.acquire(turn, patience: Self.writeTurnPatience, onWait: { $0 }) { return false }
        var holdsWriteLock = true
        let endWriteTurn = { [writeQueue] in
            try? connections.writer.execute(script: "COMMIT")
            writeQueue?.release(turn)
            holdsWriteLock = false
        }
        defer { if holdsWriteLock { endWriteTurn() } }
        do { try connections.writer.execute(script: "BEGIN IMMEDIATE") } catch { return false }
        let locked = ContinuousClock.now
        // 1. Capture the last frames and checkpoint every one of them.
        let planned = try live.withLockedValue { (live) throws -> (state: ReplicationState, scan: WALScan?, frames: Int, first: Int)? in
            if !purging { try refresh(&live) }
            guard purging || live.broken == nil else { return nil }
            let frames = live.liveFrames
            guard purging || frames > 0 else { return nil }
            let walFrames = live.scan?.committedFrames ?? 0
            try connections.pin.run("COMMIT")
            let (result, log, checkpointed) = connections.checkpointer.checkpointCounts(mode: SQLITE_CHECKPOINT_PASSIVE)
            // The checkpoint does not write the WAL: resuming the scan made under this lock only rereads its header.
            let scan = try WALScanner.scan(connections.wal, resuming: live.scan)
            guard result == SQLITE_OK, log == checkpointed, purging || log == walFrames,
                  (scan?.committedFrames ?? 0) == log
            else {
                try connections.pin.run("BEGIN; SELECT count(*) FROM sqlite_schema")
                return nil
            }
            var state = live.state
            let first = state.base + 1
            if !purging {
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
            let held = try archiveCommittedFrames()
            guard let held, held.generation == closing, held.first == planned.first, held.last == planned.state.base else {
                throw ReplicationError.io("the frames of generation \(closing) were not archived whole")
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
            live.cuts = commits?.advanceCuts() ?? live.cuts + 1
            live.walMayRestart = true
        }
        try connections.pin.run("BEGIN; SELECT count(*) FROM sqlite_schema")
        pinned = true
        endWriteTurn()
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

    /// Appends the live generation's frames committed since the last call to its frame archive (all of them
    /// after a restart or a failed copy), without the write lock; returns what the archive holds (WAL frames
    /// `first...last`), or `nil` when there is nothing to copy. Call it from the capture thread only.
    @discardableResult
    func archiveCommittedFrames() throws -> ArchivedFrames? {
        let plan = live.withLockedValue { live -> (wanted: ArchivedFrames, from: Int)? in
            try? refresh(&live)
            guard live.broken == nil, live.liveFrames > 0, let scan = live.scan else { return nil }
            let wanted = ArchivedFrames(
                generation: live.state.generation, salt1: scan.header.salt1, first: live.state.base + 1,
                last: scan.committedFrames)
            guard let done = live.archived, done.continues(into: wanted) else {
                live.archived = nil
                return (wanted, wanted.first)
            }
            return (wanted, done.last + 1)
        }
        guard let plan else { return nil }
        guard plan.from <= plan.wanted.last else { return plan.wanted }
        do {
            try archive.writeFrames(
                plan.wanted.generation, from: connections.wal, first: plan.from, last: plan.wanted.last, sync: false,
                appending: plan.from > plan.wanted.first)
        } catch {
            live.withLockedValue { $0.archived = nil }
            throw error
        }
        live.withLockedValue { $0.archived = plan.wanted }
        return plan.wanted
    }
}

/// The frames of the live generation that its frame archive holds: WAL frames `first...last` of the epoch
/// whose first salt is `salt1`.
struct ArchivedFrames: Sendable, Equatable {
    let generation: UInt32
    let salt1: UInt32
    let first: Int
    let last: Int

    /// Whether `wanted` extends these frames (same generation, epoch and start, not fewer frames).
    func continues(into wanted: ArchivedFrames) -> Bool {
        generation == wanted.generation && salt1 == wanted.salt1 && first == wanted.first && last <= wanted.last
    }
}
