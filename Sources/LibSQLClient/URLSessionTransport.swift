import Foundation
import Hrana
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A transport on Foundation's `URLSession`, for apps that do not want SwiftNIO.
///
/// Bodies are read whole (Linux's `URLSession` has no streaming body API), so ``Database/query(_:)``
/// does not stream with bounded memory on this transport. Use one transport per process.
public final class URLSessionTransport: HTTPTransport {
    private let session: URLSession
    private let ownsSession: Bool

    /// Uses an existing session; the caller invalidates it.
    public init(session: URLSession) {
        self.session = session
        ownsSession = false
    }

    /// Creates a transport with its own ephemeral session.
    public init(maximumConnections: Int = 20) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = max(1, maximumConnections)
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        session = URLSession(configuration: configuration)
        ownsSession = true
    }

    public func send(_ request: HTTPRequest, body: Data?) async throws -> HTTPResponse {
        var outgoing = URLRequest(url: request.url)
        outgoing.httpMethod = request.method
        for (name, value) in request.headers where name != "accept-encoding" {
            outgoing.setValue(value, forHTTPHeaderField: name)
        }
        outgoing.httpBody = body
        if let timeout = request.timeout {
            outgoing.timeoutInterval = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        }
        let (data, response) = try await session.data(for: outgoing)
        guard let http = response as? HTTPURLResponse else {
            throw LibSQLError(code: .hranaProtocolError, message: "The response is not an HTTP response")
        }
        var headers: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { headers[name.lowercased()] = value }
        }
        // URLSession decodes gzip itself and may leave the header in place.
        headers["content-encoding"] = nil
        return HTTPResponse(status: http.statusCode, headers: headers, body: HTTPBody(data))
    }

    public func shutdown() async throws {
        if ownsSession { session.finishTasksAndInvalidate() }
    }
}
