import Foundation
import Logging
import Synchronization

/// A background thread that enforces the transaction timeout every 100 ms and expires idle streams.
final class Maintenance: Sendable {
    private let stopped = Mutex(false)
    private let finished = DispatchSemaphore(value: 0)

    init() {}

    func start(database: EngineDatabase, registry: StreamRegistry, logger: Logger) {
        let thread = Thread { [self] in
            var ticks = 0
            while !stopped.withLock({ $0 }) {
                database.enforceTransactionTimeout()
                ticks += 1
                if ticks % 2 == 0 {
                    let expired = registry.sweep()
                    for stream in expired { stream.close() }
                    if !expired.isEmpty { logger.debug("Expired idle streams", metadata: ["count": "\(expired.count)"]) }
                }
                Thread.sleep(forTimeInterval: 0.1)
            }
            finished.signal()
        }
        thread.name = "libsql-server-maintenance"
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
