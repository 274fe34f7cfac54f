import Synchronization

/// Ends a streamed response whose client stopped reading: when one write has waited longer than `limit` for
/// the client to take the bytes, `onStall` runs once (it stops the producer and closes the connection).
///
/// A cursor's producer blocks its worker thread while the pipe is full, so without this a client that keeps
/// its connection open and never reads would hold a worker thread, and its stream, for ever.
final class WriteStallWatch: Sendable {
    private let pendingSince = Mutex<ContinuousClock.Instant?>(nil)
    private let task: Mutex<Task<Void, Never>?> = Mutex(nil)

    init(limit: Duration, onStall: @escaping @Sendable () -> Void) {
        let check = min(limit / 4, .milliseconds(250))
        let watched = Task { [weak self] in
            while (try? await Task.sleep(for: check)) != nil {
                guard let self else { return }
                if let since = self.pendingSince.withLock({ $0 }), ContinuousClock.now - since >= limit {
                    onStall()
                    return
                }
            }
        }
        task.withLock { $0 = watched }
    }

    /// Runs one write under the watch.
    func write(_ body: () async throws -> Void) async throws {
        pendingSince.withLock { $0 = .now }
        defer { pendingSince.withLock { $0 = nil } }
        try await body()
    }

    /// Stops watching.
    func stop() {
        task.withLock { $0?.cancel() }
    }
}
