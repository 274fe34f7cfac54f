import AsyncHTTPClient
import Foundation
import Hrana
import LibSQLServer
import NIOCore
import Testing

@Suite("Cursors over HTTP")
struct HTTPCursorTests {
    private func cursorBody(_ steps: [BatchStep], baton: String? = nil) throws -> Data {
        try HranaJSON.encode(CursorRequest(baton: baton, batch: Batch(steps: steps)))
    }

    private func lines(_ result: HTTPResult) throws -> (CursorResponse, [CursorEntry]) {
        let lines = result.text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.last == "", "every line ends with a newline")
        let header = try HranaJSON.decode(CursorResponse.self, from: Data(try #require(lines.first).utf8))
        let entries = try lines.dropFirst().filter { !$0.isEmpty }.map {
            try HranaJSON.decode(CursorEntry.self, from: Data($0.utf8))
        }
        return (header, entries)
    }

    @Test("rows, a skipped step and a failing step (checklists 35, 36)")
    func entries() async throws {
        try await ServerHarness.withServer { harness in
            _ = try await harness.query("CREATE TABLE t(x INT)")
            let body = try cursorBody([
                BatchStep(stmt: Stmt(sql: "INSERT INTO t VALUES (1), (2)")),
                BatchStep(stmt: Stmt(sql: "SELECT x FROM t ORDER BY x")),
                BatchStep(stmt: Stmt(sql: "SELECT nope FROM t")),
                BatchStep(condition: .ok(step: 2), stmt: Stmt(sql: "SELECT 'skipped'")),
            ])
            let response = try await harness.request(.POST, "/v3/cursor", body: body)
            #expect(response.status == 200)
            #expect(response.contentType == "text/plain")
            let (header, entries) = try lines(response)
            #expect(header.baton != nil)
            #expect(entries.count == 7, "\(entries)")
            #expect(entries.first == .stepBegin(step: 0, cols: []))
            #expect(entries[1] == .stepEnd(affectedRowCount: 2, lastInsertRowID: 2))
            #expect(entries[2] == .stepBegin(step: 1, cols: [Column(name: "x", decltype: "INT")]))
            #expect(entries[3] == .row([.integer(1)]))
            #expect(entries[4] == .row([.integer(2)]))
            #expect(entries[5] == .stepEnd(affectedRowCount: 0, lastInsertRowID: nil))
            guard case .stepError(let step, _) = entries[6] else {
                Issue.record("expected a step_error without step_begin, got \(entries[6])")
                return
            }
            #expect(step == 2)
            #expect(!response.text.contains("replication_index"))
            // The cursor's baton continues the stream in a pipeline.
            let closed = try await harness.pipeline([.close], baton: try #require(header.baton) as String)
            #expect(closed.baton == nil)
        }
    }

    @Test("a step with want_rows false sends no rows, as on /v3/pipeline (checklist 11)")
    func wantRowsFalse() async throws {
        try await ServerHarness.withServer { harness in
            _ = try await harness.query("CREATE TABLE t(x INT)")
            _ = try await harness.query("INSERT INTO t VALUES (1), (2)")
            let body = try cursorBody([
                BatchStep(stmt: Stmt(sql: "SELECT x FROM t ORDER BY x", wantRows: false)),
                BatchStep(stmt: Stmt(sql: "SELECT x FROM t ORDER BY x DESC LIMIT 1")),
            ])
            let response = try await harness.request(.POST, "/v3/cursor", body: body)
            #expect(response.status == 200)
            let (_, entries) = try lines(response)
            let cols = [Column(name: "x", decltype: "INT")]
            #expect(entries == [
                .stepBegin(step: 0, cols: cols), .stepEnd(affectedRowCount: 0, lastInsertRowID: nil),
                .stepBegin(step: 1, cols: cols), .row([.integer(2)]), .stepEnd(affectedRowCount: 0, lastInsertRowID: nil),
            ])
        }
    }

    @Test("step_end last_insert_rowid is a string")
    func rowIDIsString() async throws {
        try await ServerHarness.withServer { harness in
            _ = try await harness.query("CREATE TABLE t(x)")
            let response = try await harness.request(
                .POST, "/v3/cursor", body: try cursorBody([BatchStep(stmt: Stmt(sql: "INSERT INTO t VALUES (1)"))]))
            #expect(response.text.contains(#""last_insert_rowid":"1""#), "\(response.text)")
        }
    }

    @Test("the header line arrives before the batch finishes")
    func streamsFirstLine() async throws {
        try await ServerHarness.withServer { harness in
            let body = try cursorBody([
                BatchStep(stmt: Stmt(sql: "SELECT 1")),
                BatchStep(stmt: Stmt(sql: "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 3000000) SELECT count(*) FROM c")),
            ])
            var request = HTTPClientRequest(url: harness.server.url.absoluteString + "/v3/cursor")
            request.method = .POST
            request.body = .bytes(ByteBuffer(bytes: body))
            let start = ContinuousClock.now
            let response = try await ServerHarness.client.execute(request, timeout: .seconds(30))
            var iterator = response.body.makeAsyncIterator()
            let firstChunk = try #require(try await iterator.next())
            let firstAt = ContinuousClock.now - start
            var rest = ByteBuffer()
            while var chunk = try await iterator.next() { rest.writeBuffer(&chunk) }
            let totalAt = ContinuousClock.now - start
            #expect(String(buffer: firstChunk).hasPrefix(#"{"baton":"#))
            #expect(String(buffer: rest).contains(#""row":[{"type":"integer","value":"3000000"}]"#))
            #expect(firstAt < totalAt / 2, "first chunk after \(firstAt), whole body after \(totalAt)")
        }
    }

