import Fixtures
import Foundation
import Hrana
import Testing
@testable import LibSQLServer

/// `/v3-protobuf/pipeline` and `/v3-protobuf/cursor`: the same endpoints as `/v3`, with protobuf bodies.
@Suite("Hrana 3 over HTTP with protobuf")
struct HTTPProtobufTests {
    private static let protobufHeaders = [("content-type", "application/x-protobuf")]

    private static func post(
        _ harness: ServerHarness, _ path: String, _ message: some ProtobufMessage
    ) async throws -> HTTPResult {
        try await harness.request(.POST, path, body: HranaProtobuf.encode(message), headers: protobufHeaders)
    }

    @Test("the probe answers 200 and the protobuf paths take POST only")
    func probeAndMethods() async throws {
        try await ServerHarness.withServer { harness in
            let probe = try await harness.request(.GET, "/v3-protobuf")
            #expect(probe.status == 200)
            #expect(probe.text == HTTPResponses.probeText)
            let get = try await harness.request(.GET, "/v3-protobuf/pipeline")
            #expect(get.status == 405)
            #expect(get.headers.first(name: "allow") == "POST")
            #expect(try await harness.request(.GET, "/v3-protobuf/cursor").status == 405)
        }
    }

    @Test("a pipeline runs over protobuf, keeps its stream by baton, and answers application/x-protobuf")
    func pipeline() async throws {
        try await ServerHarness.withServer { harness in
            let first = try await Self.post(harness, "/v3-protobuf/pipeline", PipelineRequest(baton: nil, requests: [
                .execute(Stmt(sql: "CREATE TABLE t(x INTEGER, y TEXT, z REAL, b BLOB)")),
                .execute(Stmt(sql: "INSERT INTO t VALUES (?, ?, ?, ?)", args: [
                    .integer(-9_223_372_036_854_775_808), .text("é"), .float(-1.25), .blob(Data([0, 1, 254, 255])),
                ])),
            ]))
            #expect(first.status == 200, "\(first.text)")
            #expect(first.contentType == "application/x-protobuf")
            let opened = try HranaProtobuf.decode(PipelineResponse.self, from: first.body)
            let baton = try #require(opened.baton)
            guard case .ok(.execute(let insert)) = opened.results[1] else {
                Issue.record("the insert failed: \(opened.results[1])")
                return
            }
            #expect(insert.affectedRowCount == 1)
            let second = try await Self.post(harness, "/v3-protobuf/pipeline", PipelineRequest(baton: baton, requests: [
                .execute(Stmt(sql: "SELECT * FROM t")), .getAutocommit, .close,
            ]))
            #expect(second.status == 200, "\(second.text)")
            let read = try HranaProtobuf.decode(PipelineResponse.self, from: second.body)
            #expect(read.baton == nil)
            guard case .ok(.execute(let rows)) = read.results[0] else {
                Issue.record("the select failed: \(read.results[0])")
                return
            }
            #expect(rows.rows == [[.integer(-9_223_372_036_854_775_808), .text("é"), .float(-1.25), .blob(Data([0, 1, 254, 255]))]])
            #expect(read.results[1] == .ok(.getAutocommit(isAutocommit: true)))
            // The same data over JSON: one database behind both encodings.
            #expect(try await harness.query("SELECT count(*) FROM t").rows == [[.integer(1)]])
        }
    }

