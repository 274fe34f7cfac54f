import AsyncHTTPClient
import Foundation
import Hrana
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization

/// The default transport, on async-http-client: a connection pool with keep-alive, HTTP/2 over TLS and
/// streaming bodies.
public struct AsyncHTTPClientTransport: HTTPTransport {
    private let client: HTTPClient
    private let owner: OwnedHTTPClient?

    /// Uses an existing `HTTPClient` (for example `HTTPClient.shared`); the caller shuts it down.
    public init(client: HTTPClient) {
        self.client = client
        self.owner = nil
    }

    /// Creates a transport with its own `HTTPClient`, shut down by ``shutdown()``. Connection attempts are
    /// retried with backoff until `connectTimeout`.
    public init(maximumConnections: Int = 20, connectTimeout: Duration = .seconds(10)) {
        self.init(maximumConnections: maximumConnections, connectTimeout: connectTimeout, tlsConfiguration: nil)
    }

    /// Creates a transport with its own `HTTPClient` that trusts the roots of `tls` over HTTPS (see
    /// ``init(maximumConnections:connectTimeout:)``); invalid trust roots fail with `TLS_ERROR`.
    ///
    /// A server whose certificate is refused fails with `TLS_ERROR` once `connectTimeout` has passed:
    /// async-http-client retries connection attempts until then.
    public init(maximumConnections: Int = 20, connectTimeout: Duration = .seconds(10), tls: Database.Configuration.TLS) throws {
        self.init(maximumConnections: maximumConnections, connectTimeout: connectTimeout, tlsConfiguration: try tls.clientConfiguration())
    }

    init(maximumConnections: Int, connectTimeout: Duration, tlsConfiguration: TLSConfiguration?) {
        var configuration = HTTPClient.Configuration()
        if let tlsConfiguration { configuration.tlsConfiguration = tlsConfiguration }
        configuration.timeout.connect = .milliseconds(Int64(connectTimeout.components.seconds * 1000 + connectTimeout.components.attoseconds / 1_000_000_000_000_000))
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(1, maximumConnections)
        configuration.decompression = .disabled
        self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.owner = OwnedHTTPClient(client)
    }

    public func send(_ request: HTTPRequest, body: Data?) async throws -> HTTPResponse {
        var outgoing = HTTPClientRequest(url: request.url.absoluteString)
        outgoing.method = HTTPMethod(rawValue: request.method)
        for (name, value) in request.headers {
            outgoing.headers.add(name: name, value: value)
        }
        if let body {
            outgoing.body = .bytes(ByteBuffer(bytes: body))
        }
        let timeout = request.timeout.map { TimeAmount.nanoseconds(Int64($0.components.seconds) * 1_000_000_000 + $0.components.attoseconds / 1_000_000_000) }
        let response = try await client.execute(outgoing, timeout: timeout ?? .hours(24))
        var headers: [String: String] = [:]
        for (name, value) in response.headers {
            headers[name.lowercased()] = value
        }
        let responseBody = response.body
        if let length = headers["content-length"].flatMap(Int.init), length <= 1 << 20 {
            var buffer = try await responseBody.collect(upTo: length)
            let bytes = Data(buffer.readableBytesView)
            buffer.clear()
            return HTTPResponse(status: Int(response.status.code), headers: headers, body: HTTPBody(bytes))
        }
        return HTTPResponse(
            status: Int(response.status.code), headers: headers,
            body: HTTPBody(makeReader: {
                var iterator = responseBody.makeAsyncIterator()
                return HTTPBody.Reader {
                    guard let buffer = try await iterator.next() else { return nil }
                    return Data(buffer.readableBytesView)
                }
            }))
    }

    public func shutdown() async throws {
        try await owner?.shutdown()
    }
}

/// The `HTTPClient` a transport created: shut down by ``AsyncHTTPClientTransport/shutdown()``, or in the
/// background when the last copy of the transport goes away without it (a client that was never closed must not
/// crash or leak its connections).
private final class OwnedHTTPClient: Sendable {
    let client: HTTPClient
    private let isShutDown = Atomic<Bool>(false)

    init(_ client: HTTPClient) { self.client = client }

    func shutdown() async throws {
        guard !isShutDown.exchange(true, ordering: .acquiringAndReleasing) else { return }
        try await client.shutdown()
    }

    deinit {
        if !isShutDown.load(ordering: .acquiring) { client.shutdown { _ in } }
    }
}
