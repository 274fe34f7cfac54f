import CSQLite
import Foundation
import Logging
import NIOConcurrencyHelpers
import SQLiteCore

/// Ending a generation: the capture thread's rounds and the cut.
extension ReplicationLog {
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
}
