import AsyncHTTPClient
import Foundation
import Hrana
import NIOCore
import SQLiteCore
import Synchronization
import Testing

/// `libsql serve` as a separate process: its URL line, request logging, and a clean stop on SIGTERM and
/// SIGINT that keeps every committed row and none of an open transaction's.
@Suite("libsql serve process")
struct ServeProcessTests {
    enum StopSignal: String, CaseIterable, Sendable { case sigterm, sigint }

    @Test("a signal stops the server cleanly: committed rows kept, open transactions rolled back, WAL checkpointed",
          arguments: StopSignal.allCases)
    func signalStopsCleanly(signal: StopSignal) async throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let databasePath = folder.appendingPathComponent("serve.db").path
        let server = try ServeProcess(arguments: ["--db", databasePath, "--port", "0", "--log-level", "debug"])
        let url = try await server.url()

        _ = try await Self.pipeline(url, [Self.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)"), .close])
        for index in 0..<50 {
            _ = try await Self.pipeline(url, [Self.execute("INSERT INTO t(v) VALUES (?)", [.text("row \(index)")]), .close])
        }
        let batch = Batch(steps: [BatchStep(stmt: Stmt(sql: "BEGIN"))] + (0..<50).map { index in
            BatchStep(condition: .ok(step: UInt32(index)), stmt: Stmt(sql: "INSERT INTO t(v) VALUES (?)", args: [.text("batch \(index)")]))
        } + [BatchStep(condition: .ok(step: 50), stmt: Stmt(sql: "COMMIT"))])
        _ = try await Self.pipeline(url, [.batch(batch), .close])
        let open = try await Self.pipeline(url, [Self.execute("BEGIN"), Self.execute("INSERT INTO t(v) VALUES ('uncommitted')")])
        #expect(open.baton != nil)

        switch signal {
        case .sigterm: server.process.terminate()
        case .sigint: server.process.interrupt()
        }
        let status = try await server.waitForExit(timeout: .seconds(30))
        #expect(status == 0, "stderr: \(server.errorOutput)")
        #expect(server.errorOutput.contains("POST /v3/pipeline 200"), "one debug line per request")

        let walPath = databasePath + "-wal"
        let walSize = (try? FileManager.default.attributesOfItem(atPath: walPath)[.size] as? Int) ?? 0
        #expect(walSize == 0, "the WAL is checkpointed at shutdown")
        let connection = try SQLiteConnection(path: databasePath, create: false)
        defer { connection.close() }
        let (statement, _) = try connection.prepare("SELECT count(*), sum(v = 'uncommitted') FROM t")
        let counted = try #require(statement)
        #expect(try counted.step())
        #expect(try counted.row() == [.integer(100), .integer(0)])
    }

