import Foundation
import Hrana
import LibSQLServer
import Testing

@Suite("Concurrent writers")
struct HTTPConcurrencyTests {
    @Test("20 streams run interactive write transactions without lost updates")
    func twentyStreams() async throws {
        try await ServerHarness.withServer { harness in
            _ = try await harness.query("CREATE TABLE counter(id INTEGER PRIMARY KEY, n INTEGER)")
            _ = try await harness.query("INSERT INTO counter VALUES (1, 0)")
            let rounds = 3
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        for _ in 0..<rounds {
                            let begin = try await harness.pipeline([
                                .execute(Stmt(sql: "BEGIN IMMEDIATE")),
                                .execute(Stmt(sql: "SELECT n FROM counter WHERE id = 1")),
                            ])
                            #expect(begin.results.allSatisfy { $0.failure == nil }, "\(begin.results)")
                            let update = try await harness.pipeline([
                                .execute(Stmt(sql: "UPDATE counter SET n = n + 1 WHERE id = 1")),
                                .execute(Stmt(sql: "COMMIT")), .close,
                            ], baton: try #require(begin.baton) as String)
                            #expect(update.results.allSatisfy { $0.failure == nil }, "\(update.results)")
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await harness.query("SELECT n FROM counter").rows == [[.integer(Int64(20 * rounds))]])
        }
    }

    @Test("100 concurrent BEGIN IMMEDIATE batches all succeed (checklist 23)")
    func hundredBatches() async throws {
        try await ServerHarness.withServer { harness in
            _ = try await harness.query("CREATE TABLE t(x)")
            let successes = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<100 {
                    group.addTask {
                        let response = try await harness.pipeline([
                            .batch(Batch(steps: [
                                BatchStep(stmt: Stmt(sql: "BEGIN IMMEDIATE")),
                                BatchStep(condition: .ok(step: 0), stmt: Stmt(sql: "INSERT INTO t VALUES (?)", args: [.integer(Int64(index))])),
                                BatchStep(condition: .ok(step: 1), stmt: Stmt(sql: "COMMIT")),
                                BatchStep(condition: .not(.ok(step: 2)), stmt: Stmt(sql: "ROLLBACK")),
                            ])),
                            .close,
                        ])
                        let result = response.results.first?.okBatch
                        return result?.stepErrors.allSatisfy { $0 == nil } == true && result?.stepResults[2] != nil
                    }
                }
                return try await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
            }
            #expect(successes == 100)
            #expect(try await harness.query("SELECT count(*) FROM t").rows == [[.integer(100)]])
        }
    }

    @Test("a transaction holding the write lock past the timeout is rolled back when another writer waits")
    func transactionTimeout() async throws {
        try await ServerHarness.withServer(configure: {
            $0.transactionTimeout = .milliseconds(500)
            $0.busyTimeout = .seconds(3)
        }) { harness in
            _ = try await harness.query("CREATE TABLE t(x)")
            let holder = try await harness.pipeline([
                .execute(Stmt(sql: "BEGIN IMMEDIATE")), .execute(Stmt(sql: "INSERT INTO t VALUES ('held')")),
            ])
            let start = ContinuousClock.now
            let waiter = try await harness.execute("INSERT INTO t VALUES ('waiter')")
            #expect(waiter.failure == nil, "\(waiter)")
            #expect(ContinuousClock.now - start < .seconds(3))
            let late = try await harness.pipeline(
                [.execute(Stmt(sql: "INSERT INTO t VALUES ('late')")), .execute(Stmt(sql: "COMMIT"))],
                baton: try #require(holder.baton) as String)
            #expect(late.results.first?.failure?.code == "TRANSACTION_TIMEOUT", "\(late.results)")
            let rows = try await harness.query("SELECT x FROM t ORDER BY rowid").rows
            #expect(!rows.contains([.text("held")]))
            #expect(rows.contains([.text("waiter")]))
        }
    }

    @Test("with the default limits a 5 MiB blob is stored and read back")
    func fiveMebibyteBlob() async throws {
        let blob = Data((0..<(5 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        try await ServerHarness.withServer { harness in
            let response = try await harness.pipeline([
                .execute(Stmt(sql: "CREATE TABLE b(id INTEGER PRIMARY KEY, name TEXT, data BLOB)")),
                .execute(Stmt(sql: "INSERT INTO b(name, data) VALUES ('five', ?)", args: [.blob(blob)])),
                .execute(Stmt(sql: "SELECT data, length(data) FROM b")), .close,
            ])
            #expect(response.results[1].failure == nil, "\(String(describing: response.results[1].failure))")
            let row = try #require(response.results[2].okStmt?.rows.first)
            #expect(row == [.blob(blob), .integer(5 << 20)])
        }
    }

    @Test("a value exactly at the default limit passes both ways; one byte more is SQLITE_TOOBIG")
    func valueSizeBoundary() async throws {
        let limit = ServerConfiguration.defaultMaxValueSize
        #expect(limit >= 5 << 20)
        try await ServerHarness.withServer { harness in
            let atLimit = Data(repeating: 0xA5, count: limit)
            let response = try await harness.pipeline([
                .execute(Stmt(sql: "SELECT ?", args: [.blob(atLimit)])),
                .execute(Stmt(sql: "SELECT length(zeroblob(?))", args: [.integer(Int64(limit))])),
                .execute(Stmt(sql: "SELECT ?", args: [.blob(Data(count: limit + 1))])),
                .execute(Stmt(sql: "SELECT zeroblob(?)", args: [.integer(Int64(limit + 1))])),
                .close,
            ])
            #expect(response.results[0].okStmt?.rows == [[.blob(atLimit)]])
            #expect(response.results[1].okStmt?.rows == [[.integer(Int64(limit))]])
            #expect(response.results[2].failure?.code == "SQLITE_TOOBIG", "\(response.results[2])")
            #expect(response.results[3].failure?.code == "SQLITE_TOOBIG", "\(response.results[3])")
        }
    }

    @Test("a response larger than the limit fails with RESPONSE_TOO_LARGE")
    func responseTooLarge() async throws {
        try await ServerHarness.withServer(configure: { $0.maxResponseSize = 10_000 }) { harness in
            let response = try await harness.pipeline([
                .execute(Stmt(sql: "SELECT randomblob(100) FROM (WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 1000) SELECT n FROM c)")),
                .execute(Stmt(sql: "SELECT 1")), .close,
            ])
            #expect(response.results[0].failure?.code == "RESPONSE_TOO_LARGE")
            #expect(response.results[1].okStmt != nil)
        }
    }
}
