import Synchronization

/// The replica's current auth token, shared by every sync request so that
/// ``EmbeddedReplica/updateAuthToken(_:)`` takes effect with the next one.
final class AuthTokenStore: Sendable {
    private let token: Mutex<String?>

    init(_ token: String?) {
        self.token = Mutex(token)
    }

    var current: String? { token.withLock { $0 } }

    func replace(with token: String?) {
        self.token.withLock { $0 = token }
    }
}
