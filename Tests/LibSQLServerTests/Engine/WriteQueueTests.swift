import Foundation
import Hrana
import Synchronization
import Testing
@testable import LibSQLServer

extension EngineTests {
    /// Writers take SQLite's write lock in arrival order (`WriteQueue`).
    ///
    /// The blocking parts run on their own threads (``onThread(_:)``), so that they do not hold a thread of
    /// the Swift concurrency pool, which the servers of the tests running beside them need; the
    /// expectations are checked back in the test.
    @Suite struct WriteQueueTests {
        /// Polls `condition` for up to 10 s.
        private static func eventually(_ condition: () -> Bool) -> Bool {
            let deadline = ContinuousClock.now + .seconds(10)
            while !condition() {
                if ContinuousClock.now > deadline { return false }
                Thread.sleep(forTimeInterval: 0.001)
            }
            return true
        }

        private final class Member: Sendable {}

        /// Runs blocking code on its own thread and returns its result.
        private static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                Thread { continuation.resume(with: Result { try body() }) }.start()
            }
        }

        /// What a run of queued members observed.
        private struct Observed: Sendable {
            /// Whether each waiter was queued before the next one arrived.
            var queuedInTurn: [Bool] = []
            /// The members' indexes in the order they got the turn (`-1`: gave up).
            var order: [Int] = []
            var finished = false
            var waitingAfter = -1
        }

        @Test func theTurnPassesInArrivalOrder() async throws {
            let observed = try await Self.onThread { () -> Observed in
                let queue = WriteQueue()
                let owner = Member()
                var observed = Observed()
                observed.queuedInTurn.append(queue.acquire(ObjectIdentifier(owner), patience: .seconds(30)) { $0 })
                let order = Mutex<[Int]>([])
                let finished = DispatchGroup()
                for index in 0..<5 {
                    let member = Member()
                    finished.enter()
                    Thread {
                        let granted = queue.acquire(ObjectIdentifier(member), patience: .seconds(30)) { $0 }
                        order.withLock { $0.append(granted ? index : -1) }
                        queue.release(ObjectIdentifier(member))
                        finished.leave()
                    }.start()
                    // The next writer arrives only once this one is queued.
                    observed.queuedInTurn.append(Self.eventually { queue.waitingCount == index + 1 })
                }
                queue.release(ObjectIdentifier(owner))
                observed.finished = finished.wait(timeout: .now() + 30) == .success
                observed.order = order.withLock { $0 }
                observed.waitingAfter = queue.waitingCount
                return observed
            }
            #expect(observed.queuedInTurn == Array(repeating: true, count: 6))
            #expect(observed.finished)
            #expect(observed.order == [0, 1, 2, 3, 4])
            #expect(observed.waitingAfter == 0)
        }

        @Test func aWaiterGivesUpWhenTheTurnDoesNotMoveAndLeavesTheQueue() {
            let queue = WriteQueue()
            let owner = Member()
            let waiter = Member()
            #expect(queue.acquire(ObjectIdentifier(owner), patience: .seconds(30)) { $0 })
            #expect(!queue.acquire(ObjectIdentifier(waiter), patience: .milliseconds(50)) { $0 })
            #expect(queue.waitingCount == 0)
            queue.release(ObjectIdentifier(owner))
            #expect(queue.acquire(ObjectIdentifier(waiter), patience: .zero) { $0 })
            #expect(queue.hasTurn(ObjectIdentifier(waiter)))
        }

        @Test func aWaiterKeepsWaitingWhileTheTurnMoves() async throws {
            let observed = try await Self.onThread { () -> Observed in
                let queue = WriteQueue()
                let first = Member()
                var observed = Observed()
                observed.queuedInTurn.append(queue.acquire(ObjectIdentifier(first), patience: .seconds(30)) { $0 })
                let finished = DispatchGroup()
                let granted = Mutex<[Int]>([])
                // The two holders ahead of the last waiter keep the turn 0.7 s each: 2.1 s of waiting in all,
                // more than its patience, yet each hand-off comes well within it.
                for (index, patience) in [Duration.seconds(30), .seconds(30), .milliseconds(1500)].enumerated() {
                    let member = Member()
                    finished.enter()
                    Thread {
                        let got = queue.acquire(ObjectIdentifier(member), patience: patience) { $0 }
                        granted.withLock { $0.append(got ? index : -1) }
                        if got && index < 2 { Thread.sleep(forTimeInterval: 0.7) }
                        queue.release(ObjectIdentifier(member))
                        finished.leave()
                    }.start()
                    observed.queuedInTurn.append(Self.eventually { queue.waitingCount == index + 1 })
                }
                Thread.sleep(forTimeInterval: 0.7)
                queue.release(ObjectIdentifier(first))
                observed.finished = finished.wait(timeout: .now() + 30) == .success
                observed.order = granted.withLock { $0 }
                return observed
            }
            #expect(observed.queuedInTurn == Array(repeating: true, count: 4))
            #expect(observed.finished)
            #expect(observed.order == [0, 1, 2])
        }

        /// What one writer saw: how long it waited for `BEGIN IMMEDIATE`, and how long it then held the lock.
        private struct Writer: Sendable {
            var wait: Duration
            var hold: Duration
        }

        private struct Contention: Sendable {
            var writers: [Writer]
            var failures: [String]
            var finished: Bool
            var counter: Value
        }

        @Test func fiftyContendingWritersWaitNoLongerThanTheHoldsBeforeThem() async throws {
            let count = 50
            let run = try await Self.onThread { () throws -> Contention in
                let harness = try EngineHarness()
                try harness.openStream().query("CREATE TABLE counter(n INTEGER)")
                try harness.openStream().query("INSERT INTO counter VALUES (0)")
                let sessions = try (0..<count).map { _ in try harness.openStream() }
                let writers = Mutex<[Writer]>([])
                let failures = Mutex<[String]>([])
                let start = DispatchSemaphore(value: 0)
                let finished = DispatchGroup()
                for session in sessions {
                    finished.enter()
                    Thread {
                        defer { finished.leave() }
                        start.wait()
                        let clock = ContinuousClock()
                        let asked = clock.now
                        do {
                            try session.query("BEGIN IMMEDIATE")
                            let began = clock.now
                            try session.query("UPDATE counter SET n = n + 1")
                            Thread.sleep(forTimeInterval: 0.002)
                            try session.query("COMMIT")
                            writers.withLock { $0.append(Writer(wait: began - asked, hold: clock.now - began)) }
                        } catch {
                            failures.withLock { $0.append("\(error)") }
                        }
                    }.start()
                }
                for _ in 0..<count { start.signal() }
                let done = finished.wait(timeout: .now() + 60) == .success
                return Contention(
                    writers: writers.withLock { $0 }, failures: failures.withLock { $0 }, finished: done,
                    counter: try harness.openStream().scalar("SELECT n FROM counter"))
            }
            #expect(run.finished)
            #expect(run.failures.isEmpty, "\(run.failures)")
            #expect(run.writers.count == count)
            #expect(run.counter == .integer(Int64(count)))
            // In arrival order, a writer waits for the holds of the writers before it (fewer than all), plus the
            // hand-offs; a generous slack for a loaded machine keeps this from being a timing test.
            let holds = run.writers.reduce(Duration.zero) { $0 + $1.hold }
            let longest = run.writers.map(\.wait).max() ?? .zero
            #expect(longest <= holds + .seconds(2), "longest wait \(longest), sum of holds \(holds)")
        }
    }
}
