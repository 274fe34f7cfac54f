import Synchronization

/// What the transaction-timeout enforcer and a session share, outside the session's main lock.
final class SessionControl: Sendable {
    private struct State {
        var writeLockSince: ContinuousClock.Instant?
        var timeoutRequested = false
        var timedOut = false
    }

    private let state = Mutex(State())
    /// The time limit of the statement running inline, if any (read by SQLite's handlers).
    let inline = InlineBudget()

    /// Records whether the session holds the write lock after a statement that started at `since`.
    func noteWriteLock(held: Bool, since: ContinuousClock.Instant) {
        state.withLock { state in
            if held {
                if state.writeLockSince == nil { state.writeLockSince = since }
            } else {
                state.writeLockSince = nil
            }
        }
    }

    /// When the session took the write lock, if it holds it.
    var writeLockSince: ContinuousClock.Instant? { state.withLock { $0.writeLockSince } }

    /// Asks a busy session to roll back when it next can (its statement is being interrupted).
    func requestTimeout() {
        state.withLock { $0.timeoutRequested = true }
    }

    /// Returns and clears a pending timeout request.
    func takeTimeoutRequest() -> Bool {
        state.withLock { state in
            defer { state.timeoutRequested = false }
            return state.timeoutRequested
        }
    }

    /// Marks the session as force-rolled-back: its next request's statements fail with `TRANSACTION_TIMEOUT`.
    func setTimedOut() {
        state.withLock { state in
            state.timedOut = true
            state.writeLockSince = nil
        }
    }

    var isTimedOut: Bool { state.withLock { $0.timedOut } }

    func clearTimedOut() {
        state.withLock { $0.timedOut = false }
    }
}
