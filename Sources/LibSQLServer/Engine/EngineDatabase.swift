import Foundation
import Hrana
import Logging
import NIOConcurrencyHelpers
import SQLiteCore

/// The database shared by all streams: opens their connections (WAL) and enforces the transaction timeout.
final class EngineDatabase: Sendable {
    /// The options every connection uses.
    let configuration: EngineConfiguration
    private let logger: Logger
    private let state: NIOLockedValueBox<State>
    private let lockWaits: LockWaits
    /// The fair queue in front of SQLite's write lock that every stream's writes (and a replication cut) wait in.
    let writeQueue = WriteQueue()
    /// The commits of stream connections, counted when the WAL is kept for replication (see ``ReplicationLog``).
    let commits = CommitSequence()

    private struct State {
        var streams: [ObjectIdentifier: HranaStream] = [:]
        var isClosed = false
    }

    /// Opens (creating if needed) the database file and switches it to WAL mode.
    init(configuration: EngineConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        self.state = NIOLockedValueBox(State())
        self.lockWaits = LockWaits()
        let connection = try SQLiteConnection(path: configuration.databasePath)
        defer { connection.close() }
        connection.setBusyTimeout(configuration.busyTimeout)
        if configuration.keepsWAL { try connection.keepWAL() }
        let mode = try connection.enableWAL()
        if mode != "wal" {
            logger.debug("The database did not switch to WAL mode", metadata: ["mode": "\(mode)"])
        }
    }

    /// Opens a new stream with its own connection.
    func openStream() throws -> HranaStream {
        if state.withLockedValue({ $0.isClosed }) { throw EngineClosedError() }
        let connection = try SQLiteConnection(path: configuration.databasePath)
        let lockWaits = lockWaits
        let control = StreamControl(writeAccess: StreamControl.WriteAccess(
            queue: writeQueue, timeout: configuration.busyTimeout,
            onWait: { [weak self] waiter in
                lockWaits.noteWait()
                return self?.enforceTransactionTimeout(excluding: waiter) ?? false
            }))
        let waitForLock = lockWaits.handler(timeout: configuration.busyTimeout) { [weak self] in
            self?.enforceTransactionTimeout(excluding: control) ?? false
        }
        connection.setBusyHandler { count in
            control.inline.refusesToWait() ? false : waitForLock(count)
        }
        connection.setProgressHandler(every: 1000) { control.inline.shouldStop() }
        connection.setLimit(.length, Int32(clamping: configuration.maxValueSize))
        if configuration.keepsWAL {
            try connection.keepWAL()
            let commits = commits
            connection.setCommitHook { control.noteCommitting(cuts: commits.cutCount) }
            connection.setWALHook { frames in control.noteCommit(commits.next(), walFrames: Int(frames)) }
        }
        try connection.execute(script: configuration.synchronousFull ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL")
        let stream = HranaStream(
            connection: connection, control: control, configuration: configuration, logger: logger,
            onClose: { [weak self] stream in self?.unregister(stream) })
        let accepted = state.withLockedValue { state in
            guard !state.isClosed else { return false }
            state.streams[ObjectIdentifier(stream)] = stream
            return true
        }
        guard accepted else {
            stream.close()
            throw EngineClosedError()
        }
        return stream
    }

    /// The number of open streams.
    var streamCount: Int { state.withLockedValue { $0.streams.count } }

    /// Force-rolls-back a stream that has held the write lock longer than `transactionTimeout` while
    /// another stream waits for it, and returns whether it found one. Call periodically (e.g. every
    /// 100 ms); waiting writers also call it from their busy handler, so the timeout holds without a timer.
    @discardableResult
    func enforceTransactionTimeout() -> Bool {
        enforceTransactionTimeout(excluding: nil)
    }

    private func enforceTransactionTimeout(excluding waiter: StreamControl?) -> Bool {
        let now = ContinuousClock.now
        guard lockWaits.someoneWaiting() else { return false }
        let deadline = now - configuration.transactionTimeout
        var acted = false
        for stream in state.withLockedValue({ Array($0.streams.values) })
        where stream.control !== waiter && stream.enforceTransactionTimeout(deadline: deadline) {
            acted = true
            logger.debug("Transaction timeout: forced the rollback of a stream holding the write lock")
        }
        return acted
    }

    /// Closes every stream (rolling back their transactions) and checkpoints the WAL. Idempotent.
    func close() {
        let streams = state.withLockedValue { state in
            state.isClosed = true
            defer { state.streams.removeAll() }
            return Array(state.streams.values)
        }
        for stream in streams { stream.close() }
        if configuration.keepsWAL { return }
        do {
            let connection = try SQLiteConnection(path: configuration.databasePath, create: false)
            defer { connection.close() }
            connection.setBusyTimeout(.seconds(1))
            try connection.checkpoint(truncate: true)
        } catch {
            logger.debug("WAL checkpoint at close failed", metadata: ["error": "\(error)"])
        }
    }

    private func unregister(_ stream: HranaStream) {
        state.withLockedValue { _ = $0.streams.removeValue(forKey: ObjectIdentifier(stream)) }
    }
}

/// `openStream()` after `close()`.
struct EngineClosedError: Error, Sendable, CustomStringConvertible {
    var description: String { "The database is closed" }
}
