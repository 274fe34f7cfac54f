import Synchronization

/// The time limit of a statement that runs inline, on the calling thread (the server's HTTP request handler,
/// a local client's task) instead of on a worker thread. SQLite's progress handler stops the statement once
/// the limit has passed and the busy handler gives up at once instead of sleeping; either way the statement
/// has changed nothing (only read-only statements run inline) and runs again on a worker thread.
package final class InlineBudget: Sendable {
    private struct State {
        var deadline: ContinuousClock.Instant?
        var exhausted = false
    }

    private let state = Mutex(State())

    package init() {}

    /// Starts an inline run that may last `limit`.
    package func begin(limit: Duration) {
        state.withLock { $0 = State(deadline: .now + limit) }
    }

    /// Ends the inline run.
    package func end() {
        state.withLock { $0 = State() }
    }

    /// Whether the current inline run stopped for its time limit or for a lock it would have waited for.
    package var isExhausted: Bool { state.withLock { $0.exhausted } }

    /// For the progress handler: whether the running statement must stop now.
    package func shouldStop() -> Bool {
        state.withLock { state in
            guard let deadline = state.deadline, ContinuousClock.now >= deadline else { return false }
            state.exhausted = true
            return true
        }
    }

    /// For the busy handler: whether to give up the lock wait at once (an inline run never sleeps).
    package func refusesToWait() -> Bool {
        state.withLock { state in
            guard state.deadline != nil else { return false }
            state.exhausted = true
            return true
        }
    }
}
