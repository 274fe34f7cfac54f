import Foundation
import Synchronization

/// The thread that runs ``ReplicationLog/tick()`` every poll interval: capture, and cuts at the thresholds.
final class CaptureDriver: Sendable {
    private let stopped = Mutex(false)
    private let finished = DispatchSemaphore(value: 0)

    init() {}

    func start(_ log: ReplicationLog) {
        let interval = log.options.pollInterval
        let seconds = Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18
        let thread = Thread { [self] in
            while !stopped.withLock({ $0 }) {
                log.tick()
                Thread.sleep(forTimeInterval: seconds)
            }
            finished.signal()
        }
        thread.name = "libsql-replication-capture"
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
