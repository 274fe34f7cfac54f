import Foundation
import Hrana
import HummingbirdWSClient
import Logging
import NIOCore
import NIOSSL
import Synchronization

/// One Hrana WebSocket: `hello` first, then requests written in the order they are submitted, and responses
/// matched to their waiters by request id, so any number of requests of any streams are in flight at once.
///
/// When the socket ends (closed, reset, a protocol error), every waiter and every later submission fails with
/// the session's ``failure``; a new socket is a new session.
final class WebSocketSession: Sendable {
    typealias Reply = Result<WebSocketResponse, ProtocolError>

    private enum Outgoing: Sendable {
        case text(String)
        case binary(ByteBuffer)
        case close
    }

    private enum Slot {
        case pending
        case waiting(CheckedContinuation<Reply, any Error>)
        case done(Reply)
        case abandoned
    }

    private struct State {
        var failure: LibSQLError?
        var hello: CheckedContinuation<Void, any Error>?
        var helloAnswered = false
        /// The ``WebSocketCredentials`` generation of the last `hello` written.
        var helloGeneration = 0
        var slots: [Int32: Slot] = [:]
        var requestIDs = IDAllocator()
        var streamIDs = IDAllocator()
        var cursorIDs = IDAllocator()
        var sqlIDs = IDAllocator()
        var connection: Task<Void, Never>?
    }

    let subprotocol: WebSocketSubprotocol
    private let logger: Logger
    private let credentials: WebSocketCredentials
    private let outgoing: AsyncStream<Outgoing>.Continuation
    private let outgoingStream: AsyncStream<Outgoing>
    private let state = Mutex(State())

    /// The largest frame or message accepted from the server (the HTTP client's response limit).
    static let maxMessageSize = RemoteConnector.maxResponseSize

    private init(subprotocol: WebSocketSubprotocol, credentials: WebSocketCredentials, logger: Logger) {
        self.subprotocol = subprotocol
        self.credentials = credentials
        self.logger = logger
        (outgoingStream, outgoing) = AsyncStream<Outgoing>.makeStream()
    }

    /// Connects to `url` offering `subprotocol` (over TLS with `tlsConfiguration` for `wss:`), sends `hello`
    /// with the current token and waits for its answer.
    ///
    /// Throws ``WebSocketConnector/UpgradeDeclined`` when the server refuses the upgrade (the subprotocol is not
    /// one it speaks), an auth error for a refused `hello`, a `TLS_ERROR`, or a connection error.
    static func open(
        url: String, subprotocol: WebSocketSubprotocol, credentials: WebSocketCredentials,
        tlsConfiguration: TLSConfiguration?, timeout: Duration?, logger: Logger
    ) async throws -> WebSocketSession {
        let session = WebSocketSession(subprotocol: subprotocol, credentials: credentials, logger: logger)
        var configuration = WebSocketClientConfiguration(
            maxFrameSize: maxMessageSize, closeTimeout: .seconds(2), validateUTF8: true)
        configuration.additionalHeaders[.secWebSocketProtocol] = subprotocol.rawValue
        // WSClient traces the first bytes of every frame it sends or receives; `hello` carries the token.
        var socketLogger = logger
        if socketLogger.logLevel < .debug { socketLogger.logLevel = .debug }
        let task = Task { [socketLogger] in
            do {
                let close = try await WebSocketClient.connect(
                    url: url, configuration: configuration, tlsConfiguration: tlsConfiguration, logger: socketLogger
                ) {
                    inbound, outbound, _ in
                    await session.serve(inbound: inbound, outbound: outbound)
                }
                let reason = close.map { " (close code \($0.closeCode)\($0.reason.map { ": \($0)" } ?? ""))" } ?? ""
                session.fail(LibSQLError(code: .connectionError, message: "The WebSocket connection was closed\(reason)"))
            } catch let error as WebSocketClientError where error == .webSocketUpgradeFailed {
                session.fail(WebSocketConnector.UpgradeDeclined.error(subprotocol))
            } catch {
                session.fail(Self.connectionError(error))
            }
        }
        let hello = credentials.current
        session.state.withLock { state in
            state.connection = task
            state.helloGeneration = hello.generation
        }
        session.outgoing.yield(try session.encode(.hello(jwt: hello.token)))
        do {
            try await withDeadline(timeout, "Opening the WebSocket") { try await session.waitForHello() }
        } catch {
            // The handshake may hang on a stalled peer: the connection is cancelled, not waited for.
            session.fail(error as? LibSQLError ?? connectionError(error), sendingClose: true)
            task.cancel()
            throw error
        }
        return session
    }

