import Foundation
import Synchronization

/// A named background thread that runs a round of blocking work, sleeps for an interval, and repeats until
/// stopped: the server's maintenance (transaction timeouts, stream expiry) and replication capture.
final class PeriodicThread: Sendable {
    private let stopped = Mutex(false)
    private let finished = DispatchSemaphore(value: 0)

    /// Starts the thread; `round` runs first at once, then after every `interval`.
    init(name: String, interval: Duration, round: @escaping @Sendable () -> Void) {
        let seconds = Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18
        let thread = Thread { [self] in
            while !stopped.withLock({ $0 }) {
                round()
                Thread.sleep(forTimeInterval: seconds)
            }
            finished.signal()
        }
        thread.name = name
        thread.start()
    }

    /// Stops the thread and waits for its last round.
    func stop() async {
        stopped.withLock { $0 = true }
        let finished = finished
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                finished.wait()
                continuation.resume()
            }
        }
    }
}
