import SQLiteCore
import Synchronization

/// What the transaction-timeout enforcer and a stream share, outside the stream's main lock.
final class StreamControl: Sendable {
    private struct State {
        var writeLockSince: ContinuousClock.Instant?
        var timeoutRequested = false
        var timedOut = false
        var hasWriteTurn = false
    }

    /// The database's write queue and how long to wait in it.
    struct WriteAccess: Sendable {
        let queue: WriteQueue
        let timeout: Duration
        /// Runs while waiting; returns whether it forced a holder of the write lock to roll back.
        let onWait: @Sendable (StreamControl) -> Bool
    }

    private let state = Mutex(State())
    private let lastCommit = Mutex(CommitMark())
    private let cutsAtCommit = Atomic<UInt64>(0)
    private let writeAccess: WriteAccess?
    /// The time limit of the statement running inline, if any (read by SQLite's handlers).
    let inline = InlineBudget()

    /// Creates the control of one stream; without `writeAccess` its writes do not queue.
    init(writeAccess: WriteAccess? = nil) {
        self.writeAccess = writeAccess
    }

    /// Waits for this stream's turn in the write queue (see ``WriteQueue``) while the queue moves, giving
    /// up when one holder kept the turn for the busy timeout (up to twice that when the wait forced a holder
    /// to roll back); returns whether the turn came. The turn is kept until ``noteWriteLock(held:since:)``
    /// reports the write lock released.
    func waitForWriteTurn() -> Bool {
        guard let access = writeAccess else { return true }
        let member = ObjectIdentifier(self)
        let start = ContinuousClock.now
        let granted = access.queue.acquire(member, patience: access.timeout) { deadline in
            guard access.onWait(self) else { return deadline }
            return max(deadline, min(.now + .seconds(1), start + access.timeout * 2))
        }
        if granted { state.withLock { $0.hasWriteTurn = true } }
        return granted
    }

    /// Records whether the stream holds the write lock after a statement that started at `since`; when it
    /// does not, its turn in the write queue ends.
    func noteWriteLock(held: Bool, since: ContinuousClock.Instant) {
        let endsTurn = state.withLock { state -> Bool in
            if held {
                if state.writeLockSince == nil { state.writeLockSince = since }
                return false
            }
            state.writeLockSince = nil
            defer { state.hasWriteTurn = false }
            return state.hasWriteTurn
        }
        if endsTurn { writeAccess?.queue.release(ObjectIdentifier(self)) }
    }

    /// Marks a rollback under way: the transaction-timeout enforcer leaves the stream alone (its write-lock
    /// time is cleared), while its turn in the write queue lasts until ``noteWriteLock(held:since:)``.
    func noteRollingBack() {
        state.withLock { $0.writeLockSince = nil }
    }

    /// Records ``CommitSequence/cutCount`` as this stream's connection is about to commit (its commit hook).
    func noteCommitting(cuts: UInt64) {
        cutsAtCommit.store(cuts, ordering: .sequentiallyConsistent)
    }

    /// Records a commit of this stream's connection (its WAL hook): its number and the WAL's frame count.
    func noteCommit(_ number: UInt64, walFrames: Int) {
        let cuts = cutsAtCommit.load(ordering: .sequentiallyConsistent)
        lastCommit.withLock { $0 = CommitMark(number: number, cuts: cuts, walFrames: walFrames) }
    }

    /// This stream's last commit (number 0 before any, or when commits are not counted).
    var lastCommitMark: CommitMark { lastCommit.withLock { $0 } }

    /// When the stream took the write lock, if it holds it.
    var writeLockSince: ContinuousClock.Instant? { state.withLock { $0.writeLockSince } }

    /// Asks a busy stream to roll back when it next can (its statement is being interrupted).
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

    /// Marks the stream as force-rolled-back: its next request's statements fail with `TRANSACTION_TIMEOUT`.
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
