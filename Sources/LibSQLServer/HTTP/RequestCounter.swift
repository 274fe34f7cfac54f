import NIOConcurrencyHelpers

/// Counts served HTTP requests, in total and per path.
final class RequestCounter: Sendable {
    private let counts = NIOLockedValueBox<(total: Int, perPath: [String: Int])>((0, [:]))

    func record(path: String) {
        counts.withLockedValue { counts in
            counts.total += 1
            counts.perPath[path, default: 0] += 1
        }
    }

    func count(path: String?) -> Int {
        counts.withLockedValue { counts in path.map { counts.perPath[$0] ?? 0 } ?? counts.total }
    }
}
