import Dispatch
import SQLiteCore
import Synchronization

/// Busy handling shared by all connections: waits in small sleeps up to the busy timeout and remembers
/// when someone last waited for a lock (the transaction timeout applies only then).
final class LockWaits: Sendable {
    /// When someone last waited, in `DispatchTime` uptime nanoseconds (0: never). An atomic, since every
    /// waiting writer writes it.
    private let lastWait = Atomic<UInt64>(0)

    /// Records that a stream is waiting for the write lock now (in the write queue).
    func noteWait() {
        lastWait.store(DispatchTime.now().uptimeNanoseconds, ordering: .relaxed)
    }

    /// Whether someone waited for a lock within the last 250 ms.
    func someoneWaiting() -> Bool {
        let last = lastWait.load(ordering: .relaxed)
        return last != 0 && DispatchTime.now().uptimeNanoseconds &- last < 250_000_000
    }

    /// A busy handler that gives up after `timeout`. At each retry (after 20 µs at first, up to 10 ms later) it calls `enforce` (the
    /// transaction timeout); when that forces a holder to roll back, the wait may run up to twice
    /// `timeout`, so a writer does not give up just before the lock it waits for is released.
    func handler(timeout: Duration, enforce: @escaping @Sendable () -> Bool) -> @Sendable (Int32) -> Bool {
        let wait = WaitDeadline()
        return { [self] count in
            let now = ContinuousClock.now
            noteWait()
            if count == 0 { wait.begin(at: now, timeout: timeout) }
            if count > 0 && enforce() {
                wait.extend(to: now + .seconds(1), limit: timeout * 2)
            }
            let remaining = wait.deadline - now
            guard remaining > .zero else { return false }
            BusyBackoff.sleep(min(BusyBackoff.delay(attempt: count), remaining))
            return true
        }
    }
}

/// When the current lock wait of one connection started and when it gives up.
private final class WaitDeadline: Sendable {
    private struct State {
        var start = ContinuousClock.now
        var deadline = ContinuousClock.now
    }

    private let state = Mutex(State())

    func begin(at now: ContinuousClock.Instant, timeout: Duration) {
        state.withLock { $0 = State(start: now, deadline: now + timeout) }
    }

    func extend(to instant: ContinuousClock.Instant, limit: Duration) {
        state.withLock { state in
            state.deadline = max(state.deadline, min(instant, state.start + limit))
        }
    }

    var deadline: ContinuousClock.Instant { state.withLock { $0.deadline } }
}
