import Synchronization

/// The token a client's WebSocket authenticates with, and how many times it was replaced: a socket whose `hello`
/// carried an older generation sends a new `hello` before its next request.
final class WebSocketCredentials: Sendable {
    struct Current: Sendable {
        var token: String?
        var generation: Int
    }

    private let state: Mutex<Current>

    init(token: String?) {
        state = Mutex(Current(token: token, generation: 0))
    }

    var current: Current { state.withLock { $0 } }

    /// Replaces the token; every socket re-authenticates before its next request.
    func update(_ token: String?) {
        state.withLock { state in
            state.token = token
            state.generation += 1
        }
    }
}
