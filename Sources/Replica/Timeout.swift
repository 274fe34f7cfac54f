/// Runs `operation`, failing with a ``ReplicaError/Code/timeout`` error if it takes longer than `limit`.
/// The operation is cancelled at the deadline; work it cannot interrupt (one apply) finishes first.
func withTimeout<T: Sendable>(
    _ limit: Duration, _ what: String, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next() else { throw CancellationError() }
        guard let value = first else {
            throw ReplicaError(.timeout, "\(what) did not finish within \(limit)")
        }
        return value
    }
}
