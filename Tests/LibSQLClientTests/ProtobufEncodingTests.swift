import Foundation
import LibSQLClient
import LibSQLServer
import Testing

/// `encoding: .protobuf`: requests go to `/v3-protobuf` when the server answers its probe, and to JSON
/// otherwise. (The shared client suites also run every body over protobuf: `TestBackend.remoteProtobuf`.)
@Suite struct ProtobufEncodingTests {
    @Test("with protobuf, pipelines, batches, cursors and transactions all use /v3-protobuf")
    func usesProtobufPaths() async throws {
        try await withServer { server in
            let db = try Database(configuration: .init(url: server.url.absoluteString, encoding: .protobuf))
            try await db.execute("CREATE TABLE t(x INTEGER, b BLOB)")
            try await db.batch(["INSERT INTO t VALUES (1, x'00ff')", "INSERT INTO t VALUES (2, NULL)"])
            try await db.transaction(.write) { tx in _ = try await tx.execute("INSERT INTO t VALUES (3, NULL)") }
            var seen: [Int64] = []
            for try await row in db.query("SELECT x FROM t ORDER BY x") { seen.append(try row.get(0, as: Int64.self)) }
            #expect(seen == [1, 2, 3])
            #expect(try await db.execute("SELECT b FROM t WHERE x = 1").rows[0][0] == .blob(Data([0, 255])))
            await db.close()
            #expect(server.requestCount(path: "/v3-protobuf") == 1)
            #expect(server.requestCount(path: "/v3-protobuf/pipeline") >= 4)
            #expect(server.requestCount(path: "/v3-protobuf/cursor") == 1)
            #expect(server.requestCount(path: "/v3/pipeline") == 0)
            #expect(server.requestCount(path: "/v3/cursor") == 0)
        }
    }

    @Test("a server that does not serve /v3-protobuf gets JSON; so does a fixed Hrana 2")
    func fallsBackToJSON() async throws {
        try await withServer { server in
            let hidingProtobuf = ProtobufHidingTransport()
            let db = try Database(configuration: .init(
                url: server.url.absoluteString, transport: hidingProtobuf, encoding: .protobuf))
            #expect(try await db.execute("SELECT 1").rows[0][0] == .integer(1))
            await db.close()
            let v2 = try Database(configuration: .init(url: server.url.absoluteString, protocolVersion: .v2, encoding: .protobuf))
            #expect(try await v2.execute("SELECT 2").rows[0][0] == .integer(2))
            await v2.close()
            #expect(server.requestCount(path: "/v3-protobuf/pipeline") == 0)
            #expect(server.requestCount(path: "/v3/pipeline") == 1)
            #expect(server.requestCount(path: "/v2/pipeline") == 1)
            try await hidingProtobuf.shutdown()
        }
    }
}

/// Forwards to a real transport, except that `GET /v3-protobuf` answers 404, as a server without protobuf does.
private struct ProtobufHidingTransport: HTTPTransport {
    let inner = AsyncHTTPClientTransport()

    func send(_ request: HTTPRequest, body: Data?) async throws -> HTTPResponse {
        if request.url.path == "/v3-protobuf" { return HTTPResponse(status: 404, headers: [:], body: HTTPBody(Data())) }
        return try await inner.send(request, body: body)
    }

    func shutdown() async throws { try await inner.shutdown() }
}
