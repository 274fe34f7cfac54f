import AsyncHTTPClient
import Foundation
import Gzip
import Hrana
import LibSQLServer
import NIOCore
import Testing

@Suite("Compressed cursors over HTTP")
struct HTTPCursorGzipTests {
    private func cursorBody(_ sql: String) throws -> Data {
        try HranaJSON.encode(CursorRequest(baton: nil, batch: Batch(steps: [BatchStep(stmt: Stmt(sql: sql))])))
    }

    /// The lines after the header (the header holds a per-stream baton).
    private func entryLines(_ body: Data) throws -> [Substring] {
        let lines = String(decoding: body, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.last == "", "every line ends with a newline")
        _ = try HranaJSON.decode(CursorResponse.self, from: Data(try #require(lines.first).utf8))
        return Array(lines.dropFirst())
    }

    @Test("a 20,000-row cursor is gzipped for Accept-Encoding: gzip and decodes to the plain body")
    func compressedMatchesPlain() async throws {
        try await ServerHarness.withServer { harness in
            _ = try await harness.query("CREATE TABLE t(n INTEGER, label TEXT)")
            _ = try await harness.query(
                "INSERT INTO t WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 20000) SELECT n, 'row ' || n FROM c")
            let body = try cursorBody("SELECT n, label FROM t ORDER BY n")
            let plain = try await harness.request(.POST, "/v3/cursor", body: body)
            let gzipped = try await harness.request(
                .POST, "/v3/cursor", body: body, headers: [("Accept-Encoding", "deflate, gzip;q=0.8, br;q=0")])
            #expect(plain.status == 200)
            #expect(gzipped.status == 200)
            #expect(plain.headers.first(name: "content-encoding") == nil)
            #expect(gzipped.headers.first(name: "content-encoding") == "gzip")
            #expect(gzipped.headers.first(name: "vary") == "Accept-Encoding")
            #expect(gzipped.contentType == "text/plain")
            #expect(plain.contentType == "text/plain")
            let decoded = Data(try Gzip.decompress([UInt8](gzipped.body)))
            let plainLines = try entryLines(plain.body)
            #expect(plainLines.count == 20_003, "step_begin, 20,000 rows, step_end, final newline")
            #expect(try entryLines(decoded) == plainLines)
            #expect(gzipped.body.count < plain.body.count / 4, "\(gzipped.body.count) vs \(plain.body.count) bytes")
        }
    }

    @Test("no or refused Accept-Encoding and early errors are not compressed")
    func notCompressed() async throws {
        try await ServerHarness.withServer { harness in
            let body = try cursorBody("SELECT 1")
            for headers in [[], [("Accept-Encoding", "gzip;q=0")], [("Accept-Encoding", "br, *;q=0")], [("Accept-Encoding", "identity")]] {
                let response = try await harness.request(.POST, "/v3/cursor", body: body, headers: headers)
                #expect(response.status == 200)
                #expect(response.headers.first(name: "content-encoding") == nil, "\(headers)")
                #expect(try entryLines(response.body).contains(#"{"type":"row","row":[{"type":"integer","value":"1"}]}"#))
            }
            let rejected = try await harness.request(
                .POST, "/v3/cursor",
                body: try HranaJSON.encode(CursorRequest(baton: "nope", batch: Batch(steps: []))),
                headers: [("Accept-Encoding", "gzip")])
            #expect(rejected.status == 400)
            #expect(rejected.headers.first(name: "content-encoding") == nil)
            #expect(rejected.text == "Received an invalid baton")
        }
    }

    @Test("the compressed header line is decodable before the batch finishes")
    func streamsFirstLine() async throws {
        try await ServerHarness.withServer { harness in
            let body = try HranaJSON.encode(CursorRequest(baton: nil, batch: Batch(steps: [
                BatchStep(stmt: Stmt(sql: "SELECT 1")),
                BatchStep(stmt: Stmt(sql: "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 3000000) SELECT count(*) FROM c")),
            ])))
            var request = HTTPClientRequest(url: harness.server.url.absoluteString + "/v3/cursor")
            request.method = .POST
            request.headers.add(name: "Accept-Encoding", value: "gzip")
            request.body = .bytes(ByteBuffer(bytes: body))
            let start = ContinuousClock.now
            let response = try await ServerHarness.client.execute(request, timeout: .seconds(30))
            #expect(response.headers.first(name: "content-encoding") == "gzip")
            var decompressor = try GzipDecompressor(format: .gzip)
            var iterator = response.body.makeAsyncIterator()
            let firstChunk = try #require(try await iterator.next())
            let firstAt = ContinuousClock.now - start
            let first = try decompressor.feed(firstChunk.readableBytesView)
            var rest: [UInt8] = []
            while let chunk = try await iterator.next() { rest += try decompressor.feed(chunk.readableBytesView) }
            rest += try decompressor.finish()
            let totalAt = ContinuousClock.now - start
            #expect(String(decoding: first, as: UTF8.self).hasPrefix(#"{"baton":"#))
            #expect(String(decoding: first, as: UTF8.self).hasSuffix("\n"), "the whole header line")
            #expect(String(decoding: rest, as: UTF8.self).contains(#""row":[{"type":"integer","value":"3000000"}]"#))
            #expect(firstAt < totalAt / 2, "first chunk after \(firstAt), whole body after \(totalAt)")
        }
    }
}
