import Foundation
import Hrana
import LibSQLServer
import Testing

/// Short queries run inline on the request's task; the rest, and everything when the limit is zero, on
/// worker threads. The answers must not depend on where a statement ran.
@Suite("Inline queries over HTTP")
struct InlineQueryTests {
    static let limits: [Duration] = [.zero, .microseconds(200), .seconds(10)]
    static let slowCount = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000000) SELECT count(*) FROM n"

    private func stmt(_ sql: String, _ args: [Value] = []) -> StreamRequest { .execute(Stmt(sql: sql, args: args)) }

    @Test("a query that outruns the inline limit is answered from a worker, on a fresh or a recycled session")
    func slowQuery() async throws {
        try await ServerHarness.withServer { harness in
            for _ in 0..<3 {
                let response = try await harness.pipeline([stmt(Self.slowCount), .close])
                #expect(response.results.first?.okStmt?.rows == [[.integer(2_000_000)]])
                #expect(response.baton == nil)
            }
        }
    }

    @Test("a pipeline continues on a worker where its inline run stops", arguments: limits)
    func mixedPipeline(limit: Duration) async throws {
        try await ServerHarness.withServer(configure: { $0.inlineQueryLimit = limit }) { harness in
            _ = try await harness.query("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)")
            _ = try await harness.query("SELECT 1")  // leaves a recycled session in the pool
            let response = try await harness.pipeline([
                stmt("SELECT count(*) FROM t"),
                stmt("INSERT INTO t(v) VALUES (?)", [.text("a")]),
                stmt("SELECT v FROM t WHERE id = ?", [.integer(1)]),
                stmt("SELECT * FROM missing"),
                .getAutocommit,
                .close,
            ])
            #expect(response.results.count == 6)
            #expect(response.results[0].okStmt?.rows == [[.integer(0)]])
            #expect(response.results[1].okStmt?.affectedRowCount == 1)
            #expect(response.results[1].okStmt?.lastInsertRowID == 1)
            #expect(response.results[2].okStmt?.rows == [[.text("a")]])
            #expect(response.results[3].failure?.message.contains("no such table") == true)
            #expect(response.results[4] == .ok(.getAutocommit(isAutocommit: true)))
            #expect(response.results[5] == .ok(.close))
            #expect(response.baton == nil)
        }
    }

    @Test("a stream inside a transaction reads its own uncommitted rows; others do not", arguments: limits)
    func transactionVisibility(limit: Duration) async throws {
        try await ServerHarness.withServer(configure: { $0.inlineQueryLimit = limit }) { harness in
            _ = try await harness.query("CREATE TABLE t(a)")
            let opened = try await harness.pipeline([stmt("BEGIN"), stmt("INSERT INTO t VALUES (1)")])
            let baton = try #require(opened.baton)
            let inside = try await harness.pipeline([stmt("SELECT count(*) FROM t")], baton: baton)
            #expect(inside.results.first?.okStmt?.rows == [[.integer(1)]])
            #expect(try await harness.query("SELECT count(*) FROM t").rows == [[.integer(0)]])
            let insideBaton = try #require(inside.baton)
            let committed = try await harness.pipeline(
                [stmt("COMMIT"), stmt("SELECT count(*) FROM t"), .close], baton: insideBaton)
            #expect(committed.results.last == .ok(.close))
            #expect(committed.results[1].okStmt?.rows == [[.integer(1)]])
            #expect(try await harness.query("SELECT count(*) FROM t").rows == [[.integer(1)]])
        }
    }

    @Test("stored SQL and its errors behave the same inline", arguments: limits)
    func storedSQL(limit: Duration) async throws {
        try await ServerHarness.withServer(configure: { $0.inlineQueryLimit = limit }) { harness in
            let first = try await harness.pipeline([
                .storeSQL(id: 1, sql: "SELECT ? * 2"), .execute(Stmt(sqlID: 1, args: [.integer(21)])),
            ])
            #expect(first.results[1].okStmt?.rows == [[.integer(42)]])
            let firstBaton = try #require(first.baton)
            let unknown = try await harness.rawPipeline([.execute(Stmt(sqlID: 2))], baton: firstBaton)
            #expect(unknown.status == 400)
            #expect(unknown.text == "SQL text with id 2 was not found")
        }
    }

    @Test("readers see a counter only grow while a writer increments it")
    func readersDuringWrites() async throws {
        try await ServerHarness.withServer { harness in
            _ = try await harness.query("CREATE TABLE counter(id INTEGER PRIMARY KEY, n INTEGER)")
            _ = try await harness.query("INSERT INTO counter VALUES (1, 0)")
            let rounds = 100
            let regressions = try await withThrowingTaskGroup(of: Int.self) { group in
                group.addTask {
                    for _ in 0..<rounds { _ = try await harness.query("UPDATE counter SET n = n + 1 WHERE id = 1") }
                    return 0
                }
                for _ in 0..<8 {
                    group.addTask {
                        var last: Int64 = -1
                        var regressions = 0
                        for _ in 0..<rounds / 2 {
                            guard case .integer(let n)? = try await harness.query("SELECT n FROM counter").rows.first?.first
                            else { throw HarnessError.unexpected("no counter") }
                            if n < last { regressions += 1 }
                            last = n
                        }
                        return regressions
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(regressions == 0)
            #expect(try await harness.query("SELECT n FROM counter").rows == [[.integer(Int64(rounds))]])
        }
    }
}
