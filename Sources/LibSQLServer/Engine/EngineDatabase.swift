import Foundation
import Hrana
import Logging
import SQLiteCore
import Synchronization

/// The database shared by all streams: opens their connections (WAL) and enforces the transaction timeout.
final class EngineDatabase: Sendable {
    /// The options every connection uses.
    let configuration: EngineConfiguration
    private let logger: Logger
    private let state: Mutex<State>
    private let lockWaits: LockWaits

    private struct State {
        var sessions: [ObjectIdentifier: StreamSession] = [:]
        var isClosed = false
    }

    /// Opens (creating if needed) the database file and switches it to WAL mode.
    init(configuration: EngineConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        self.state = Mutex(State())
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
    func openSession() throws -> StreamSession {
        if state.withLock({ $0.isClosed }) { throw EngineClosedError() }
        let connection = try SQLiteConnection(path: configuration.databasePath)
        let control = SessionControl()
        let waitForLock = lockWaits.handler(timeout: configuration.busyTimeout) { [weak self] in
            self?.enforceTransactionTimeout(excluding: control) ?? false
        }
        connection.setBusyHandler { count in
            control.inline.refusesToWait() ? false : waitForLock(count)
        }
        connection.setProgressHandler(every: 1000) { control.inline.shouldStop() }
        connection.setLimit(.length, Int32(clamping: configuration.maxValueSize))
        if configuration.keepsWAL { try connection.keepWAL() }
        try connection.execute(script: configuration.synchronousFull ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL")
        let session = StreamSession(
            connection: connection, control: control, configuration: configuration, logger: logger,
            onClose: { [weak self] session in self?.unregister(session) })
        let accepted = state.withLock { state in
            guard !state.isClosed else { return false }
            state.sessions[ObjectIdentifier(session)] = session
            return true
        }
        guard accepted else {
            session.close()
            throw EngineClosedError()
        }
        return session
    }

    /// The number of open sessions.
    var sessionCount: Int { state.withLock { $0.sessions.count } }

    /// Force-rolls-back a session that has held the write lock longer than `transactionTimeout` while
    /// another session waits for it, and returns whether it found one. Call periodically (e.g. every
    /// 100 ms); waiting writers also call it from their busy handler, so the timeout holds without a timer.
    @discardableResult
    func enforceTransactionTimeout() -> Bool {
        enforceTransactionTimeout(excluding: nil)
    }

    private func enforceTransactionTimeout(excluding waiter: SessionControl?) -> Bool {
        let now = ContinuousClock.now
        guard lockWaits.someoneWaiting(at: now) else { return false }
        let deadline = now - configuration.transactionTimeout
        var acted = false
        for session in state.withLock({ Array($0.sessions.values) })
        where session.control !== waiter && session.enforceTransactionTimeout(deadline: deadline) {
            acted = true
            logger.debug("Transaction timeout: forced the rollback of a stream holding the write lock")
        }
        return acted
    }

    /// Closes every session (rolling back their transactions) and checkpoints the WAL. Idempotent.
    func close() {
        let sessions = state.withLock { state in
            state.isClosed = true
            defer { state.sessions.removeAll() }
            return Array(state.sessions.values)
        }
        for session in sessions { session.close() }
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

    private func unregister(_ session: StreamSession) {
        state.withLock { _ = $0.sessions.removeValue(forKey: ObjectIdentifier(session)) }
    }
}

/// `openSession()` after `close()`.
struct EngineClosedError: Error, Sendable, CustomStringConvertible {
    var description: String { "The database is closed" }
}
