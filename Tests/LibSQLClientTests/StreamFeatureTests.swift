import Foundation
import LibSQLClient
import Synchronization
import Testing

/// Captures request bodies on their way to a real transport.
final class CapturingTransport: HTTPTransport {
    let base: any HTTPTransport
    let bodies = Mutex<[String]>([])
    let inFlight = Mutex((now: 0, peak: 0))

    init(base: any HTTPTransport) { self.base = base }

    func send(_ request: HTTPRequest, body: Data?) async throws -> HTTPResponse {
        bodies.withLock { $0.append(String(decoding: body ?? Data(), as: UTF8.self)) }
        inFlight.withLock { $0.now += 1; $0.peak = max($0.peak, $0.now) }
        defer { inFlight.withLock { $0.now -= 1 } }
        let response = try await base.send(request, body: body)
        return HTTPResponse(status: response.status, headers: response.headers,
                            body: HTTPBody(try await response.body.collect(upTo: 1 << 26)))
    }

    func shutdown() async throws { try await base.shutdown() }
}

@Suite("stream features")
struct StreamFeatureTests {
    @Test("SQL repeated on a stream is stored once and then sent by id")
    func storedSQL() async throws {
        try await withServer { server in
            let capture = CapturingTransport(base: AsyncHTTPClientTransport())
            let db = try Database(url: server.url.absoluteString, transport: capture)
            try await db.execute("CREATE TABLE t (x INT)")
            try await db.transaction { tx in
                for value in 0..<5 { try await tx.execute("INSERT INTO t VALUES (?)", [value]) }
            }
            #expect(try await db.execute("SELECT count(*) FROM t").rows[0][0] == .integer(5))
            let bodies = capture.bodies.withLock { $0 }
            let stores = bodies.filter { $0.contains(#""type":"store_sql""#) }
            #expect(stores.count == 1, "the INSERT is stored once")
            #expect(bodies.filter { $0.contains(#""sql_id":0"#) }.count >= 3)
            await db.close()
            try await capture.shutdown()
        }
    }

    @Test("the concurrency limit bounds requests in flight")
    func concurrencyLimit() async throws {
        try await withServer { server in
            let capture = CapturingTransport(base: AsyncHTTPClientTransport())
            let db = try Database(configuration: .init(url: server.url.absoluteString, concurrency: 2, transport: capture))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for value in 0..<24 {
                    group.addTask { _ = try await db.execute("SELECT \(value) + 1") }
                }
                try await group.waitForAll()
            }
            #expect(capture.inFlight.withLock { $0.peak } <= 2)
            #expect(capture.bodies.withLock { $0.count } == 24 + 1, "24 executes and one shared version probe")
            await db.close()
            try await capture.shutdown()
        }
    }
}

@Suite("base_url")
struct BaseURLTests {
    static let empty = #"{"cols":[],"rows":[],"affected_row_count":0,"last_insert_rowid":null}"#

    @Test("a base_url in a response moves the rest of the stream there (RFC 3986 resolution)")
    func followsBaseURL() async throws {
        let begin = #"{"baton":null,"requests":[{"type":"batch","batch":{"steps":[{"stmt":{"sql":"BEGIN IMMEDIATE","want_rows":false}},{"condition":{"type":"and","conds":[{"type":"ok","step":0},{"type":"not","cond":{"type":"is_autocommit"}}]},"stmt":{"sql":"INSERT INTO t VALUES (1)","args":[]}}]}}]}"#
        let commit = #"{"baton":"b1","requests":[{"type":"execute","stmt":{"sql":"COMMIT","want_rows":false}},{"type":"close"}]}"#
        let exchanges = [
            RecordedExchange(
                description: "begin", scenario: "base-url", method: "POST", path: "/v3/pipeline", requestBody: Data(begin.utf8),
                status: 200, responseContentType: "application/json",
                responseBody: Data(#"{"baton":"b1","base_url":"http://127.0.0.1:9/replica/db/","results":[{"type":"ok","response":{"type":"batch","result":{"step_results":[\#(Self.empty),\#(Self.empty)],"step_errors":[null,null]}}}]}"#.utf8)),
            RecordedExchange(
                description: "commit", scenario: "base-url", method: "POST", path: "/replica/db/v3/pipeline",
                requestBody: Data(commit.utf8), status: 200, responseContentType: "application/json",
                responseBody: Data(#"{"baton":null,"base_url":null,"results":[{"type":"ok","response":{"type":"execute","result":\#(Self.empty)}},{"type":"ok","response":{"type":"close"}}]}"#.utf8)),
        ]
        let replay = ReplayTransport(exchanges: exchanges, mode: .matching)
        let db = try Database(configuration: .init(url: "http://127.0.0.1:9/", transport: replay, protocolVersion: .v3))
        try await db.transaction { tx in try await tx.execute("INSERT INTO t VALUES (1)") }
        #expect(replay.remaining == 0)
        await db.close()
    }
}
