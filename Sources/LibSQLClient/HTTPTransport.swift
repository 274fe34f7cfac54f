import Foundation
import Hrana

/// An HTTP request as the client hands it to an ``HTTPTransport``.
public struct HTTPRequest: Sendable, Hashable {
    /// The method, `GET` or `POST`.
    public var method: String
    /// The absolute URL.
    public var url: URL
    /// Header fields; names are lowercase.
    public var headers: [String: String]
    /// The time allowed for the whole exchange, or `nil` for no limit.
    public var timeout: Duration?

    /// Creates a request.
    public init(method: String, url: URL, headers: [String: String] = [:], timeout: Duration? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.timeout = timeout
    }
}

/// An HTTP response: status, headers and a body that may still be arriving.
public struct HTTPResponse: Sendable {
    /// The status code.
    public var status: Int
    /// Header fields; names are lowercase.
    public var headers: [String: String]
    /// The body.
    public var body: HTTPBody

    /// Creates a response.
    public init(status: Int, headers: [String: String], body: HTTPBody) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// The seam between the client and an HTTP stack, modelled on swift-openapi-runtime's `ClientTransport`:
/// send a request with an optional body, get the status, headers and a streaming body back.
///
/// Implementations: ``AsyncHTTPClientTransport`` (the default), ``URLSessionTransport``,
/// ``RecordingTransport`` and ``ReplayTransport``.
public protocol HTTPTransport: Sendable {
    /// Sends one request. Throws for network failures only; HTTP error statuses are returned.
    func send(_ request: HTTPRequest, body: Data?) async throws -> HTTPResponse
    /// Releases the transport's resources; called by ``Database/close()`` on transports the client created.
    func shutdown() async throws
}

extension HTTPTransport {
    public func shutdown() async throws {}
}

/// A response body: a sequence of byte chunks read on demand, so large bodies stream with bounded memory.
public struct HTTPBody: AsyncSequence, Sendable {
    public typealias Element = Data

    /// Reads the next chunk of a body; `nil` at the end.
    public final class Reader: @unchecked Sendable {
        private let nextChunk: () async throws -> Data?

        /// Creates a reader from a function that returns successive chunks, then `nil`.
        public init(_ nextChunk: @escaping () async throws -> Data?) {
            self.nextChunk = nextChunk
        }

        func next() async throws -> Data? { try await nextChunk() }
    }

    private let makeReader: @Sendable () -> Reader
    /// The whole body when it is already in memory.
    public let buffered: Data?

    /// A body that is already in memory.
    public init(_ data: Data) {
        buffered = data
        makeReader = {
            var sent = false
            return Reader {
                if sent || data.isEmpty { return nil }
                sent = true
                return data
            }
        }
    }

    /// A body produced chunk by chunk; `makeReader` is called once per iteration.
    public init(makeReader: @escaping @Sendable () -> Reader) {
        buffered = nil
        self.makeReader = makeReader
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let reader: Reader
        public mutating func next() async throws -> Data? { try await reader.next() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(reader: makeReader()) }

    /// Reads the whole body, failing with a ``LibSQLError`` when it exceeds `limit` bytes.
    public func collect(upTo limit: Int) async throws -> Data {
        if let buffered {
            guard buffered.count <= limit else { throw Self.tooLarge(limit) }
            return buffered
        }
        var data = Data()
        for try await chunk in self {
            data.append(chunk)
            guard data.count <= limit else { throw Self.tooLarge(limit) }
        }
        return data
    }

    private static func tooLarge(_ limit: Int) -> LibSQLError {
        LibSQLError(code: .hranaProtocolError, message: "The response body is larger than \(limit) bytes")
    }
}
