import Foundation
import Synchronization

/// How lock waits sleep between retries: short at first, since an autocommit write holds the lock for tens of
/// microseconds, then longer for transactions that hold it across requests.
package enum BusyBackoff {
    private static let steps: [Duration] = [
        .microseconds(20), .microseconds(50), .microseconds(100), .microseconds(200), .microseconds(500),
        .milliseconds(1), .milliseconds(1), .milliseconds(1), .milliseconds(1), .milliseconds(1),
    ]

    /// How long the `attempt`-th retry of one lock wait sleeps.
    package static func delay(attempt: Int32) -> Duration {
        let index = Int(attempt)
        if index < steps.count { return steps[index] }
        return index < 20 ? .milliseconds(5) : .milliseconds(10)
    }

    /// Blocks the calling thread for `duration`.
    package static func sleep(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        Thread.sleep(forTimeInterval: Double(seconds) + Double(attoseconds) / 1e18)
    }
}

extension SQLiteConnection {
    /// Makes SQLite retry for up to `timeout` when the database is locked, in ``BusyBackoff`` steps, except
    /// while `budget` runs an inline statement: that gives up at once (see ``InlineBudget/refusesToWait()``).
    package func setBusyTimeout(_ timeout: Duration, budget: InlineBudget) {
        let start = Mutex(ContinuousClock.now)
        setBusyHandler { attempt in
            if budget.refusesToWait() { return false }
            let now = ContinuousClock.now
            if attempt == 0 { start.withLock { $0 = now } }
            let remaining = start.withLock { $0 } + timeout - now
            guard remaining > .zero else { return false }
            BusyBackoff.sleep(min(BusyBackoff.delay(attempt: attempt), remaining))
            return true
        }
    }
}