    @Test("the auth token never appears in the output, even at trace level")
    func tokenStaysSecret() async throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let token = "secret-token-\(UUID().uuidString)"
        let server = try ServeProcess(arguments: [
            "--db", folder.appendingPathComponent("auth.db").path, "--port", "0", "--auth-token", token,
            "--log-level", "trace",
        ])
        let url = try await server.url()
        let body = #"{"requests":[{"type":"execute","stmt":{"sql":"SELECT 1"}},{"type":"close"}]}"#
        let rejected = try await Self.post(url, body: Data(body.utf8), token: "wrong-\(token)")
        #expect(rejected.status == 401)
        let accepted = try await Self.post(url, body: Data(body.utf8), token: token)
        #expect(accepted.status == 200)
        server.process.terminate()
        #expect(try await server.waitForExit(timeout: .seconds(30)) == 0)
        #expect(!server.output.contains(token))
        #expect(!server.errorOutput.contains(token))
        #expect(server.errorOutput.contains("POST /v3/pipeline 401"))
    }

    @Test("limits given on the command line reach the server")
    func commandLineLimits() async throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let server = try ServeProcess(arguments: [
            "--db", folder.appendingPathComponent("limits.db").path, "--port", "0",
            "--max-value-size", "1000", "--max-request-size", "4000", "--busy-timeout", "0.5",
        ])
        let url = try await server.url()
        let (status, data) = try await Self.post(url, body: try HranaJSON.encode(PipelineRequest(baton: nil, requests: [
            Self.execute("SELECT length(randomblob(999))"), Self.execute("SELECT randomblob(1001)"), .close,
        ])))
        #expect(status == 200)
        let results = try HranaJSON.decode(PipelineResponse.self, from: data).results
        #expect(results.first?.okStmt?.rows == [[.integer(999)]])
        #expect(results.dropFirst().first?.failure?.code == "SQLITE_TOOBIG")
        let tooLarge = try await Self.post(url, body: Data(repeating: UInt8(ascii: " "), count: 4001))
        #expect(tooLarge.status == 413)
        let invalid = try ServeProcess(arguments: ["--busy-timeout", "0"])
        #expect(try await invalid.waitForExit(timeout: .seconds(30)) != 0)
        #expect(invalid.errorOutput.contains("Timeouts must be positive"))
        server.process.terminate()
        #expect(try await server.waitForExit(timeout: .seconds(30)) == 0)
    }

    @Test("a server killed during writes loses no acknowledged row and restarts on an intact database")
    func killedDuringWrites() async throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let databasePath = folder.appendingPathComponent("crash.db").path
        let first = try ServeProcess(arguments: ["--db", databasePath, "--port", "0"])
        let url = try await first.url()
        _ = try await Self.pipeline(url, [Self.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)"), .close])
        let writers = 8
        let perWriter = 400
        let progress = AcknowledgedCount()
        let acknowledged = await withTaskGroup(of: Int.self) { group in
            for writer in 0..<writers {
                group.addTask {
                    var acked = 0
                    for index in 0..<perWriter {
                        let body = try? HranaJSON.encode(PipelineRequest(baton: nil, requests: [
                            Self.execute("INSERT INTO t(v) VALUES (?)", [.text("w\(writer)-\(index)")]), .close,
                        ]))
                        guard let body, let (status, _) = try? await Self.post(url, body: body), status == 200 else {
                            return acked
                        }
                        acked += 1
                        progress.increment()
                    }
                    return acked
                }
            }
            group.addTask {
                let deadline = ContinuousClock.now + .seconds(60)
                while progress.value < 300 && ContinuousClock.now < deadline {
                    try? await Task.sleep(for: .milliseconds(2))
                }
                kill(first.process.processIdentifier, SIGKILL)
                return 0
            }
            return await group.reduce(0, +)
        }
        _ = try await first.waitForExit(timeout: .seconds(30))
        #expect(first.process.terminationReason == .uncaughtSignal)
        #expect(acknowledged > 0 && acknowledged < writers * perWriter, "the kill must land during the writes")

        let second = try ServeProcess(arguments: ["--db", databasePath, "--port", "0"])
        let restarted = try await second.url()
        let check = try await Self.pipeline(restarted, [
            Self.execute("SELECT count(*) FROM t"), Self.execute("PRAGMA integrity_check"), .close,
        ])
        guard case .integer(let count)? = check.results.first?.okStmt?.rows.first?.first else {
            Issue.record("no count: \(check.results)")
            return
        }
        // Rows whose response was lost in the kill may be committed too, never fewer than acknowledged.
        #expect(count >= Int64(acknowledged))
        #expect(count <= Int64(acknowledged + writers))
        #expect(check.results.dropFirst().first?.okStmt?.rows == [[.text("ok")]])
        second.process.terminate()
        #expect(try await second.waitForExit(timeout: .seconds(30)) == 0)
    }

    // MARK: Helpers

    static func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("serve-process-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    static func execute(_ sql: String, _ args: [Value] = []) -> StreamRequest { .execute(Stmt(sql: sql, args: args)) }

    static func post(_ url: URL, body: Data, token: String? = nil) async throws -> (status: UInt, body: Data) {
        var request = HTTPClientRequest(url: url.absoluteString + "/v3/pipeline")
        request.method = .POST
        request.body = .bytes(ByteBuffer(bytes: body))
        if let token { request.headers.add(name: "authorization", value: "Bearer \(token)") }
        let response = try await ServerHarness.client.execute(request, timeout: .seconds(30))
        let buffer = try await response.body.collect(upTo: 1 << 20)
        return (response.status.code, Data(buffer: buffer))
    }

    static func pipeline(_ url: URL, _ requests: [StreamRequest], baton: String? = nil) async throws -> PipelineResponse {
        let (status, data) = try await post(url, body: try HranaJSON.encode(PipelineRequest(baton: baton, requests: requests)))
        #expect(status == 200, "\(String(decoding: data, as: UTF8.self))")
        let decoded = try HranaJSON.decode(PipelineResponse.self, from: data)
        for result in decoded.results {
            if case .error(let error) = result { Issue.record("statement failed: \(error.message)") }
        }
        return decoded
    }
}

/// A running `libsql serve` child process, its output collected as it arrives.
final class ServeProcess: Sendable {
    let process: Process
    private let stdout = OutputBuffer()
    private let stderr = OutputBuffer()

    init(arguments: [String]) throws {
        let binary = try #require(
            Bundle.main.executableURL?.deletingLastPathComponent().appendingPathComponent("libsql"),
            "the test runner's folder")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw ServeProcessError("\(binary.path) is missing: build the package (swift build --build-tests)")
        }
        process = Process()
        process.executableURL = binary
        process.arguments = ["serve"] + arguments
        let outPipe = Pipe()
        let errPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        outPipe.fileHandleForReading.readabilityHandler = { [stdout] handle in
            let chunk = handle.availableData
            stdout.append(chunk)
        }
        errPipe.fileHandleForReading.readabilityHandler = { [stderr] handle in
            let chunk = handle.availableData
            stderr.append(chunk)
        }
        try process.run()
    }

    deinit {
        if process.isRunning { process.terminate() }
    }

    var output: String { stdout.text }
    var errorOutput: String { stderr.text }

    /// The URL from the "listening on" line.
    func url(timeout: Duration = .seconds(60)) async throws -> URL {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let line = output.split(separator: "\n").first(where: { $0.contains("listening on ") }),
               let word = line.split(separator: " ").first(where: { $0.hasPrefix("http://") }),
               let url = URL(string: String(word)) {
                return url
            }
            guard process.isRunning else { throw ServeProcessError("the server exited: \(errorOutput)") }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw ServeProcessError("no URL within \(timeout): \(output) \(errorOutput)")
    }

    /// Waits for the process to exit and returns its exit status.
    func waitForExit(timeout: Duration) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else { throw ServeProcessError("still running after \(timeout)") }
            try await Task.sleep(for: .milliseconds(20))
        }
        try await Task.sleep(for: .milliseconds(50))  // the last output chunks
        return process.terminationStatus
    }
}

/// Writes acknowledged so far, across tasks.
final class AcknowledgedCount: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}

/// Bytes a pipe delivered so far.
final class OutputBuffer: Sendable {
    private let data = Mutex(Data())
    func append(_ chunk: Data) { data.withLock { $0.append(chunk) } }
    var text: String { data.withLock { String(decoding: $0, as: UTF8.self) } }
}

struct ServeProcessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
