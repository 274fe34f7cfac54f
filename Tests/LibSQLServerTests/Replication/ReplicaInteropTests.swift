import Foundation
import Testing

/// libSQL's own embedded-replica clients (PyPI `libsql` 0.1.11 = Rust crate 0.9.22, `libsql-experimental`
/// 0.0.55 = crate 0.9.10) against `libsql serve`: `Tests/Interop/replica_interop.py` bootstraps a
/// replica, syncs after every kind of write and across generation cuts, and compares it with the primary.
/// Disabled, with the reason shown, when python3 cannot import the client (CI installs it in `.ci/run`).
@Suite("libSQL reference clients", .serialized)
struct ReplicaInteropTests {
    static func importable(_ module: String) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import \(module)"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Interop/replica_interop.py")

    @Test("libsql 0.1.11 (crate 0.9.22) bootstraps, pulls and sees every write",
          .enabled(if: importable("libsql"), "python3 cannot import libsql: pip install libsql==0.1.11"),
          .timeLimit(.minutes(3)))
    func libsql() async throws {
        try await Self.run(module: "libsql")
    }

    @Test("libsql-experimental 0.0.55 (crate 0.9.10) bootstraps, pulls and sees every write",
          .enabled(if: importable("libsql_experimental"),
                   "python3 cannot import libsql_experimental: pip install libsql-experimental==0.0.55"),
          .timeLimit(.minutes(3)))
    func libsqlExperimental() async throws {
        try await Self.run(module: "libsql_experimental")
    }

    static func run(module: String) async throws {
        let folder = try ServeProcessTests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try await runScript(script, folder: folder, serveArguments: ["--generation-max-frames", "20"]) { url, token in
            let work = folder.appendingPathComponent("replica")
            try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
            return [url.absoluteString, token, work.path, module]
        }
    }

    /// Runs a Python interop script against a `libsql serve` of its own: `arguments` gets the server's URL and
    /// token; the script must exit 0 and print "all checks passed".
    static func runScript(
        _ script: URL, folder: URL, serveArguments: [String], arguments: (URL, String) throws -> [String]
    ) async throws {
        let token = "interop-\(UUID().uuidString)"
        let server = try ServeProcess(arguments: [
            "--db", folder.appendingPathComponent("primary.db").path, "--port", "0", "--auth-token", token,
        ] + serveArguments)
        let url = try await server.url()
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", script.path] + (try arguments(url, token))
        let output = Pipe()
        python.standardOutput = output
        python.standardError = output
        let collected = OutputBuffer()
        output.fileHandleForReading.readabilityHandler = { handle in collected.append(handle.availableData) }
        try python.run()
        let deadline = ContinuousClock.now + .seconds(150)
        while python.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        if python.isRunning { python.terminate() }
        python.waitUntilExit()
        try await Task.sleep(for: .milliseconds(50))
        let text = collected.text
        #expect(python.terminationStatus == 0, "\(script.lastPathComponent):\n\(text)\nserver: \(server.errorOutput)")
        #expect(text.contains("all checks passed"), "\(text)")
        server.process.terminate()
        _ = try await server.waitForExit(timeout: .seconds(30))
    }
}
