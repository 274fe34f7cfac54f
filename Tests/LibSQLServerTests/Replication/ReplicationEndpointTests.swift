import Foundation
import Hrana
@testable import LibSQLServer
import Testing

@Suite("Replication endpoints (sync v2)")
struct ReplicationEndpointTests {
    @Test("a fresh server: generation 1, a one-page export, and 400 with the generation when there are no frames")
    func freshServer() async throws {
        try await ServerHarness.withServer { harness throws in
            #expect(try await harness.currentGeneration() == 1)
            let export = try await harness.export(1)
            #expect(export.count % WALFormat.pageSize == 0)
            #expect(export.prefix(16) == Data("SQLite format 3\0".utf8))
            let empty = try await harness.request(.GET, "/sync/1/1/129")
            #expect(empty.status == 400)
            #expect(try empty.json()["generation"] as? Int == 1)
        }
    }

    @Test("frames are raw 4,120-byte WAL frames, end exclusive, ending on a commit, then 400 {generation}")
    func frames() async throws {
        try await ServerHarness.withServer { harness throws in
            _ = try await harness.query("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)")
            for index in 0..<5 { _ = try await harness.query("INSERT INTO t(v) VALUES (?)", [.text("row \(index)")]) }
            let (frames, current) = try await harness.pullGeneration(1)
            #expect(current == 1)
            #expect(frames.count >= 6)
            let last = try #require(frames.last)
            #expect(last[4..<8] != Data([0, 0, 0, 0]), "the last frame is a commit frame")
            let two = try await harness.request(.GET, "/sync/1/2/4")
            #expect(two.status == 200)
            #expect(two.body == frames[1] + frames[2])
            #expect(two.contentType == "application/octet-stream")
            let beyond = try await harness.request(.GET, "/sync/1/\(frames.count + 1)/\(frames.count + 129)")
            #expect(beyond.status == 400)
            #expect(try beyond.json()["generation"] as? Int == 1)
            let zero = try await harness.request(.GET, "/sync/1/0/10")
            #expect(zero.status == 400)
        }
    }

    @Test("unknown generations answer 410, malformed paths 400, a push 405")
    func statusCodes() async throws {
        try await ServerHarness.withServer { harness throws in
            #expect(try await harness.request(.GET, "/export/2").status == 410)
            #expect(try await harness.request(.GET, "/export/0").status == 410)
            #expect(try await harness.request(.GET, "/sync/2/1/129").status == 410)
            #expect(try await harness.request(.GET, "/sync/0/1/129").status == 410)
            #expect(try await harness.request(.GET, "/sync/x/1/129").status == 400)
            #expect(try await harness.request(.GET, "/export/abc").status == 400)
            #expect(try await harness.request(.GET, "/sync/1/1").status == 404)
            #expect(try await harness.request(.POST, "/sync/1/1/2", body: Data()).status == 405)
        }
    }

    @Test("the replication endpoints need the same token as Hrana (401 otherwise, never leaking it)")
    func authentication() async throws {
        try await ServerHarness.withServer(configure: { $0.authToken = "rep-s3cret" }) { harness throws in
            for path in ["/info", "/export/1", "/sync/1/1/129"] {
                let missing = try await harness.request(.GET, path)
                #expect(missing.status == 401, "\(path)")
                #expect(!missing.text.contains("rep-s3cret"))
                let wrong = try await harness.request(.GET, path, headers: [("Authorization", "Bearer nope")])
                #expect(wrong.status == 401, "\(path)")
            }
            #expect(try await harness.currentGeneration(token: "rep-s3cret") == 1)
            let export = try await harness.request(.GET, "/export/1", headers: [("Authorization", "Bearer rep-s3cret")])
            #expect(export.status == 200)
        }
    }

    @Test("replication is off: the endpoints are 404 and SQLite checkpoints on its own")
    func disabled() async throws {
        try await ServerHarness.withServer(configure: { $0.replication.isEnabled = false }) { harness throws in
            #expect(try await harness.request(.GET, "/info").status == 404)
            #expect(try await harness.request(.GET, "/sync/1/1/129").status == 404)
            let insert = try await harness.query("CREATE TABLE t(x)")
            #expect(insert.replicationIndex == nil)
        }
    }

    @Test("writes carry replication_index: frames before this generation plus its committed frames")
    func replicationIndex() async throws {
        try await ServerHarness.withServer { harness throws in
            let create = try await harness.query("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)")
            let first = try #require(create.replicationIndex)
            let insert = try await harness.query("INSERT INTO t(v) VALUES ('a')")
            let second = try #require(insert.replicationIndex)
            #expect(second > first)
            let (frames, _) = try await harness.pullGeneration(1)
            #expect(UInt64(frames.count) == second)
            let read = try await harness.query("SELECT * FROM t")
            #expect(read.replicationIndex == nil)
            // The wire form is a decimal string.
            let raw = try await harness.rawPipeline([.execute(Stmt(sql: "INSERT INTO t(v) VALUES ('b')")), .close])
            #expect(raw.text.contains(#""replication_index":""#), "\(raw.text)")
        }
    }
}
