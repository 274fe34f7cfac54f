import Fixtures
import Foundation
import LibSQLClient
import LibSQLServer
import Logging
import Testing

/// Where a shared test body runs: our server over real HTTP or WebSocket, recorded fixtures of that server, or a
/// local file.
enum TestBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case remote, remoteProtobuf, webSocket, webSocketProtobuf, replay, local

    var testDescription: String { rawValue }
}

/// Temporary folders for databases, removed after the test.
func withTemporaryDirectory<T>(_ body: (URL) async throws -> T) async throws -> T {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("libsql-client-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try await body(directory)
}

/// Runs `body` against an in-process server on an ephemeral port with a new database.
func withServer<T: Sendable>(
    configure: (inout ServerConfiguration) -> Void = { _ in },
    _ body: (RunningServer) async throws -> T
) async throws -> T {
    try await withTemporaryDirectory { directory in
        var configuration = ServerConfiguration(databasePath: directory.appendingPathComponent("server.db").path, port: 0)
        configure(&configuration)
        return try await HranaServer.withRunning(configuration, body)
    }
}

/// The source folder of recorded fixtures (written when `LIBSQL_RECORD_FIXTURES=1`).
let recordedSourceFolder = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/recorded")

var isRecording: Bool { ProcessInfo.processInfo.environment["LIBSQL_RECORD_FIXTURES"] == "1" }

/// Runs a test body with a client on the chosen backend.
///
/// `.remote` talks to a fresh in-process server (and records `Tests/Fixtures/recorded/<scenario>/` when
/// `LIBSQL_RECORD_FIXTURES=1`); `.remoteProtobuf` talks to it with the protobuf encoding (`/v3-protobuf`);
/// `.webSocket` talks to it over one WebSocket with JSON (a `ws://` URL, `hrana3`), `.webSocketProtobuf` over
/// `hrana3-protobuf` (its `http://` URL with `wire: .webSocket`); `.replay` serves those recorded files with no
/// server; `.local` uses a file.
func withClient(
    _ backend: TestBackend, scenario: String,
    configure: (inout Database.Configuration) -> Void = { _ in },
    _ body: (Database) async throws -> Void
) async throws {
    switch backend {
    case .remote, .remoteProtobuf, .webSocket, .webSocketProtobuf:
        try await withServer { server in
            var configuration = Database.Configuration(url: server.url.absoluteString)
            switch backend {
            case .remoteProtobuf: configuration.encoding = .protobuf
            case .webSocket: configuration.url = webSocketURL(server)
            case .webSocketProtobuf: (configuration.encoding, configuration.wire) = (.protobuf, .webSocket)
            default: break
            }
            configure(&configuration)
            var recorder: RecordingTransport?
            if isRecording && backend == .remote {
                recorder = try RecordingTransport(
                    wrapping: AsyncHTTPClientTransport(), directory: recordedSourceFolder.appendingPathComponent(scenario),
                    scenario: scenario)
                configuration.transport = recorder
            }
            let client = try Database(configuration: configuration)
            do {
                try await body(client)
            } catch {
                await client.close()
                try await recorder?.shutdown()
                throw error
            }
            await client.close()
            try await recorder?.shutdown()
            if backend == .webSocket || backend == .webSocketProtobuf {
                // The body really went over the socket: no HTTP request reached the server, at most one upgrade.
                let subprotocol = backend == .webSocket ? "hrana3" : "hrana3-protobuf"
                #expect(server.requestCount() == server.requestCount(path: "/ (WebSocket \(subprotocol))"))
                #expect(server.requestCount() <= 1)
            }
        }
    case .replay:
        // While recording, the bundled copies are the previous build's; replay them on the next run.
        guard !isRecording else { return }
        let folder = Fixtures.recorded.appendingPathComponent(scenario)
        let replay = try ReplayTransport(directory: folder)
        var configuration = Database.Configuration(url: "http://127.0.0.1:9/")
        configure(&configuration)
        configuration.transport = replay
        let client = try Database(configuration: configuration)
        try await body(client)
        await client.close()
    case .local:
        try await withTemporaryDirectory { directory in
            var configuration = Database.Configuration(url: "file:" + directory.appendingPathComponent("local.db").path)
            configure(&configuration)
            let client = try Database(configuration: configuration)
            try await body(client)
            await client.close()
        }
    }
}

/// The `ws://` URL of a server on loopback.
func webSocketURL(_ server: RunningServer) -> String {
    server.url.absoluteString.replacingOccurrences(of: "http://", with: "ws://")
}

/// Expects `body` to throw a ``LibSQLError`` and returns it.
func expectLibSQLError(
    _ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation
) async -> LibSQLError? {
    do {
        try await body()
        Issue.record("Expected a LibSQLError, nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch let error as LibSQLError {
        return error
    } catch {
        Issue.record("Expected a LibSQLError, got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
