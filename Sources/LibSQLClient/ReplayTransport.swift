import Foundation
import Hrana
import Synchronization

/// Serves recorded exchanges back instead of talking to a server.
///
/// In ``Mode/sequential`` mode a request gets the earliest unused exchange whose request is equal (method,
/// path, and the body as a JSON value, batons included), so identical requests are answered in recorded
/// order; in ``Mode/matching`` mode a request gets the first unused
/// exchange with the same method, path and body, ignoring batons and default-valued keys. A request with no
/// matching exchange fails with ``ReplayTransport/Mismatch``.
public final class ReplayTransport: HTTPTransport {
    /// How requests are matched to exchanges.
    public enum Mode: Sendable {
        /// Exact requests, earliest unused first.
        case sequential
        /// Any unused exchange with an equivalent request.
        case matching
    }

    /// A request that the recording does not contain.
    public struct Mismatch: Error, CustomStringConvertible {
        /// What was expected and what came.
        public var description: String
    }

    private let exchanges: [RecordedExchange]
    private let mode: Mode
    private let used: Mutex<[Bool]>

    /// Replays the given exchanges.
    public init(exchanges: [RecordedExchange], mode: Mode = .sequential) {
        self.exchanges = exchanges
        self.mode = mode
        used = Mutex(Array(repeating: false, count: exchanges.count))
    }

    /// Replays the fixture files of a folder.
    public convenience init(directory: URL, mode: Mode = .sequential) throws {
        self.init(exchanges: try RecordedExchange.load(directory: directory), mode: mode)
    }

    /// How many exchanges have not been served yet.
    public var remaining: Int { used.withLock { $0.filter { !$0 }.count } }

    public func send(_ request: HTTPRequest, body: Data?) async throws -> HTTPResponse {
        let exchange = try next(request, body: body)
        return HTTPResponse(
            status: exchange.status,
            headers: ["content-type": exchange.responseContentType, "content-length": String(exchange.responseBody.count)],
            body: HTTPBody(exchange.responseBody))
    }

    private func next(_ request: HTTPRequest, body: Data?) throws -> RecordedExchange {
        let path = request.url.path
        let parsed = JSONComparison.parse(body)
        switch mode {
        case .sequential:
            let index = used.withLock { used -> Int? in
                for (index, exchange) in exchanges.enumerated() where !used[index] {
                    guard exchange.method == request.method, exchange.path == path,
                          JSONComparison.equal(parsed, JSONComparison.parse(exchange.requestBody))
                    else { continue }
                    used[index] = true
                    return index
                }
                return nil
            }
            guard let index else {
                let next = used.withLock { used in used.firstIndex(of: false) }.map { exchanges[$0] }
                throw Mismatch(description: """
                    No unused recorded exchange equals this request.
                    next recorded: \(next.map { "\($0.method) \($0.path) \(String(decoding: $0.requestBody ?? Data(), as: UTF8.self))" } ?? "none")
                    actual:        \(request.method) \(path) \(String(decoding: body ?? Data(), as: UTF8.self))
                    """)
            }
            return exchanges[index]
        case .matching:
            let wanted = JSONComparison.normalized(parsed, dropBaton: true)
            let index = used.withLock { used -> Int? in
                for (index, exchange) in exchanges.enumerated() where !used[index] {
                    guard exchange.method == request.method, exchange.path == path else { continue }
                    let recorded = JSONComparison.normalized(JSONComparison.parse(exchange.requestBody), dropBaton: true)
                    if JSONComparison.equal(wanted, recorded) {
                        used[index] = true
                        return index
                    }
                }
                return nil
            }
            guard let index else {
                throw Mismatch(description: "No recorded exchange matches \(request.method) \(path) \(String(decoding: body ?? Data(), as: UTF8.self))")
            }
            return exchanges[index]
        }
    }
}
