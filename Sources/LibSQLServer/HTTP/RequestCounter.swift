import Synchronization

/// Counts served HTTP requests, in total and per path.
final class RequestCounter: Sendable {
    private let counts = Mutex<(total: Int, perPath: [String: Int])>((0, [:]))

    func record(path: String) {
        counts.withLock { counts in
            counts.total += 1
            counts.perPath[path, default: 0] += 1
        }
    }

    func count(path: String?) -> Int {
        counts.withLock { counts in path.map { counts.perPath[$0] ?? 0 } ?? counts.total }
    }
}
