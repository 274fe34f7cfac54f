import Foundation
import Synchronization

/// A fair queue in front of SQLite's write lock: sessions that are about to write take turns in arrival
/// order, and a session keeps its turn until it no longer holds the write lock (its autocommit statement
/// ended, or its transaction committed, rolled back or was closed). The turn passes straight to the
/// longest waiter, so nobody can overtake a writer that is already waiting.
///
/// SQLite's own busy handler polls, and whichever connection retries first after the lock is released
/// wins it: under contention a writer can lose every race until its busy timeout. With the queue, a writer
/// waits at most for the writers that arrived before it. The busy handler still covers the locks the queue
/// does not order (another process, a checkpoint).
final class WriteQueue: Sendable {
    private struct Waiter {
        let member: ObjectIdentifier
        let wake: DispatchSemaphore
    }

    private struct State {
        var owner: ObjectIdentifier?
        var waiters: [Waiter] = []
        var head = 0
        /// How many times the turn has passed from one session to another (or been freed).
        var handoffs: UInt64 = 0

        var waitingCount: Int { waiters.count - head }

        mutating func removeWaiter(_ member: ObjectIdentifier) {
            guard let index = waiters[head...].firstIndex(where: { $0.member == member }) else { return }
            waiters.remove(at: index)
        }

        mutating func popFirst() -> Waiter? {
            guard head < waiters.count else { return nil }
            let first = waiters[head]
            head += 1
            if head > 64 && head * 2 > waiters.count {
                waiters.removeFirst(head)
                head = 0
            }
            return first
        }
    }

    private let state = Mutex(State())

    /// How long one wait lasts before `onWait` runs again.
    static let tick: Duration = .milliseconds(10)

    /// Waits until `member` has the turn; returns whether it got it.
    ///
    /// A waiter gives up when the turn has not moved for `patience` (the busy timeout): one holder kept
    /// it that long, as SQLite's busy timeout fails a writer whose lock holder does not let go. While the
    /// queue moves, it keeps waiting for the writers that arrived before it. `onWait` runs about every
    /// ``tick`` and returns the deadline to keep waiting for (the transaction timeout forcing a holder to
    /// roll back extends it). Returns at once when `member` already has the turn.
    func acquire(
        _ member: ObjectIdentifier, patience: Duration,
        onWait: (ContinuousClock.Instant) -> ContinuousClock.Instant
    ) -> Bool {
        let wake = DispatchSemaphore(value: 0)
        let queued = state.withLock { state -> UInt64? in
            if state.owner == member { return nil }
            if state.owner == nil && state.waitingCount == 0 {
                state.owner = member
                return nil
            }
            state.waiters.append(Waiter(member: member, wake: wake))
            return state.handoffs
        }
        guard var handoffs = queued else { return true }
        var deadline = ContinuousClock.now + patience
        while true {
            let now = ContinuousClock.now
            let moved = state.withLock { $0.handoffs }
            if moved != handoffs {
                handoffs = moved
                deadline = max(deadline, now + patience)
            }
            deadline = onWait(deadline)
            let remaining = deadline - now
            if remaining > .zero, wake.wait(timeout: .now() + .nanoseconds(Int(min(remaining, Self.tick).nanoseconds))) == .success {
                return true
            }
            if remaining <= .zero {
                let granted = state.withLock { state -> Bool in
                    if state.owner == member { return true }
                    state.removeWaiter(member)
                    return false
                }
                return granted
            }
        }
    }

    /// Ends `member`'s turn and hands it to the longest waiter. A no-op when `member` does not have it.
    func release(_ member: ObjectIdentifier) {
        state.withLock { state in
            guard state.owner == member else { return }
            state.handoffs &+= 1
            if let next = state.popFirst() {
                state.owner = next.member
                next.wake.signal()
            } else {
                state.owner = nil
            }
        }
    }

    /// The number of sessions waiting for their turn.
    var waitingCount: Int { state.withLock { $0.waitingCount } }

    /// Whether `member` has the turn.
    func hasTurn(_ member: ObjectIdentifier) -> Bool { state.withLock { $0.owner == member } }
}

extension Duration {
    /// The duration in whole nanoseconds, rounded down.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