    @Test("a cursor inside an interactive transaction")
    func insideTransaction() async throws {
        try await ServerHarness.withServer { harness in
            _ = try await harness.query("CREATE TABLE t(x)")
            let begin = try await harness.pipeline([.execute(Stmt(sql: "BEGIN"))])
            let response = try await harness.request(.POST, "/v3/cursor", body: try cursorBody([
                BatchStep(stmt: Stmt(sql: "INSERT INTO t VALUES (1)")), BatchStep(stmt: Stmt(sql: "SELECT count(*) FROM t")),
            ], baton: try #require(begin.baton) as String))
            let (header, entries) = try lines(response)
            #expect(entries.contains(.row([.integer(1)])))
            let commit = try await harness.pipeline(
                [.execute(Stmt(sql: "COMMIT")), .getAutocommit, .close], baton: try #require(header.baton) as String)
            #expect(commit.results[1] == .ok(.getAutocommit(isAutocommit: true)))
        }
    }

    @Test("empty batch, unknown baton, bad condition, and GET are rejected or trivial")
    func edgeCases() async throws {
        try await ServerHarness.withServer { harness in
            let empty = try await harness.request(.POST, "/v3/cursor", body: try cursorBody([]))
            #expect(empty.status == 200)
            #expect(empty.text.split(separator: "\n").count == 1)
            let unknown = try await harness.request(
                .POST, "/v3/cursor", body: try cursorBody([BatchStep(stmt: Stmt(sql: "SELECT 1"))], baton: "nope"))
            #expect(unknown.status == 400)
            #expect(unknown.text == "Received an invalid baton")
            let forward = try await harness.request(
                .POST, "/v3/cursor", body: try cursorBody([BatchStep(condition: .ok(step: 3), stmt: Stmt(sql: "SELECT 1"))]))
            #expect(forward.status == 400)
            let missingBatch = try await harness.post("/v3/cursor", json: #"{"baton":null}"#)
            #expect(missingBatch.status == 400)
            let v2 = try await harness.request(.POST, "/v2/cursor", body: try cursorBody([]))
            #expect(v2.status == 404)
        }
    }

    @Test("a client that disconnects mid-cursor does not break the server")
    func disconnectMidCursor() async throws {
        try await ServerHarness.withServer { harness in
            let body = try cursorBody([
                BatchStep(stmt: Stmt(sql: "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 2000000) SELECT n, randomblob(64) FROM c")),
            ])
            var request = HTTPClientRequest(url: harness.server.url.absoluteString + "/v3/cursor")
            request.method = .POST
            request.body = .bytes(ByteBuffer(bytes: body))
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            do {
                let response = try await client.execute(request, timeout: .seconds(30))
                var iterator = response.body.makeAsyncIterator()
                _ = try await iterator.next()
            }
            try await client.shutdown()
            let after = try await harness.query("SELECT 42")
            #expect(after.rows == [[.integer(42)]])
        }
    }

    @Test("a client that disconnects during a long step without rows stops it; the stream is released at once")
    func disconnectDuringSilentStep() async throws {
        try await ServerHarness.withServer { harness in
            // Seconds of work that yield no row until they end.
            let body = try cursorBody([BatchStep(stmt: Stmt(
                sql: "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 100000000) SELECT count(*) FROM c"))])
            let port = harness.server.port
            let headerLine = try await RawSocket.blocking { () -> String in
                let socket = try RawSocket(port: port)
                socket.send("POST /v3/cursor HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n")
                socket.send(String(decoding: body, as: UTF8.self))
                var received = ""
                while !received.contains("\"baton\"") {
                    let chunk = socket.receive()
                    if chunk.isEmpty { break }
                    received += chunk
                }
                return received  // the socket closes here, with the step still running
            }
            let json = try #require(headerLine.range(of: "{\"baton\"").map { headerLine[$0.lowerBound...] })
            let line = try #require(json.split(separator: "\n").first)
            let baton = try #require(try HranaJSON.decode(CursorResponse.self, from: Data(line.utf8)).baton)
            let start = ContinuousClock.now
            var released = false
            while !released && ContinuousClock.now - start < .seconds(8) {
                let attempt = try await harness.rawPipeline([.execute(Stmt(sql: "SELECT 1")), .close], baton: baton)
                if attempt.status == 200 {
                    released = true
                } else {
                    #expect(attempt.text.contains("already been used"), "while the step runs: \(attempt.text)")
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            #expect(released, "the stream stayed busy after its client went away")
            #expect(ContinuousClock.now - start < .seconds(5))
        }
    }
}
