import Foundation
import Hrana
import Logging
import NIOSSL
import Synchronization

/// Owns the client's one WebSocket: opens it on first use, offering the subprotocols of the configuration in
/// order; opens a new one for the next request after the socket was lost; closes it on shutdown.
final class WebSocketConnector: Sendable {
    private struct State {
        var closed = false
        var current: Task<WebSocketSession, any Error>?
        /// The index in ``candidates`` of the subprotocol the server accepted last.
        var accepted = 0
    }

    let url: URL
    let logger: Logger
    let storesSQL: Bool
    let timeout: Duration?
    /// The subprotocols offered, one per upgrade attempt, best first.
    let candidates: [WebSocketSubprotocol]
    private let credentials: WebSocketCredentials
    private let tlsConfiguration: TLSConfiguration?
    private let state = Mutex(State())
    private let background = BackgroundWork()
    /// Bounds the exchanges in flight on the socket, as ``Database/Configuration/concurrency`` bounds HTTP requests.
    private let semaphore: AsyncSemaphore?

    init(baseURL: URL, authToken: String?, configuration: Database.Configuration, tlsConfiguration: TLSConfiguration?) {
        url = Self.webSocketURL(baseURL)
        credentials = WebSocketCredentials(token: authToken)
        self.tlsConfiguration = tlsConfiguration
        logger = configuration.logger
        storesSQL = configuration.storesSQL
        timeout = configuration.requestTimeout
        var candidates: [WebSocketSubprotocol] = configuration.encoding == .protobuf ? [.hrana3Protobuf, .hrana3, .hrana2] : [.hrana3, .hrana2]
        switch configuration.protocolVersion {
        case .v2?: candidates = [.hrana2]
        case .v3?: candidates.removeAll { $0 == .hrana2 }
        default: break
        }
        self.candidates = candidates
        semaphore = configuration.concurrency > 0 ? AsyncSemaphore(permits: configuration.concurrency) : nil
    }

    /// Whether a remote URL is served over WebSocket: `ws:`/`wss:`, or any remote URL with ``Database/Configuration/Wire/webSocket``.
    static func usesWebSocket(_ baseURL: URL, wire: Database.Configuration.Wire) -> Bool {
        wire == .webSocket || baseURL.scheme == "ws" || baseURL.scheme == "wss"
    }

    /// The `ws:`/`wss:` URL of a server's HTTP URL.
    static func webSocketURL(_ url: URL) -> URL {
        replacingScheme(of: url, ["http": "ws", "https": "wss"])
    }

    /// The `http:`/`https:` URL of a server's WebSocket URL.
    static func httpURL(_ url: URL) -> URL {
        replacingScheme(of: url, ["ws": "http", "wss": "https"])
    }

    private static func replacingScheme(of url: URL, _ map: [String: String]) -> URL {
        guard let scheme = url.scheme, let replacement = map[scheme],
              var components = URLComponents(url: url, resolvingAgainstBaseURL: false) else { return url }
        components.scheme = replacement
        return components.url ?? url
    }

    // MARK: The socket

    /// The open socket, opening one when there is none or the last one was lost (concurrent callers share one
    /// attempt; a failed attempt is forgotten, so the next call tries again).
    func session() async throws -> WebSocketSession {
        for _ in 0..<2 {
            let task = try state.withLock { state throws(LibSQLError) -> Task<WebSocketSession, any Error> in
                if state.closed { throw .clientClosed }
                if let current = state.current { return current }
                let task = Task { try await self.connect() }
                state.current = task
                return task
            }
            do {
                let session = try await task.value
                if session.isOpen { return session }
            } catch {
                forget(task)
                throw error
            }
            forget(task)
        }
        throw LibSQLError(code: .connectionError, message: "The WebSocket connection was lost as soon as it opened")
    }

    private func forget(_ task: Task<WebSocketSession, any Error>) {
        state.withLock { state in
            if state.current == task { state.current = nil }
        }
    }

