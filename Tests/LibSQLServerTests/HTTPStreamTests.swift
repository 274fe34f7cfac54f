import Foundation
import Hrana
import LibSQLServer
import Testing

@Suite("Streams and batons")
struct HTTPStreamTests {
    @Test("an interactive transaction across three requests commits (checklist 24)")
    func interactiveTransaction() async throws {
        try await ServerHarness.withServer { harness in
            _ = try await harness.query("CREATE TABLE t(x)")
            let first = try await harness.pipeline([
                .execute(Stmt(sql: "BEGIN")), .execute(Stmt(sql: "INSERT INTO t VALUES (1)")),
            ])
            let second = try await harness.pipeline(
                [.execute(Stmt(sql: "INSERT INTO t VALUES (2)")), .execute(Stmt(sql: "SELECT count(*) FROM t"))],
                baton: try #require(first.baton) as String)
            #expect(second.results[1].okStmt?.rows == [[.integer(2)]])
            #expect(try await harness.query("SELECT count(*) FROM t").rows == [[.integer(0)]])
            let third = try await harness.pipeline(
                [.execute(Stmt(sql: "COMMIT")), .close], baton: try #require(second.baton) as String)
            #expect(third.baton == nil)
            #expect(try await harness.query("SELECT count(*) FROM t").rows == [[.integer(2)]])
        }
    }

    @Test("closing a stream without COMMIT rolls back (checklist 25)")
    func closeRollsBack() async throws {
        try await ServerHarness.withServer { harness in
            _ = try await harness.query("CREATE TABLE t(x)")
            let first = try await harness.pipeline([
                .execute(Stmt(sql: "BEGIN IMMEDIATE")), .execute(Stmt(sql: "INSERT INTO t VALUES (1)")),
            ])
            let closed = try await harness.pipeline([.close], baton: try #require(first.baton) as String)
            #expect(closed.baton == nil)
            #expect(try await harness.query("SELECT count(*) FROM t").rows == [[.integer(0)]])
            // The write lock was released: another stream can write at once.
            _ = try await harness.query("INSERT INTO t VALUES (2)")
        }
    }

    @Test("a reused baton gets 400 text and the stream keeps working (checklist 26)")
    func reusedBaton() async throws {
        try await ServerHarness.withServer { harness in
            let first = try await harness.pipeline([.execute(Stmt(sql: "SELECT 1"))])
            let old = try #require(first.baton)
            let second = try await harness.pipeline([.execute(Stmt(sql: "SELECT 2"))], baton: old)
            let replay = try await harness.rawPipeline([.execute(Stmt(sql: "SELECT 3"))], baton: old)
            #expect(replay.status == 400)
            #expect(replay.contentType == "text/plain")
            #expect(replay.text == "Received a baton that has already been used")
            let third = try await harness.pipeline([.close], baton: try #require(second.baton) as String)
            #expect(third.results == [.ok(.close)])
        }
    }

    @Test("garbage, forged and closed-stream batons are invalid (checklist 27)")
    func invalidBatons() async throws {
        try await ServerHarness.withServer { harness in
            let open = try await harness.pipeline([])
            let genuine = try #require(open.baton)
            var forged = Array(genuine)
            forged[5] = forged[5] == "A" ? "B" : "A"
            for baton in ["garbage", String(forged), String(repeating: "A", count: 64), ""] {
                let response = try await harness.rawPipeline([.execute(Stmt(sql: "SELECT 1"))], baton: baton)
                #expect(response.status == 400, "baton \(baton)")
                #expect(response.text == "Received an invalid baton")
                #expect(response.contentType == "text/plain")
            }
            let closed = try await harness.pipeline([.close], baton: genuine)
            #expect(closed.baton == nil)
            let after = try await harness.rawPipeline([], baton: genuine)
            #expect(after.status == 400)
            #expect(after.text == "Received an invalid baton")
        }
    }

    @Test("batons from another server process are invalid")
    func batonFromAnotherServer() async throws {
        let baton = try await ServerHarness.withServer { harness in try #require(try await harness.pipeline([]).baton) }
        try await ServerHarness.withServer { harness in
            let response = try await harness.rawPipeline([], baton: baton)
            #expect(response.status == 400)
            #expect(response.text == "Received an invalid baton")
        }
    }

    @Test("an idle stream expires: STREAM_EXPIRED JSON, rolled back, then invalid (checklist 28)")
    func expiry() async throws {
        try await ServerHarness.withServer(configure: {
            $0.streamIdleTimeout = .seconds(1)
            $0.expiredStreamRetention = .seconds(2)
        }) { harness in
            _ = try await harness.query("CREATE TABLE t(x)")
            let open = try await harness.pipeline([
                .execute(Stmt(sql: "BEGIN IMMEDIATE")), .execute(Stmt(sql: "INSERT INTO t VALUES (1)")),
            ])
            let baton = try #require(open.baton)
            try await Task.sleep(for: .milliseconds(1600))
            let expired = try await harness.rawPipeline([.execute(Stmt(sql: "COMMIT"))], baton: baton)
            #expect(expired.status == 400)
            #expect(expired.contentType == "application/json")
            let json = try expired.json()
            #expect(json["code"] as? String == "STREAM_EXPIRED")
            #expect(json["message"] as? String == "The stream has expired due to inactivity")
            #expect(try await harness.query("SELECT count(*) FROM t").rows == [[.integer(0)]])
            try await Task.sleep(for: .milliseconds(2500))
            let purged = try await harness.rawPipeline([], baton: baton)
            #expect(purged.status == 400)
            #expect(purged.text == "Received an invalid baton")
        }
    }

    @Test("requests keep a stream alive past the idle timeout")
    func keepAlive() async throws {
        // Each request comes well within the idle timeout (room for a loaded test machine), while the stream
        // lives longer than one timeout in total.
        try await ServerHarness.withServer(configure: { $0.streamIdleTimeout = .seconds(2) }) { harness in
            var baton = try #require(try await harness.pipeline([]).baton)
            for _ in 0..<6 {
                try await Task.sleep(for: .milliseconds(500))
                baton = try #require(try await harness.pipeline([], baton: baton).baton)
            }
        }
    }

    @Test("[close, execute] fails the whole request with 400 like sqld (checklist 29)")
    func executeAfterClose() async throws {
        try await ServerHarness.withServer { harness in
            let response = try await harness.rawPipeline([.close, .execute(Stmt(sql: "SELECT 1"))])
            #expect(response.status == 400)
            #expect(response.text == "Stream for this baton was closed")
        }
    }

    @Test("stored SQL rules and per-stream scope (checklists 30, 31)")
    func storedSQL() async throws {
        try await ServerHarness.withServer { harness in
            let stored = try await harness.pipeline([
                .storeSQL(id: 0, sql: "SELECT ?"), .execute(Stmt(sqlID: 0, args: [.integer(7)])), .closeSQL(id: 99),
            ])
            #expect(stored.results[1].okStmt?.rows == [[.integer(7)]])
            #expect(stored.results[2] == .ok(.closeSQL))
            let baton = try #require(stored.baton)
            let other = try await harness.rawPipeline([.execute(Stmt(sqlID: 0))])
            #expect(other.status == 400)
            let duplicate = try await harness.rawPipeline([.storeSQL(id: 0, sql: "SELECT 2")], baton: baton)
            #expect(duplicate.status == 400)
            // The protocol error dropped the stream.
            #expect(try await harness.rawPipeline([], baton: baton).status == 400)

            let many = (0..<51).map { StreamRequest.storeSQL(id: Int32($0), sql: "SELECT \($0)") }
            let tooMany = try await harness.pipeline(many + [.close])
            #expect(tooMany.results[50].failure?.code == "SQL_STORE_TOO_MANY")
            let large = try await harness.pipeline([
                .storeSQL(id: 1, sql: "SELECT '" + String(repeating: "x", count: 4992) + "'"), .close,
            ])
            #expect(large.results[0].failure?.code == "SQL_STORE_TOO_LARGE")
            let both = try await harness.post("/v3/pipeline", json: #"{"requests":[{"type":"sequence","sql":"SELECT 1","sql_id":1}]}"#)
            #expect(both.status == 400)
            let neither = try await harness.post("/v3/pipeline", json: #"{"requests":[{"type":"describe"}]}"#)
            #expect(neither.status == 400)
        }
    }

    @Test("describe and sequence (checklists 32, 33)")
    func describeAndSequence() async throws {
        try await ServerHarness.withServer { harness in
            let response = try await harness.pipeline([
                .sequence(sql: "CREATE TABLE a(x INT); INSERT INTO a VALUES (1);", sqlID: nil),
                .describe(sql: "SELECT :a, ?, ?5 FROM a", sqlID: nil),
                .describe(sql: "EXPLAIN SELECT 1", sqlID: nil),
                .sequence(sql: "INSERT INTO a VALUES (2); INSERT INTO nope VALUES (3);", sqlID: nil),
                .execute(Stmt(sql: "SELECT count(*) FROM a")),
                .close,
            ])
            #expect(response.results[0] == .ok(.sequence))
            guard case .ok(.describe(let described)) = response.results[1] else {
                Issue.record("describe failed: \(response.results[1])")
                return
            }
            #expect(described.params.map(\.name) == [":a", nil, nil, nil, "?5"])
            #expect(described.isReadonly)
            guard case .ok(.describe(let explain)) = response.results[2] else {
                Issue.record("describe failed: \(response.results[2])")
                return
            }
            #expect(explain.isExplain)
            #expect(response.results[3].failure != nil)
            let count = response.results[4].okStmt?.rows.first?.first
            #expect(count == .integer(2) || count == .integer(1))
        }
    }

    @Test("concurrent requests with the same current baton: one wins, the other gets 400")
    func concurrentSameBaton() async throws {
        try await ServerHarness.withServer { harness in
            let baton = try #require(try await harness.pipeline([]).baton)
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<2 {
                    group.addTask {
                        try await harness.rawPipeline([
                            .execute(Stmt(sql: "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 200000) SELECT count(*) FROM c")),
                        ], baton: baton).status
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.sorted() == [200, 400])
        }
    }

    @Test("connections reused between one-request streams carry no state")
    func recycledSessionsAreClean() async throws {
        try await ServerHarness.withServer { harness in
            for _ in 0..<3 {
                _ = try await harness.pipeline([.execute(Stmt(sql: "PRAGMA foreign_keys = ON")), .close])
                _ = try await harness.pipeline([.execute(Stmt(sql: "CREATE TEMP TABLE scratch(x)")), .close])
                _ = try await harness.pipeline([.storeSQL(id: 1, sql: "SELECT 1"), .close])
                _ = try await harness.pipeline([.execute(Stmt(sql: "BEGIN")), .close])
                _ = try await harness.pipeline([.execute(Stmt(sql: "SELECT 1")), .close])
                let check = try await harness.pipeline([
                    .execute(Stmt(sql: "PRAGMA foreign_keys")), .execute(Stmt(sql: "SELECT * FROM temp.scratch")),
                    .getAutocommit,
                ])
                #expect(check.results[0].okStmt?.rows == [[.integer(0)]])
                #expect(check.results[1].failure != nil)
                #expect(check.results[2] == .ok(.getAutocommit(isAutocommit: true)))
                let stored = try await harness.rawPipeline([.execute(Stmt(sqlID: 1)), .close], baton: check.baton)
                #expect(stored.status == 400)
            }
        }
    }
}
