import Foundation
import Gzip
import Hrana
import LibSQLServer
import Testing

@Suite("HTTP endpoints, limits and garbage input")
struct HTTPProtocolTests {
    @Test("probes, health, version and unknown paths (checklists 1, 44)")
    func endpoints() async throws {
        try await ServerHarness.withServer { harness in
            for path in ["/v2", "/v3"] {
                let probe = try await harness.request(.GET, path)
                #expect(probe.status == 200)
                #expect(probe.contentType == "text/plain")
            }
            let health = try await harness.request(.GET, "/health")
            #expect(health.status == 200)
            #expect(health.body.isEmpty)
            let version = try await harness.request(.GET, "/version")
            #expect(version.status == 200)
            #expect(!version.text.isEmpty)
            #expect(try await harness.request(.GET, "/nope").status == 404)
            #expect(try await harness.request(.GET, "/").status == 404)
            #expect(try await harness.request(.GET, "/v3-protobuf/pipeline").status == 405)
            #expect(try await harness.request(.GET, "/v3-protobuf").status == 200)
            #expect(try await harness.request(.GET, "/v3/pipeline").status == 405)
            #expect(harness.server.requestCount(path: "/v2") == 1)
            #expect(harness.server.requestCount() == 9)
        }
    }

    @Test("pipeline responses are application/json and count per path")
    func contentTypes() async throws {
        try await ServerHarness.withServer { harness in
            let response = try await harness.rawPipeline([.close])
            #expect(response.contentType == "application/json")
            #expect(response.headers.first(name: "content-encoding") == nil)
            #expect(harness.server.requestCount(path: "/v3/pipeline") == 1)
            #expect(harness.server.requestCount(path: "/v2/pipeline") == 0)
        }
    }

    @Test("large responses are gzipped when the client accepts gzip; small ones are not")
    func gzip() async throws {
        try await ServerHarness.withServer { harness in
            let large: [StreamRequest] = [.execute(Stmt(sql: "SELECT zeroblob(4000), 'x'")), .close]
            let compressed = try await harness.rawPipeline(large, headers: [("Accept-Encoding", "gzip, deflate")])
            #expect(compressed.status == 200)
            #expect(compressed.headers.first(name: "content-encoding") == "gzip")
            #expect(compressed.headers.first(name: "vary") == "Accept-Encoding")
            let plain = try Gzip.decompress(compressed.body)
            let decoded = try HranaJSON.decode(PipelineResponse.self, from: plain)
            #expect(decoded.results.first?.okStmt?.rows.first?[1] == .text("x"))
            let uncompressed = try await harness.rawPipeline(large)
            #expect(uncompressed.headers.first(name: "content-encoding") == nil)
            #expect(uncompressed.body.count > compressed.body.count * 5)
            let refused = try await harness.rawPipeline(large, headers: [("Accept-Encoding", "gzip;q=0")])
            #expect(refused.headers.first(name: "content-encoding") == nil)
            let small = try await harness.rawPipeline([.close], headers: [("Accept-Encoding", "gzip")])
            #expect(small.headers.first(name: "content-encoding") == nil)
        }
    }

    @Test("bodies over the limit get 413 and the server keeps serving")
    func bodyTooLarge() async throws {
        try await ServerHarness.withServer(configure: { $0.maxRequestBodySize = 10_000 }) { harness in
            let big = String(repeating: "x", count: 20_000)
            let response = try await harness.rawPipeline([.execute(Stmt(sql: "SELECT '\(big)'"))])
            #expect(response.status == 413)
            #expect(response.contentType == "text/plain")
            #expect(try await harness.query("SELECT 1").rows == [[.integer(1)]])
        }
    }