    private func connect() async throws -> WebSocketSession {
        let start = state.withLock { $0.accepted }
        for index in candidates.indices.dropFirst(start) {
            let subprotocol = candidates[index]
            do {
                let session = try await WebSocketSession.open(
                    url: url.absoluteString, subprotocol: subprotocol, credentials: credentials,
                    tlsConfiguration: url.scheme == "wss" ? tlsConfiguration : nil, timeout: timeout, logger: logger)
                state.withLock { $0.accepted = index }
                logger.debug("Opened a Hrana WebSocket", metadata: ["subprotocol": "\(subprotocol.rawValue)"])
                return session
            } catch let error as LibSQLError where error.code == UpgradeDeclined.code {
                logger.debug("The server declined a WebSocket subprotocol", metadata: ["subprotocol": "\(subprotocol.rawValue)"])
            }
        }
        throw LibSQLError(
            code: .protocolVersionError,
            message: "The server at \(url.host ?? "?") accepts none of the WebSocket subprotocols "
                + candidates.dropFirst(start).map(\.rawValue).joined(separator: ", "))
    }

    /// The error of an upgrade the server declined.
    enum UpgradeDeclined {
        static let code: ErrorCode = "WEBSOCKET_UPGRADE_DECLINED"

        static func error(_ subprotocol: WebSocketSubprotocol) -> LibSQLError {
            LibSQLError(code: code, message: "The server declined the WebSocket upgrade for \(subprotocol.rawValue)")
        }
    }

    /// Waits for a response within the request timeout.
    func reply(_ id: Int32, on session: WebSocketSession, _ what: @autoclosure () -> String) async throws -> WebSocketSession.Reply {
        try await withDeadline(timeout, what()) { try await session.reply(id) }
    }

    /// Takes a permit of the concurrency limit for one exchange (requests written together and their responses).
    func acquire() async throws {
        if let semaphore { try await semaphore.wait() }
    }

    /// Returns the permit of ``acquire()``.
    func release() {
        semaphore?.signal()
    }

    /// Runs one exchange under the concurrency limit.
    func limited<T>(_ body: () async throws -> T) async throws -> T {
        try await acquire()
        defer { release() }
        return try await body()
    }

    /// Sends requests and waits for every response within the request timeout, under the concurrency limit.
    func send(_ requests: [WebSocketRequest], on session: WebSocketSession) async throws -> [WebSocketSession.Reply] {
        try await limited { try await exchange(requests, on: session) }
    }

    private func exchange(_ requests: [WebSocketRequest], on session: WebSocketSession) async throws -> [WebSocketSession.Reply] {
        let ids = try session.submit(requests)
        var replies: [WebSocketSession.Reply] = []
        replies.reserveCapacity(ids.count)
        for (index, (id, request)) in zip(ids, requests).enumerated() {
            do {
                replies.append(try await reply(id, on: session, "The WebSocket request \(request.type)"))
            } catch {
                session.abandon(ids[(index + 1)...])
                throw error
            }
        }
        return replies
    }

    /// Authenticates the requests sent after it returns with `token`: the open socket (hrana2 and later, the only
    /// subprotocols offered) gets a new `hello` written before the next request; a new socket says `hello` with it.
    func updateAuthToken(_ token: String?) {
        credentials.update(token)
        logger.debug("The WebSocket's token was replaced; the next request re-authenticates")
    }

    // MARK: Lifecycle

    /// Runs fire-and-forget work (closing a finished cursor's stream) that ``shutdown()`` waits for.
    func runInBackground(_ operation: @escaping @Sendable () async -> Void) {
        background.run(operation)
    }

    /// Whether ``shutdown()`` has begun.
    var isClosed: Bool { state.withLock { $0.closed } }

    /// Waits for background work, then closes the socket; every later call fails with `CLIENT_CLOSED`.
    func shutdown() async {
        let current = state.withLock { state -> Task<WebSocketSession, any Error>? in
            state.closed = true
            defer { state.current = nil }
            return state.current
        }
        await background.finish()
        if let session = try? await current?.value { await session.close() }
    }
}
