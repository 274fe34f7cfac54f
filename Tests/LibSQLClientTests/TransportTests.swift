import Foundation
import LibSQLClient
import Testing

@Suite("transports")
struct TransportTests {
    @Test("the URLSession transport runs execute, batch, transaction and query against the server")
    func urlSession() async throws {
        try await withServer { server in
            let transport = URLSessionTransport()
            let db = try Database(url: server.url.absoluteString, transport: transport)
            try await db.execute("CREATE TABLE t (x INT)")
            try await db.batch(["INSERT INTO t VALUES (1)", "INSERT INTO t VALUES (2)"], mode: .write)
            try await db.transaction { tx in try await tx.execute("INSERT INTO t VALUES (3)") }
            var sum: Int64 = 0
            for try await row in db.query("SELECT x FROM t") { sum += try row.get(0, as: Int64.self) }
            #expect(sum == 6)
            await db.close()
            try await transport.shutdown()
        }
    }

    @Test("responses are gzip-compressed on request and decompressed by the client")
    func compression() async throws {
        try await withServer { server in
            let recorder = GzipProbe(base: AsyncHTTPClientTransport())
            let db = try Database(url: server.url.absoluteString, transport: recorder)
            let rs = try await db.execute("""
                WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 3000) SELECT i, 'some text' FROM c
                """)
            #expect(rs.rows.count == 3000)
            #expect(recorder.sawGzip.withLock { $0 }, "the server should gzip a large response when asked")
            await db.close()
            try await recorder.shutdown()
        }
    }
}

import Synchronization

final class GzipProbe: HTTPTransport {
    let base: any HTTPTransport
    let sawGzip = Mutex(false)

    init(base: any HTTPTransport) { self.base = base }

    func send(_ request: HTTPRequest, body: Data?) async throws -> HTTPResponse {
        #expect(request.headers["accept-encoding"] == "gzip")
        let response = try await base.send(request, body: body)
        if response.headers["content-encoding"] == "gzip" { sawGzip.withLock { $0 = true } }
        return response
    }

    func shutdown() async throws { try await base.shutdown() }
}