    /// A transport failure as a ``LibSQLError``, without the URL's query or any header.
    static func connectionError(_ error: any Error) -> LibSQLError {
        if let error = error as? LibSQLError { return error }
        if error is CancellationError { return .cancelled }
        if let tls = LibSQLError.tls(error) { return tls }
        return LibSQLError(
            code: .connectionError, message: "The WebSocket connection failed: \(String(describing: error).prefix(300))")
    }

    /// Whether the socket still serves requests.
    var isOpen: Bool { state.withLock { $0.failure == nil } }

    // MARK: Requests

    /// Writes requests in order; each gets a request id to wait on with ``reply(_:)``. A request that cannot be
    /// encoded (a non-finite float in JSON) fails them all with `VALUE_ERROR` before anything is written.
    func submit(_ requests: [WebSocketRequest]) throws -> [Int32] {
        let ids = try state.withLock { state throws(LibSQLError) -> [Int32] in
            if let failure = state.failure { throw failure }
            return requests.map { _ in
                let id = state.requestIDs.allocate()
                state.slots[id] = .pending
                return id
            }
        }
        let frames: [Outgoing]
        do {
            frames = try zip(ids, requests).map { id, request in try encode(.request(id: id, request)) }
        } catch {
            state.withLock { state in
                for id in ids where state.slots.removeValue(forKey: id) != nil { state.requestIDs.release(id) }
            }
            throw LibSQLError(code: .valueError, message: "Could not encode the request: \(error)")
        }
        try state.withLock { state throws(LibSQLError) in
            if let failure = state.failure { throw failure }
            let latest = credentials.current
            if latest.generation != state.helloGeneration {
                // A rotated token: the new `hello` goes before the requests, so they run authenticated by it.
                do {
                    outgoing.yield(try encode(.hello(jwt: latest.token)))
                } catch {
                    throw LibSQLError(code: .hranaProtocolError, message: "Could not encode the hello message")
                }
                state.helloGeneration = latest.generation
                logger.debug("Re-authenticating the WebSocket with a new token")
            }
            for frame in frames { outgoing.yield(frame) }
        }
        return ids
    }

    private func encode(_ message: ClientMessage) throws(HranaCodingError) -> Outgoing {
        subprotocol.isProtobuf
            ? .binary(ByteBuffer(bytes: HranaProtobuf.encode(message, explicitWantRows: true)))
            : .text(String(decoding: try HranaJSON.encode(message), as: UTF8.self))
    }

