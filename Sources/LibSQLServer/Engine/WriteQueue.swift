import Foundation
import NIOConcurrencyHelpers

/// A fair queue in front of SQLite's write lock: streams that are about to write take turns, and a stream
/// keeps its turn until it no longer holds the write lock (its autocommit statement ended, or its
/// transaction committed, rolled back or was closed).
///
/// SQLite's own busy handler polls, and whichever connection retries first after the lock is released
/// wins it: under contention a writer can lose every race until its busy timeout. With the queue, a writer
/// waits at most for the writers that arrived before it, plus a bounded starvation threshold. The busy
/// handler still covers the locks the queue does not order (another process, a checkpoint).
///
/// Like a fair mutex with a starvation mode, the queue has two modes. Normally a released turn is free and
/// the longest waiter is woken to take it, while a writer that arrives meanwhile may take it first (it is
/// already running, so the turn does not wait for a thread to wake up: a hand-off to a sleeping thread on
/// every write caps throughput at the wake-up latency). A woken waiter that loses goes back to the head of
/// the queue; once any waiter has waited longer than ``starvationThreshold``, the queue switches to strict
/// hand-off in arrival order until a waiter gets the turn quickly again or nobody waits.
final class WriteQueue: Sendable {
    private struct Waiter {
        let member: ObjectIdentifier
        let wake: DispatchSemaphore
    }

    private struct State {
        var owner: ObjectIdentifier?
        var waiters: [Waiter] = []
        var head = 0
        /// How many times the turn has passed from one stream to another (or been freed).
        var handoffs: UInt64 = 0
        /// Strict hand-off: a released turn goes to the longest waiter and nobody may take it first.
        var isStarving = false

        var waitingCount: Int { waiters.count - head }

        func isQueued(_ member: ObjectIdentifier) -> Bool {
            waiters[head...].contains { $0.member == member }
        }

        mutating func removeWaiter(_ member: ObjectIdentifier) {
            guard let index = waiters[head...].firstIndex(where: { $0.member == member }) else { return }
            waiters.remove(at: index)
        }

        /// Puts a woken waiter that lost the turn back at the head of the queue.
        mutating func pushFront(_ waiter: Waiter) {
            if head > 0 {
                head -= 1
                waiters[head] = waiter
            } else {
                waiters.insert(waiter, at: 0)
            }
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

    /// A plain (non priority-inheriting) lock: under contention, `Synchronization.Mutex` on Linux hands the lock
    /// from thread to thread through the kernel, which serializes writers behind context switches.
    private let state = NIOLockedValueBox(State())

    /// How long one wait lasts before `onWait` runs again.
    static let tick: Duration = .milliseconds(10)

    /// A waiter that has waited this long makes the queue hand the turn over strictly in arrival order.
    static let starvationThreshold: Duration = .milliseconds(1)

    /// Waits until `member` has the turn; returns whether it got it.
    ///
    /// A waiter gives up when the turn has not moved for `patience` (the busy timeout): one holder kept
    /// it that long, as SQLite's busy timeout fails a writer whose lock holder does not let go. While the
    /// queue moves, it keeps waiting for the writers that arrived before it. `onWait` runs after each
    /// ``tick`` without a wake-up and returns the deadline to keep waiting for (the transaction timeout forcing a holder to
    /// roll back extends it). Returns at once when `member` already has the turn.
    func acquire(
        _ member: ObjectIdentifier, patience: Duration,
        onWait: (ContinuousClock.Instant) -> ContinuousClock.Instant
    ) -> Bool {
        let queued = state.withLockedValue { state -> (Waiter, UInt64)? in
            if state.owner == member { return nil }
            if state.owner == nil && (state.waitingCount == 0 || !state.isStarving) {
                state.owner = member
                return nil
            }
            let waiter = Waiter(member: member, wake: DispatchSemaphore(value: 0))
            state.waiters.append(waiter)
            return (waiter, state.handoffs)
        }
        guard case (let waiter, var handoffs)? = queued else { return true }
        let arrived = ContinuousClock.now
        var deadline = arrived + patience
        while true {
            let remaining = deadline - ContinuousClock.now
            if remaining > .zero {
                let slice = DispatchTime.now() + .nanoseconds(Int(min(remaining, Self.tick).nanoseconds))
                if waiter.wake.wait(timeout: slice) == .success {
                    if take(waiter, waitingSince: arrived) { return true }
                    // Lost the freed turn to a newcomer: the queue moved, so patience starts again.
                    deadline = max(deadline, .now + patience)
                    continue
                }
                // A whole tick without a wake-up: the slow path, where the transaction timeout is checked.
                let now = ContinuousClock.now
                let moved = state.withLockedValue { $0.handoffs }
                if moved != handoffs {
                    handoffs = moved
                    deadline = max(deadline, now + patience)
                }
                deadline = onWait(deadline)
                continue
            }
            return state.withLockedValue { state -> Bool in
                if state.owner == member { return true }
                // Woken for a free turn that nobody took: take it rather than leave it unclaimed.
                if state.owner == nil && !state.isQueued(member) {
                    state.owner = member
                    return true
                }
                state.removeWaiter(member)
                return false
            }
        }
    }

    /// After a wake-up: whether `waiter` has the turn (handed over, or free and taken now). A waiter that lost
    /// a free turn to a newcomer goes back to the head of the queue.
    private func take(_ waiter: Waiter, waitingSince arrived: ContinuousClock.Instant) -> Bool {
        let waited = ContinuousClock.now - arrived
        return state.withLockedValue { state -> Bool in
            if state.owner == waiter.member { return true }
            if state.owner == nil {
                state.owner = waiter.member
                if waited < Self.starvationThreshold || state.waitingCount == 0 { state.isStarving = false }
                return true
            }
            if waited >= Self.starvationThreshold { state.isStarving = true }
            state.pushFront(waiter)
            return false
        }
    }

    /// Ends `member`'s turn and hands it to the longest waiter. A no-op when `member` does not have it.
    func release(_ member: ObjectIdentifier) {
        state.withLockedValue { state in
            guard state.owner == member else { return }
            state.handoffs &+= 1
            guard let next = state.popFirst() else {
                state.owner = nil
                state.isStarving = false
                return
            }
            // Strict mode hands the turn over; otherwise it is free for the woken waiter or a running newcomer.
            state.owner = state.isStarving ? next.member : nil
            next.wake.signal()
        }
    }

    /// The number of streams waiting for their turn.
    var waitingCount: Int { state.withLockedValue { $0.waitingCount } }

    /// Whether `member` has the turn.
    func hasTurn(_ member: ObjectIdentifier) -> Bool { state.withLockedValue { $0.owner == member } }
}

extension Duration {
    /// The duration in whole nanoseconds, rounded down.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
