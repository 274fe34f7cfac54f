import Foundation
import Hrana
import HummingbirdWSClient
import Logging
import NIOCore
import Synchronization
import Testing
@testable import LibSQLServer

/// A scripted Hrana WebSocket client for tests: sends and receives messages in the connection's encoding.
final class WebSocketConversation {
    private var iterator: WebSocketInboundMessageStream.AsyncIterator
    private let outbound: WebSocketOutboundWriter
    let encoding: WireEncoding
    private var nextRequestID: Int32 = 1

    init(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, encoding: WireEncoding) {
        iterator = inbound.messages(maxSize: 16 << 20).makeAsyncIterator()
        self.outbound = outbound
        self.encoding = encoding
    }

    func send(_ message: ClientMessage) async throws {
        switch encoding {
        case .json: try await outbound.write(.text(String(decoding: try HranaJSON.encode(message), as: UTF8.self)))
        case .protobuf: try await outbound.write(.binary(ByteBuffer(data: HranaProtobuf.encode(message))))
        }
    }

    func sendRaw(text: String) async throws { try await outbound.write(.text(text)) }
    func sendRaw(binary: [UInt8]) async throws { try await outbound.write(.binary(ByteBuffer(bytes: binary))) }

    /// The next server message; `nil` once the server closed the connection.
    func receive() async throws -> ServerMessage? {
        guard let frame = try await iterator.next() else { return nil }
        switch frame {
        case .text(let text): return try HranaJSON.decode(ServerMessage.self, from: Data(text.utf8))
        case .binary(let buffer): return try HranaProtobuf.decode(ServerMessage.self, from: Data(buffer: buffer))
        }
    }

    /// Sends a request and returns its response (success or error).
    func request(_ request: WebSocketRequest) async throws -> Result<WebSocketResponse, ProtocolError> {
        let id = nextRequestID
        nextRequestID += 1
        try await send(.request(id: id, request))
        switch try await receive() {
        case .responseOK(let requestID, let response)? where requestID == id: return .success(response)
        case .responseError(let requestID, let error)? where requestID == id: return .failure(error)
        case let other: throw WebSocketTestError("expected the response to \(id), got \(String(describing: other))")
        }
    }

    /// A request that must succeed.
    @discardableResult
    func ok(_ request: WebSocketRequest) async throws -> WebSocketResponse {
        try await self.request(request).get()
    }

    func hello(jwt: String? = nil) async throws -> ServerMessage? {
        try await send(.hello(jwt: jwt))
        return try await receive()
    }
}

struct WebSocketTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension ServerHarness {
    /// Connects a WebSocket to the server offering `subprotocols` (none: no header), runs `body` on it, and
    /// returns how the server closed it. Errors thrown by `body` are rethrown.
    @discardableResult
    func withWebSocket(
        subprotocols: [String]? = ["hrana3"], encoding: WireEncoding = .json,
        _ body: @escaping @Sendable (WebSocketConversation) async throws -> Void
    ) async throws -> WebSocketCloseFrame? {
        var configuration = WebSocketClientConfiguration()
        if let subprotocols { configuration.additionalHeaders[.secWebSocketProtocol] = subprotocols.joined(separator: ", ") }
        let failure = Mutex<(any Error)?>(nil)
        let url = server.url.absoluteString.replacingOccurrences(of: "http://", with: "ws://")
        let close = try await WebSocketClient.connect(
            url: url, configuration: configuration, logger: Logger(label: "ws-test")
        ) { inbound, outbound, _ in
            do {
                try await body(WebSocketConversation(inbound: inbound, outbound: outbound, encoding: encoding))
            } catch {
                failure.withLock { $0 = error }
            }
        }
        if let error = failure.withLock({ $0 }) { throw error }
        return close
    }
}
