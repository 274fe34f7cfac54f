import AsyncHTTPClient
import Foundation
import Hrana
import LibSQLServer
import NIOCore
import NIOHTTP1
import Testing

/// An HTTP response as the tests see it.
struct HTTPResult: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: Data

    var text: String { String(decoding: body, as: UTF8.self) }
    var contentType: String? { headers.first(name: "content-type") }

    /// The body as a JSON object.
    func json() throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any], "body: \(text)")
    }

    func pipeline() throws -> PipelineResponse {
        try HranaJSON.decode(PipelineResponse.self, from: body)
    }
}

/// Starts a server on an ephemeral port with a fresh temporary database and talks to it over loopback.
struct ServerHarness: Sendable {
    let server: RunningServer
    let databasePath: String

    static func withServer<T: Sendable>(
        configure: (inout ServerConfiguration) -> Void = { _ in },
        _ body: (ServerHarness) async throws -> T
    ) async throws -> T {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("libsql-server-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("test.db").path
        var configuration = ServerConfiguration(databasePath: path, port: 0)
        configure(&configuration)
        return try await HranaServer.withRunning(configuration) { server in
            try await body(ServerHarness(server: server, databasePath: path))
        }
    }

    /// A client that shows responses exactly as sent (no automatic decompression).
    static let client = HTTPClient(
        eventLoopGroupProvider: .singleton, configuration: HTTPClient.Configuration(
            connectionPool: .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: 128),
            decompression: .disabled))

    func request(
        _ method: HTTPMethod, _ path: String, body: Data? = nil, headers: [(String, String)] = [],
        timeout: TimeAmount = .seconds(30)
    ) async throws -> HTTPResult {
        var request = HTTPClientRequest(url: server.url.absoluteString + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await Self.client.execute(request, timeout: timeout)
        let buffer = try await response.body.collect(upTo: 64 << 20)
        return HTTPResult(status: Int(response.status.code), headers: response.headers, body: Data(buffer: buffer))
    }

    /// POSTs a JSON text to a path.
    func post(_ path: String, json: String, headers: [(String, String)] = []) async throws -> HTTPResult {
        try await request(.POST, path, body: Data(json.utf8), headers: headers)
    }

    /// POSTs a pipeline and expects a 200 with a decodable body.
    func pipeline(
        _ requests: [StreamRequest], baton: String? = nil, version: ProtocolVersion = .v3,
        headers: [(String, String)] = []
    ) async throws -> PipelineResponse {
        let result = try await rawPipeline(requests, baton: baton, version: version, headers: headers)
        #expect(result.status == 200, "body: \(result.text)")
        return try result.pipeline()
    }

    func rawPipeline(
        _ requests: [StreamRequest], baton: String? = nil, version: ProtocolVersion = .v3,
        headers: [(String, String)] = []
    ) async throws -> HTTPResult {
        let body = try HranaJSON.encode(PipelineRequest(baton: baton, requests: requests))
        return try await request(.POST, "/\(version.pipelinePath)", body: body, headers: headers)
    }

    /// Executes one statement on a new stream that is closed in the same request.
    func execute(_ sql: String, _ args: [Value] = [], version: ProtocolVersion = .v3) async throws -> StreamResult {
        let response = try await pipeline([.execute(Stmt(sql: sql, args: args)), .close], version: version)
        return try #require(response.results.first)
    }

    /// Executes one statement and expects success.
    func query(_ sql: String, _ args: [Value] = []) async throws -> StmtResult {
        let result = try await execute(sql, args)
        guard case .ok(.execute(let stmtResult)) = result else {
            Issue.record("expected a result for \(sql), got \(result)")
            throw HarnessError.unexpected("\(result)")
        }
        return stmtResult
    }
}

enum HarnessError: Error {
    case unexpected(String)
}

extension StreamResult {
    var okStmt: StmtResult? {
        if case .ok(.execute(let result)) = self { return result }
        return nil
    }

    var okBatch: BatchResult? {
        if case .ok(.batch(let result)) = self { return result }
        return nil
    }

    var failure: ProtocolError? {
        if case .error(let error) = self { return error }
        return nil
    }
}