    @Test("bad bodies and batons: 400 text; an expired stream: 400 with a protobuf Error")
    func errors() async throws {
        try await ServerHarness.withServer(configure: {
            $0.streamIdleTimeout = .seconds(1)
            $0.expiredStreamRetention = .seconds(30)
        }) { harness in
            let garbage = try await harness.request(.POST, "/v3-protobuf/pipeline", body: Data([0x12, 0x05, 0x01]), headers: Self.protobufHeaders)
            #expect(garbage.status == 400)
            #expect(garbage.contentType == "text/plain")
            #expect(garbage.text.hasPrefix("Invalid request body"))
            let forged = try await Self.post(harness, "/v3-protobuf/pipeline", PipelineRequest(baton: "forged", requests: []))
            #expect(forged.status == 400)
            #expect(forged.text == "Received an invalid baton")
            let open = try await Self.post(harness, "/v3-protobuf/pipeline", PipelineRequest(baton: nil, requests: [
                .execute(Stmt(sql: "SELECT 1")),
            ]))
            let baton = try #require(try HranaProtobuf.decode(PipelineResponse.self, from: open.body).baton)
            try await Task.sleep(for: .milliseconds(1600))
            let expired = try await Self.post(harness, "/v3-protobuf/pipeline", PipelineRequest(baton: baton, requests: [.close]))
            #expect(expired.status == 400)
            #expect(expired.contentType == "application/x-protobuf")
            let error = try HranaProtobuf.decode(ProtocolError.self, from: expired.body)
            #expect(error == HTTPResponses.streamExpired)
        }
    }

    @Test("a cursor streams varint-delimited protobuf items as application/octet-stream")
    func cursor() async throws {
        try await ServerHarness.withServer { harness in
            let batch = Batch(steps: [
                BatchStep(stmt: Stmt(sql: "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3) SELECT i FROM n")),
                BatchStep(stmt: Stmt(sql: "SELECT nope")),
            ])
            let response = try await Self.post(harness, "/v3-protobuf/cursor", CursorRequest(baton: nil, batch: batch))
            #expect(response.status == 200, "\(response.text)")
            #expect(response.contentType == "application/octet-stream")
            let (header, entries) = try ProtobufCursorBodyDecoder.decode(response.body)
            #expect(header.baton != nil)
            #expect(entries.count == 6, "\(entries)")
            #expect(entries.prefix(4) == [
                .stepBegin(step: 0, cols: [Column(name: "i", decltype: nil)]), .row([.integer(1)]), .row([.integer(2)]),
                .row([.integer(3)]),
            ])
            guard case .stepError(let step, let error) = entries.last else {
                Issue.record("the last entry is not a step error: \(String(describing: entries.last))")
                return
            }
            #expect(step == 1)
            #expect(error.message.contains("nope"))
        }
    }

    @Test("the reference server's protobuf exchanges replay with the same results")
    func fixtureReplay() async throws {
        let files = try Fixtures.jsonFiles(in: Fixtures.hranaTestServer("http-v3-protobuf"))
        #expect(files.count >= 4)
        try await ServerHarness.withServer { harness in
            var batons: [String: String] = [:]
            for file in files {
                let number = String(file.lastPathComponent.prefix(3))
                let context = "http-v3-protobuf/\(file.lastPathComponent)"
                let exchange = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
                let path = try #require(exchange["path"] as? String)
                let requestText = try #require(exchange["request_base64"] as? String)
                let responseText = try #require(exchange["response_base64"] as? String)
                let requestBytes = try #require(Data(base64Encoded: requestText))
                let recorded = try #require(Data(base64Encoded: responseText))
                let baton = try (exchange["baton_from"] as? String).map { try #require(batons[$0], "\(context): no baton") }
                if path.hasSuffix("/cursor") {
                    var request = try HranaProtobuf.decode(CursorRequest.self, from: requestBytes)
                    request.baton = baton
                    let response = try await Self.post(harness, path, request)
                    #expect(response.status == 200, "\(context): \(response.text)")
                    let (header, entries) = try ProtobufCursorBodyDecoder.decode(response.body)
                    let (_, expected) = try ProtobufCursorBodyDecoder.decode(recorded)
                    batons[number] = header.baton
                    HTTPFixtureReplayTests.compare(entries, expected, request: [:], context: context)
                } else {
                    var request = try HranaProtobuf.decode(PipelineRequest.self, from: requestBytes)
                    request.baton = baton
                    let response = try await Self.post(harness, path, request)
                    #expect(response.status == 200, "\(context): \(response.text)")
                    let actual = try HranaProtobuf.decode(PipelineResponse.self, from: response.body)
                    let expected = try HranaProtobuf.decode(PipelineResponse.self, from: recorded)
                    batons[number] = actual.baton
                    HTTPFixtureReplayTests.compare(actual, expected, requests: request.requests, context: context)
                }
            }
        }
    }
}
