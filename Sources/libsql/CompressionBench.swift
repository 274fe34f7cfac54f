import Foundation
import LibSQLClient
import Synchronization

/// What response compression buys on a large result: bytes on the wire and time per query, gzip on and off.
struct CompressionBench {
    let url: String
    let token: String?
    let iterations: Int

    static let query: Statement = """
        WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 1000)
        SELECT i AS id, 'user ' || i || '@example.com' AS email, i * 1.5 AS score,
               'lorem ipsum dolor sit amet, consectetur adipiscing elit' AS note FROM c
        """

    func run() async throws {
        print("\n| 1,000-row SELECT (4 columns) | bytes on the wire per query | avg | p50 |")
        print("|---|---|---|---|")
        var sizes: [Bool: Int] = [:]
        for compression in [false, true] {
            let transport = AsyncHTTPClientTransport()
            let counter = WireBytesTransport(base: transport)
            let client = try Database(
                configuration: .init(url: url, authToken: token, compression: compression, transport: counter))
            for _ in 0..<3 { try await client.execute(Self.query) }
            counter.reset()
            var latencies: [Duration] = []
            let clock = ContinuousClock()
            for _ in 0..<iterations {
                let start = clock.now
                let result = try await client.execute(Self.query)
                latencies.append(clock.now - start)
                precondition(result.rows.count == 1000)
            }
            let bytes = counter.bytes / iterations
            sizes[compression] = bytes
            let sorted = latencies.sorted()
            let average = sorted.reduce(.zero, +) / sorted.count
            print("| gzip \(compression ? "on" : "off") | \(bytes) | \(Self.format(average)) | \(Self.format(sorted[sorted.count / 2])) |")
            await client.close()
            try await transport.shutdown()
        }
        if let plain = sizes[false], let gzip = sizes[true], gzip > 0 {
            print("\ngzip shrinks this response \(String(format: "%.1f", Double(plain) / Double(gzip)))x on the wire.")
        }
    }

    static func format(_ duration: Duration) -> String {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return String(format: "%.3f ms", seconds * 1000)
    }
}

/// Counts response body bytes as they arrive from the network, before any decompression.
final class WireBytesTransport: HTTPTransport {
    let base: any HTTPTransport
    private let total = Mutex(0)

    init(base: any HTTPTransport) { self.base = base }

    var bytes: Int { total.withLock { $0 } }
    func reset() { total.withLock { $0 = 0 } }

    func send(_ request: HTTPRequest, body: Data?) async throws -> HTTPResponse {
        let response = try await base.send(request, body: body)
        let counted = HTTPBody(makeReader: { [self] in
            var iterator = response.body.makeAsyncIterator()
            return HTTPBody.Reader {
                let chunk = try await iterator.next()
                if let chunk { self.total.withLock { $0 += chunk.count } }
                return chunk
            }
        })
        return HTTPResponse(status: response.status, headers: response.headers, body: counted)
    }

    func shutdown() async throws { try await base.shutdown() }
}
