import Foundation
import Hrana
@testable import LibSQLServer
import Testing

@Suite("Replication endpoints (sync v2)")
struct ReplicationEndpointTests {
    @Test("a fresh server: generation 1, a one-page export, and 400 with the generation when there are no frames")
    func freshServer() async throws {
        try await ServerHarness.withReplication { harness throws in
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
        try await ServerHarness.withReplication { harness throws in
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
        try await ServerHarness.withReplication { harness throws in
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
        try await ServerHarness.withReplication(configure: { $0.authToken = "rep-s3cret" }) { harness throws in
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
        try await ServerHarness.withServer { harness throws in
            #expect(try await harness.request(.GET, "/info").status == 404)
            #expect(try await harness.request(.GET, "/sync/1/1/129").status == 404)
            let insert = try await harness.query("CREATE TABLE t(x)")
            #expect(insert.replicationIndex == nil)
        }
    }

    @Test("writes carry replication_index: frames before this generation plus its committed frames")
    func replicationIndex() async throws {
        try await ServerHarness.withReplication { harness throws in
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

    @Test("concurrent writers each get an index at a commit boundary, never below a write that finished before theirs began")
    func replicationIndexUnderConcurrentWriters() async throws {
        try await ServerHarness.withReplication { harness throws in
            _ = try await harness.query("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)")
            struct Write: Sendable { var sent: ContinuousClock.Instant, received: ContinuousClock.Instant, index: UInt64 }
            let writes = try await withThrowingTaskGroup(of: [Write].self) { group in
                for writer in 0..<8 {
                    group.addTask {
                        var mine: [Write] = []
                        for step in 0..<25 {
                            let sent = ContinuousClock.now
                            let result = try await harness.query("INSERT INTO t(v) VALUES ('\(writer)-\(step)')")
                            mine.append(Write(sent: sent, received: .now, index: try #require(result.replicationIndex)))
                        }
                        return mine
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            let (frames, _) = try await harness.pullGeneration(1)
            for write in writes {
                // The index names the last frame of a commit that includes the write.
                let frame = try #require(frames.indices.contains(Int(write.index) - 1) ? frames[Int(write.index) - 1] : nil)
                let commitSize = frame.prefix(8).suffix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
                #expect(commitSize != 0, "frame \(write.index) is not a commit frame")
            }
            var stale = 0
            for earlier in writes {
                for later in writes where earlier.received < later.sent && later.index <= earlier.index { stale += 1 }
            }
            #expect(stale == 0, "\(stale) writes got an index no higher than a write that finished before they began")
        }
    }

    @Test("across many cuts, every write's index is a commit frame of the global log, and never below an earlier write's")
    func replicationIndexAcrossCuts() async throws {
        try await ServerHarness.withReplication(configure: {
            $0.replication.maxFramesPerGeneration = 6
            $0.replication.pollInterval = .milliseconds(2)
        }) { harness throws in
            _ = try await harness.query("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)")
            struct Write: Sendable { var sent: ContinuousClock.Instant, received: ContinuousClock.Instant, index: UInt64 }
            let writes = try await withThrowingTaskGroup(of: [Write].self) { group in
                for writer in 0..<8 {
                    group.addTask {
                        var mine: [Write] = []
                        for step in 0..<40 {
                            let sent = ContinuousClock.now
                            let result = try await harness.query("INSERT INTO t(v) VALUES ('\(writer)-\(step)')")
                            mine.append(Write(sent: sent, received: .now, index: try #require(result.replicationIndex)))
                        }
                        return mine
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            // The global log: every generation's frames in order; index i names its frame i.
            var isCommit: [Bool] = []
            var generation = 1
            while true {
                let (frames, current) = try await harness.pullGeneration(generation)
                isCommit += frames.map { frame in frame.prefix(8).suffix(4).contains { $0 != 0 } }
                if current <= generation { break }
                generation += 1
            }
            #expect(generation >= 4, "only \(generation) generations: the cuts did not happen")
            for write in writes {
                let frame = Int(write.index) - 1
                #expect(isCommit.indices.contains(frame) && isCommit[frame], "index \(write.index) of \(isCommit.count) frames")
            }
            var stale = 0
            for earlier in writes {
                for later in writes where earlier.received < later.sent && later.index <= earlier.index { stale += 1 }
            }
            #expect(stale == 0, "\(stale) writes got an index no higher than a write that finished before they began")
        }
    }
}