    /// The response to a submitted request. A cancelled waiter stops waiting; the response is dropped on arrival.
    func reply(_ id: Int32) async throws -> Reply {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Reply, any Error>) in
                let now = state.withLock { state -> Result<Reply, any Error>? in
                    switch state.slots[id] {
                    case .done(let reply):
                        state.slots[id] = nil
                        state.requestIDs.release(id)
                        return .success(reply)
                    case .abandoned:
                        return .failure(CancellationError())
                    case .pending:
                        state.slots[id] = .waiting(continuation)
                        return nil
                    case .waiting, nil:
                        return .failure(state.failure ?? LibSQLError(
                            code: .hranaProtocolError, message: "No request \(id) is waiting for a response"))
                    }
                }
                if let now { continuation.resume(with: now) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Reply, any Error>? in
                switch state.slots[id] {
                case .waiting(let continuation):
                    state.slots[id] = .abandoned
                    return continuation
                case .pending:
                    state.slots[id] = .abandoned
                    return nil
                default:
                    return nil
                }
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    /// Stops waiting for requests whose caller gave up: their responses are dropped when they arrive.
    func abandon(_ ids: some Sequence<Int32>) {
        state.withLock { state in
            for id in ids {
                switch state.slots[id] {
                case .pending: state.slots[id] = .abandoned
                case .done:
                    state.slots[id] = nil
                    state.requestIDs.release(id)
                default: break
                }
            }
        }
    }

    // MARK: Ids

    func allocateStreamID() -> Int32 { state.withLock { $0.streamIDs.allocate() } }
    func releaseStreamID(_ id: Int32) { state.withLock { $0.streamIDs.release(id) } }
    func allocateCursorID() -> Int32 { state.withLock { $0.cursorIDs.allocate() } }
    func releaseCursorID(_ id: Int32) { state.withLock { $0.cursorIDs.release(id) } }
    func allocateSQLID() -> Int32 { state.withLock { $0.sqlIDs.allocate() } }
    func releaseSQLIDs(_ ids: [Int32]) { state.withLock { for id in ids { $0.sqlIDs.release(id) } } }

    // MARK: Lifecycle

    /// Closes the socket with a normal close and waits until it has ended; waiters fail with `CLIENT_CLOSED`.
    func close() async {
        fail(.clientClosed, sendingClose: true)
        let task = state.withLock { $0.connection }
        await task?.value
    }

    private func waitForHello() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let now = state.withLock { state -> Result<Void, any Error>? in
                if state.helloAnswered { return .success(()) }
                if let failure = state.failure { return .failure(failure) }
                state.hello = continuation
                return nil
            }
            if let now { continuation.resume(with: now) }
        }
    }

    /// Ends the session: every waiter fails with `error`; `sendingClose` asks the writer to send a close frame.
    private func fail(_ error: LibSQLError, sendingClose: Bool = false) {
        let (waiters, hello) = state.withLock { state -> ([CheckedContinuation<Reply, any Error>], CheckedContinuation<Void, any Error>?) in
            guard state.failure == nil else { return ([], nil) }
            state.failure = error
            var waiters: [CheckedContinuation<Reply, any Error>] = []
            for case .waiting(let continuation) in state.slots.values { waiters.append(continuation) }
            state.slots.removeAll()
            defer { state.hello = nil }
            return (waiters, state.hello)
        }
        if sendingClose { outgoing.yield(.close) }
        outgoing.finish()
        if !waiters.isEmpty || hello != nil {
            logger.debug("The WebSocket ended", metadata: ["error": "\(error.message)"])
        }
        hello?.resume(throwing: error)
        for waiter in waiters { waiter.resume(throwing: error) }
    }

    // MARK: The socket

    /// Writes outgoing messages and reads responses until either side ends the socket.
    private func serve(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.write(to: outbound) }
            do {
                for try await frame in inbound.messages(maxSize: Self.maxMessageSize) {
                    try receive(frame)
                }
                fail(LibSQLError(code: .connectionError, message: "The server closed the WebSocket"))
            } catch let error as LibSQLError {
                fail(error)
                try? await outbound.close(.protocolError, reason: nil)
            } catch {
                fail(Self.connectionError(error))
            }
            group.cancelAll()
        }
    }

    private func write(to outbound: WebSocketOutboundWriter) async {
        for await item in outgoingStream {
            do {
                switch item {
                case .text(let text): try await outbound.writeTextMessage(text)
                case .binary(let buffer): try await outbound.writeBinaryMessage(buffer)
                case .close:
                    try await outbound.close(.normalClosure, reason: nil)
                    return
                }
            } catch {
                fail(Self.connectionError(error))
                return
            }
        }
    }

    private func receive(_ frame: WebSocketMessage) throws {
        let decoded: Result<ServerMessage, HranaCodingError>
        switch (frame, subprotocol.isProtobuf) {
        case (.text(let text), false):
            decoded = Result { () throws(HranaCodingError) in try HranaJSON.decode(ServerMessage.self, from: Data(text.utf8)) }
        case (.binary(let buffer), true):
            decoded = Result { () throws(HranaCodingError) in
                try HranaProtobuf.decode(ServerMessage.self, from: Data(buffer.readableBytesView))
            }
        default:
            throw LibSQLError(code: .hranaProtocolError, message: "The server sent a frame of the wrong kind for \(subprotocol.rawValue)")
        }
        let message: ServerMessage
        switch decoded {
        case .success(let value): message = value
        case .failure(let error): throw LibSQLError(code: .hranaProtocolError, message: "Invalid WebSocket message: \(error)")
        }
        switch message {
        case .helloOK:
            let hello = state.withLock { state in
                state.helloAnswered = true
                defer { state.hello = nil }
                return state.hello
            }
            hello?.resume()
        case .helloError(let error):
            var failure = LibSQLError(error)
            if !failure.code.isAuth && failure.code != .unauthorized { failure.code = .unauthorized }
            failure.message = "The server refused the WebSocket's hello: \(error.message)"
            throw failure
        case .responseOK(let id, let response):
            try deliverKnown(id, .success(response))
        case .responseError(let id, let error):
            try deliverKnown(id, .failure(error))
        }
    }

    private func deliverKnown(_ id: Int32, _ reply: Reply) throws {
        guard deliver(id, reply) else {
            throw LibSQLError(code: .hranaProtocolError, message: "The server answered request \(id), which is not in flight")
        }
    }

    /// Hands a response to its waiter (or keeps it until the waiter comes); `false` for an unknown id.
    @discardableResult
    private func deliver(_ id: Int32, _ reply: Reply) -> Bool {
        let outcome = state.withLock { state -> (known: Bool, waiter: CheckedContinuation<Reply, any Error>?) in
            switch state.slots[id] {
            case .pending:
                state.slots[id] = .done(reply)
                return (true, nil)
            case .waiting(let continuation):
                state.slots[id] = nil
                state.requestIDs.release(id)
                return (true, continuation)
            case .abandoned:
                state.slots[id] = nil
                state.requestIDs.release(id)
                return (true, nil)
            case .done, nil:
                return (false, nil)
            }
        }
        outcome.waiter?.resume(returning: reply)
        return outcome.known
    }
}
