import AsyncHTTPClient
import Foundation
import Hrana
import NIOCore
import Testing

/// `libsql serve` as a child process, killed with SIGKILL.
@Suite("Replication process")
struct ReplicationProcessTests {
    static func get(_ url: URL, _ path: String) async throws -> (status: UInt, body: Data) {
        var request = HTTPClientRequest(url: url.absoluteString + path)
        request.method = .GET
        let response = try await ServerHarness.client.execute(request, timeout: .seconds(30))
        return (response.status.code, Data(buffer: try await response.body.collect(upTo: 64 << 20)))
    }

    /// All frames of `generation` from frame 1, and the last replication_index-style count.
    static func pull(_ url: URL, generation: Int) async throws -> Data {
        var frames = Data()
        for _ in 0..<1000 {
            let next = frames.count / 4120 + 1
            let (status, body) = try await get(url, "/sync/\(generation)/\(next)/\(next + 128)")
            if status == 400 { return frames }
            try #require(status == 200)
            frames += body
        }
        Issue.record("the pull did not end")
        return frames
    }

    @Test("SIGKILL loses no acknowledged frame: the restart continues the same generation with the same bytes")
    func killContinuesGeneration() async throws {
        let folder = try ServeProcessTests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let databasePath = folder.appendingPathComponent("primary.db").path
        let first = try ServeProcess(arguments: ["--db", databasePath, "--port", "0"])
        let url = try await first.url()
        _ = try await ServeProcessTests.pipeline(url, [ServeProcessTests.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)"), .close])
        var lastIndex: UInt64 = 0
        for index in 0..<50 {
            let response = try await ServeProcessTests.pipeline(url, [
                ServeProcessTests.execute("INSERT INTO t(v) VALUES (?)", [.text("row \(index)")]), .close,
            ])
            lastIndex = try #require(response.results.first?.okStmt?.replicationIndex)
        }
        let served = try await Self.pull(url, generation: 1)
        #expect(UInt64(served.count / 4120) == lastIndex)
        kill(first.process.processIdentifier, SIGKILL)
        _ = try await first.waitForExit(timeout: .seconds(30))

        let second = try ServeProcess(arguments: ["--db", databasePath, "--port", "0"])
        let restarted = try await second.url()
        let (status, info) = try await Self.get(restarted, "/info")
        #expect(status == 200)
        #expect(String(decoding: info, as: UTF8.self).contains(#""current_generation":1"#))
        let again = try await Self.pull(restarted, generation: 1)
        #expect(again == served, "every acknowledged frame is served again, byte for byte")
        let response = try await ServeProcessTests.pipeline(restarted, [
            ServeProcessTests.execute("INSERT INTO t(v) VALUES ('after the kill')"), .close,
        ])
        #expect(try #require(response.results.first?.okStmt?.replicationIndex) > lastIndex)
        let extended = try await Self.pull(restarted, generation: 1)
        #expect(extended.prefix(served.count) == served)
        #expect(extended.count > served.count)
        second.process.terminate()
        #expect(try await second.waitForExit(timeout: .seconds(30)) == 0)
    }
}
