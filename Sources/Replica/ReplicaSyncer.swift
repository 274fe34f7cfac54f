import Foundation
import Logging
import Synchronization

/// The sync engine of one replica: its position, the apply engine, and the loop that pulls frames and applies
/// each complete primary transaction. One sync runs at a time; a reader is blocked only while one transaction
/// is applied.
actor ReplicaSyncer {
    let files: LocalFiles
    let client: SyncProtocolClient
    let remote: String
    let busyTimeout: Duration
    let logger: Logger
    let metrics: ReplicaMetrics
    private let lock = AsyncLock()
    private var applier: PageApplier?
    private(set) var metadata: ReplicaMetadata
    private var closed = false
    /// Called after the database file was replaced, so readers move to the new file.
    private var onReplaced: @Sendable () async -> Void = {}
    /// Every write whose epoch is at most this was committed before a successful sync started.
    private var coveredEpoch: UInt64 = 0
    /// The most bytes the last sync held in its spool (a transaction larger than memory allows).
    private(set) var lastSpoolPeak: Int64 = 0

    private init(
        files: LocalFiles, client: SyncProtocolClient, remote: String, busyTimeout: Duration, logger: Logger,
        applier: PageApplier, metadata: ReplicaMetadata
    ) {
        self.files = files
        self.client = client
        self.remote = remote
        self.busyTimeout = busyTimeout
        self.logger = logger
        self.applier = applier
        self.metadata = metadata
        metrics = ReplicaMetrics(path: files.database)
    }

    /// Opens the replica at `files`: bootstraps a missing (or empty) file, checks an existing one against its
    /// metadata, lets SQLite roll back an apply a crash interrupted, and rebuilds a file changed behind its back.
    static func open(
        files: LocalFiles, client: SyncProtocolClient, remote: String, busyTimeout: Duration, logger: Logger
    ) async throws -> (ReplicaSyncer, bootstrapBytes: Int64?) {
        removeStaleTemporaries(files)
        try LocalFiles.remove(files.spool)  // left by a crash in the middle of a large transaction
        let databaseSize = LocalFiles.size(files.database)
        var metadata: ReplicaMetadata?
        if let bytes = LocalFiles.read(files.metadata) {
            let decoded = try ReplicaMetadata.decode(bytes)
            guard decoded.remote == remote else {
                throw ReplicaError(
                    .metadataMismatch, "\(files.database) is a replica of \(decoded.remote), not of \(remote)")
            }
            guard decoded.pageSize == WALFrame.pageSize else {
                throw ReplicaError(.metadataMismatch, "The replica's metadata has page size \(decoded.pageSize)")
            }
            metadata = decoded
        } else if let databaseSize, databaseSize > 0 {
            throw ReplicaError(
                .notAReplica,
                "\(files.database) exists but is not a synced replica (no \(files.metadata)); "
                    + "point the replica at a new or empty file, or delete this one")
        }
        if var metadata, !metadata.bootstrapping, databaseSize != nil {
            let applier = try PageApplier(files: files, busyTimeout: busyTimeout)
            let header = try applier.recoverAndReadHeader()
            if header.isRollbackMode, !LocalFiles.exists(files.wal),
               let position = metadata.position(forChangeCounter: header.changeCounter) {
                metadata.committed = position
                metadata.pending = nil
                let syncer = ReplicaSyncer(
                    files: files, client: client, remote: remote, busyTimeout: busyTimeout, logger: logger,
                    applier: applier, metadata: metadata)
                return (syncer, nil)
            }
            logger.debug("The replica file was changed behind the replica's back; rebuilding it",
                         metadata: ["path": "\(files.database)"])
            applier.close()
        }
        let (fresh, bytes) = try await Bootstrap.run(files: files, client: client, remote: remote, logger: logger)
        let applier = try PageApplier(files: files, busyTimeout: busyTimeout)
        let syncer = ReplicaSyncer(
            files: files, client: client, remote: remote, busyTimeout: busyTimeout, logger: logger,
            applier: applier, metadata: fresh)
        return (syncer, bytes)
    }

    private static func removeStaleTemporaries(_ files: LocalFiles) {
        let name = (files.database as NSString).lastPathComponent
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: files.directory) else { return }
        for entry in entries where entry.hasPrefix(name + ".bootstrap-") || entry.hasPrefix(name + "-sync.tmp-") {
            try? LocalFiles.remove((files.directory as NSString).appendingPathComponent(entry))
        }
    }

    func setOnReplaced(_ action: @escaping @Sendable () async -> Void) {
        onReplaced = action
    }

    var position: SyncPosition { metadata.committed }

    func close() async {
        await lock.lock()
        defer { lock.unlock() }
        closed = true
        applier?.close()
        applier = nil
    }

    // MARK: Syncing

    /// Pulls and applies everything up to the end of the primary's current generation.
    ///
    /// `writeEpoch` counts the remote writes that had finished when the sync was asked for; unless `force`, the
    /// sync is skipped when one that started after them already succeeded (read-your-writes).
    func sync(writeEpoch: UInt64, force: Bool, timeout: Duration) async throws -> SyncResult {
        await lock.lock()
        defer { lock.unlock() }
        guard force || coveredEpoch < writeEpoch else {
            return SyncResult(
                framesApplied: 0, transactionsApplied: 0, generation: metadata.committed.generation,
                frame: metadata.committed.frame, bytesPulled: 0, rebuilt: false, duration: .zero, finishedAt: Date())
        }
        do {
            let result = try await withTimeout(timeout, "The sync") { try await self.pullAndApply() }
            coveredEpoch = max(coveredEpoch, writeEpoch)
            metrics.record(result)
            return result
        } catch {
            metrics.failures.increment()
            throw error
        }
    }

    private func pullAndApply() async throws -> SyncResult {
        guard !closed else { throw ReplicaError(.closed, "The replica is closed") }
        let started = ContinuousClock.now
        var result = SyncResult(
            framesApplied: 0, transactionsApplied: 0, generation: 0, frame: 0, bytesPulled: 0, rebuilt: false,
            duration: .zero, finishedAt: Date())
        let spool = FrameSpool(path: files.spool)
        defer {
            lastSpoolPeak = spool.peakSize
            spool.close()
        }
        var buffer = TransactionBuffer(spool: spool)
        var rebuilds = 0
        // The first request of a sync asks again for the last frame applied: a primary whose history was replaced
        // (a restored backup, a new database at the same URL, under the same generation number) answers it with
        // other bytes, or not at all, and the replica rebuilds instead of mixing two histories.
        var verified = false
        pulling: while true {
            try Task.checkCancellation()
            let generation = metadata.committed.generation
            let expected = metadata.committed.frameIdentity
            let verifying = !verified && buffer.isEmpty && metadata.committed.frame > 0 && expected != nil
            verified = true
            let start = metadata.committed.frame + UInt32(buffer.frameCount) + (verifying ? 0 : 1)
            switch try await client.pull(generation: generation, start: start) {
            case .frames(var frames, let bytes):
                result.bytesPulled += Int64(bytes)
                metrics.bytesPulled.increment(by: bytes)
                var first = start
                if verifying {
                    guard frames[0].identity == expected else {
                        result.bytesPulled += try await rebuild(
                            "frame \(start) of generation \(generation) is not the one the replica applied", count: &rebuilds)
                        result.rebuilt = true
                        continue pulling
                    }
                    frames.removeFirst()
                    first += 1
                }
                // Complete transactions of one response are applied together, up to a bound, so that readers
                // wait for at most one group of pages; a reader sees all of a transaction or none of it.
                var group: PrimaryTransaction?
                let lastCommit = frames.lastIndex { $0.isCommit }
                for (index, frame) in frames.enumerated() {
                    guard let transaction = try buffer.add(frame, number: first + UInt32(index)) else { continue }
                    if group == nil { group = transaction } else { group!.append(transaction) }
                    guard index == lastCommit || group!.pages.count >= Self.maxPagesPerApply else { continue }
                    do {
                        try apply(group!, generation: generation)
                    } catch let drift as LocalDrift {
                        buffer.discard()
                        spool.reset()
                        result.bytesPulled += try await rebuild(drift.description, count: &rebuilds)
                        result.rebuilt = true
                        continue pulling
                    }
                    result.framesApplied += group!.frameCount
                    result.transactionsApplied += group!.transactionCount
                    group = nil
                    if !buffer.spilled { spool.reset() }
                }
            case .endOfGeneration(let remoteGeneration) where verifying:
                // A primary that still has this history has the frame the replica applied last.
                result.bytesPulled += try await rebuild(
                    "the primary has no frame \(start) in generation \(generation) (it answers generation "
                        + "\(remoteGeneration)): its history was replaced", count: &rebuilds)
                result.rebuilt = true
            case .endOfGeneration(let remoteGeneration):
                if !buffer.isEmpty {
                    let frames = buffer.frameCount
                    buffer.discard()
                    spool.reset()
                    throw ReplicaError(
                        .protocolViolation,
                        "Generation \(generation) ended after \(frames) frames of a transaction that never committed; "
                            + "the replica stays at frame \(metadata.committed.frame)")
                }
                if remoteGeneration == generation { break pulling }
                if remoteGeneration < generation {
                    result.bytesPulled += try await rebuild(
                        "the primary's generation went back from \(generation) to \(remoteGeneration)", count: &rebuilds)
                    result.rebuilt = true
                    continue pulling
                }
                // The primary checkpointed: generation g ended here, g + 1 starts from the same database state.
                var next = metadata
                next.committed = SyncPosition(
                    generation: generation + 1, frame: 0, changeCounter: metadata.committed.changeCounter)
                next.pending = nil
                try LocalFiles.replaceAtomically(files.metadata, with: next.encoded(), directory: files.directory)
                metadata = next
            case .generationGone:
                buffer.discard()
                spool.reset()
                result.bytesPulled += try await rebuild(
                    "the server no longer serves generation \(generation)", count: &rebuilds)
                result.rebuilt = true
            }
        }
        result.generation = metadata.committed.generation
        result.frame = metadata.committed.frame
        result.duration = ContinuousClock.now - started
        result.finishedAt = Date()
        return result
    }

    /// The most pages applied under one lock (4 MiB).
    static let maxPagesPerApply = 1024

    private func apply(_ transaction: PrimaryTransaction, generation: UInt32) throws {
        guard let applier else { throw ReplicaError(.closed, "The replica is closed") }
        do {
            var next = try applier.apply(transaction, generation: generation, metadata: metadata)
            next.committed = next.pending ?? next.committed
            next.pending = nil
            metadata = next
        } catch let error as LocalDrift {
            throw error
        } catch {
            // The file is at its old state, or (if only COMMIT failed) at the new one: ask its change counter.
            if let header = try? applier.recoverAndReadHeader(),
               let position = { () -> SyncPosition? in
                   var candidate = metadata
                   candidate.pending = SyncPosition(
                       generation: generation, frame: transaction.commitFrame,
                       changeCounter: metadata.committed.changeCounter &+ 1, frameIdentity: transaction.commitIdentity)
                   return candidate.position(forChangeCounter: header.changeCounter)
               }() {
                metadata.committed = position
            }
            throw error
        }
    }

    /// Replaces the replica file with a fresh export; returns the bytes downloaded. Gives up after two rebuilds in
    /// one sync (a server that keeps losing its history).
    private func rebuild(_ reason: String, count: inout Int) async throws -> Int64 {
        count += 1
        guard count <= 2 else {
            throw ReplicaError(.protocolViolation, "The replica had to be rebuilt repeatedly: \(reason)")
        }
        logger.debug("Rebuilding the replica", metadata: ["reason": "\(reason)"])
        defer {
            if applier == nil, LocalFiles.exists(files.database) {
                applier = try? PageApplier(files: files, busyTimeout: busyTimeout)
            }
        }
        applier?.close()
        applier = nil
        let (fresh, bytes) = try await Bootstrap.run(files: files, client: client, remote: remote, logger: logger)
        metadata = fresh
        applier = try PageApplier(files: files, busyTimeout: busyTimeout)
        await onReplaced()
        return bytes
    }
}
