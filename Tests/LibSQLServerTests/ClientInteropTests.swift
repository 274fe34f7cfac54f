import Foundation
import Testing

/// libSQL's Python client (PyPI `libsql-client` 0.3.1, which speaks HTTP API v1 for `http:` URLs) against
/// `libsql serve`: `Tests/Interop/client_v1_interop.py` runs statements, arguments, batches, errors and a
/// wrong token. Disabled, with the reason shown, when python3 cannot import it (CI installs it in `.ci/run`).
@Suite("libSQL Python client over HTTP API v1")
struct ClientInteropTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Interop/client_v1_interop.py")

    @Test("libsql-client 0.3.1 executes, batches and sees errors over /v1",
          .enabled(if: ReplicaInteropTests.importable("libsql_client"),
                   "python3 cannot import libsql_client: pip install libsql-client==0.3.1"),
          .timeLimit(.minutes(3)))
    func libsqlClientOverV1() async throws {
        let folder = try ServeProcessTests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try await ReplicaInteropTests.runScript(Self.script, folder: folder, serveArguments: ["--no-replication"]) { url, token in
            [url.absoluteString, token]
        }
    }
}
