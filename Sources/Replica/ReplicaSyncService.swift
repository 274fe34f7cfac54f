import ServiceLifecycle

/// The background sync of an ``EmbeddedReplica`` as a swift-service-lifecycle `Service`: syncs every `interval`
/// until graceful shutdown (or cancellation), logging and retrying failures with backoff.
///
/// ```swift
/// let group = ServiceGroup(services: [ReplicaSyncService(replica: replica, interval: .seconds(60)), server],
///                          gracefulShutdownSignals: [.sigterm], logger: logger)
/// try await group.run()
/// ```
public struct ReplicaSyncService: Service {
    /// The replica to sync.
    public let replica: EmbeddedReplica
    /// The time between syncs.
    public let interval: Duration

    /// Creates the service.
    public init(replica: EmbeddedReplica, interval: Duration) {
        self.replica = replica
        self.interval = interval
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await replica.runBackgroundSync(every: interval)
        }
    }
}
