import Foundation
import Testing

/// libSQL's Python client (PyPI `libsql-client` 0.3.1: HTTP API v1 for `http:` URLs, Hrana 2 over WebSocket
/// for `ws:` URLs) against `libsql serve`: `Tests/Interop/client_v1_interop.py` and `client_ws_interop.py`
/// run statements, arguments, batches, transactions, errors and a wrong token. Disabled, with the reason shown, when python3 cannot import it (CI installs it in `.ci/run`).
@Suite("libSQL Python client over HTTP API v1 and WebSocket")
struct ClientInteropTests {
    static let interop = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Interop")

    @Test("libsql-client 0.3.1 executes, batches and sees errors over /v1",
          .enabled(if: ReplicaInteropTests.importable("libsql_client"),
                   "python3 cannot import libsql_client: pip install libsql-client==0.3.1"),
          .timeLimit(.minutes(3)))
    func libsqlClientOverV1() async throws {
        let folder = try ServeProcessTests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let script = Self.interop.appendingPathComponent("client_v1_interop.py")
        try await ReplicaInteropTests.runScript(script, folder: folder, serveArguments: ["--no-replication"]) { url, token in
            [url.absoluteString, token]
        }
    }

    @Test("libsql-client 0.3.1 runs statements, batches and transactions over hrana2 WebSocket",
          .enabled(if: ReplicaInteropTests.importable("libsql_client"),
                   "python3 cannot import libsql_client: pip install libsql-client==0.3.1"),
          .timeLimit(.minutes(3)))
    func libsqlClientOverWebSocket() async throws {
        let folder = try ServeProcessTests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let script = Self.interop.appendingPathComponent("client_ws_interop.py")
        try await ReplicaInteropTests.runScript(script, folder: folder, serveArguments: ["--no-replication"]) { url, token in
            [url.absoluteString.replacingOccurrences(of: "http://", with: "ws://"), token]
        }
    }
}