    @Test("garbage bodies get 400 text/plain and never 5xx")
    func garbage() async throws {
        try await ServerHarness.withServer { harness in
            let nested = String(repeating: #"{"type":"not","cond":"#, count: 2000) + #"{"type":"ok","step":0}"#
                + String(repeating: "}", count: 2000)
            let deepArrays = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
            let bodies = [
                "", "not json", "{", "[]", "null", "42", #"{"requests":{}}"#, #"{"requests":[{}]}"#,
                #"{"requests":[{"type":"frobnicate"}]}"#, #"{"requests":[{"type":"execute"}]}"#,
                #"{"requests":[{"type":"execute","stmt":{"sql":42}}]}"#,
                #"{"requests":[{"type":"execute","stmt":{"sql":"SELECT ?","args":[{"type":"integer","value":1}]}}]}"#,
                #"{"requests":[{"type":"execute","stmt":{"sql":"SELECT ?","args":[{"type":"blob","base64":"!!"}]}}]}"#,
                #"{"requests":[{"type":"execute","stmt":{"sql":"SELECT ?","args":[{"type":"wat"}]}}]}"#,
                #"{"baton":5,"requests":[]}"#, #"{"requests":[{"type":"store_sql","sql_id":"1","sql":"x"}]}"#,
                #"{"requests":[{"type":"batch","batch":{"steps":[{"condition":"#+nested+#","stmt":{"sql":"SELECT 1"}}]}}]}"#,
                deepArrays, "\u{FEFF}{\"requests\":[]", String(repeating: "\u{0}", count: 100),
            ]
            for body in bodies {
                for path in ["/v2/pipeline", "/v3/pipeline", "/v3/cursor"] {
                    let response = try await harness.post(path, json: body)
                    #expect((400..<500).contains(response.status), "\(path) \(body.prefix(80)) → \(response.status)")
                }
            }
            #expect(try await harness.query("SELECT 1").rows == [[.integer(1)]])
        }
    }

    @Test("half-sent and stalled bodies are dropped without hanging the server")
    func slowBodies() async throws {
        try await ServerHarness.withServer(configure: { $0.connectionIdleTimeout = .seconds(1) }) { harness in
            let port = harness.server.port
            // Half a body, then the client closes.
            try await RawSocket.blocking {
                let socket = try RawSocket(port: port)
                socket.send("POST /v3/pipeline HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"requests\":[")
                socket.shutdownWrite()
                _ = socket.readAll()
            }
            // Half a body, then silence: the server closes the connection after the idle timeout.
            let stalled = try await RawSocket.blocking { () -> Bool in
                let socket = try RawSocket(port: port)
                socket.send("POST /v3/pipeline HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"requests\":[")
                return socket.readAll().closed
            }
            #expect(stalled)
            // Not HTTP at all.
            let junk = try await RawSocket.blocking { () -> String in
                let socket = try RawSocket(port: port)
                socket.send("\u{1}\u{2}garbage\r\n\r\n")
                return socket.readAll().text
            }
            #expect(junk.isEmpty || junk.hasPrefix("HTTP/1.1 400"))
            // A declared length over the limit is refused before the body is sent.
            let declared = try await RawSocket.blocking { () -> String in
                let socket = try RawSocket(port: port)
                socket.send("POST /v3/pipeline HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999999\r\n\r\n")
                return socket.readAll().text
            }
            #expect(declared.hasPrefix("HTTP/1.1 413"), "\(declared.prefix(100))")
            #expect(try await harness.query("SELECT 1").rows == [[.integer(1)]])
        }
    }

    @Test("a port already in use makes withRunning throw; committed data survives a restart")
    func portInUseAndRestart() async throws {
        try await ServerHarness.withServer { harness in
            _ = try await harness.query("CREATE TABLE kept(x)")
            _ = try await harness.query("INSERT INTO kept VALUES (7)")
            let port = harness.server.port
            await #expect(throws: (any Error).self) {
                try await HranaServer.withRunning(ServerConfiguration(databasePath: harness.databasePath, port: port)) { _ in }
            }
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("libsql-restart-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("db.sqlite").path
        for round in 1...2 {
            try await HranaServer.withRunning(ServerConfiguration(databasePath: path, port: 0)) { server in
                let harness = ServerHarness(server: server, databasePath: path)
                if round == 1 {
                    _ = try await harness.query("CREATE TABLE kept(x)")
                    _ = try await harness.query("INSERT INTO kept VALUES (7)")
                    // An open, uncommitted transaction at shutdown is rolled back.
                    _ = try await harness.pipeline([.execute(Stmt(sql: "BEGIN")), .execute(Stmt(sql: "INSERT INTO kept VALUES (8)"))])
                } else {
                    #expect(try await harness.query("SELECT x FROM kept").rows == [[.integer(7)]])
                }
            }
        }
        let walSize = (try? FileManager.default.attributesOfItem(atPath: path + "-wal"))?[.size] as? Int ?? 0
        #expect(walSize == 0, "the WAL was checkpointed at shutdown")
    }
}
