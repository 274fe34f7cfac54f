import Foundation
import Hrana
import LibSQLServer
import Testing

@Suite("Pipeline basics")
struct PipelineBasicsTests {
    @Test("empty pipeline opens a stream with a fresh baton (checklist 2)")
    func emptyPipeline() async throws {
        try await ServerHarness.withServer { harness in
            let first = try await harness.pipeline([])
            #expect(first.results.isEmpty)
            let baton = try #require(first.baton)
            let second = try await harness.pipeline([], baton: baton)
            let next = try #require(second.baton)
            #expect(next != baton)
            let closed = try await harness.pipeline([.close], baton: next)
            #expect(closed.baton == nil)
            #expect(closed.results == [.ok(.close)])
        }
    }

    @Test("literal values and column names (checklist 3)")
    func literals() async throws {
        try await ServerHarness.withServer { harness in
            let result = try await harness.query("SELECT 1 AS one, 'x', 1.5, NULL, x'00ff'")
            #expect(result.cols.map(\.name) == ["one", "'x'", "1.5", "NULL", "x'00ff'"])
            #expect(result.cols.allSatisfy { $0.decltype == nil })
            #expect(result.rows == [[.integer(1), .text("x"), .float(1.5), .null, .blob(Data([0x00, 0xFF]))]])
        }
    }
}

@Suite("Pipeline statements")
struct PipelineStatementTests {
    @Test("integer extremes and overflow to float (checklist 4)")
    func integerExtremes() async throws {
        try await ServerHarness.withServer { harness in
            let result = try await harness.query(
                "SELECT 9223372036854775807, -9223372036854775808, 9223372036854775807 + 1")
            #expect(result.rows == [[.integer(.max), .integer(.min), .float(9.223372036854776e18)]])
        }
    }

    @Test("an infinite float result is written as a null float value, like sqld (checklist 42)")
    func infiniteFloat() async throws {
        try await ServerHarness.withServer { harness in
            let response = try await harness.post("/v3/pipeline", json: """
                {"requests":[{"type":"execute","stmt":{"sql":"SELECT 1e999, -1e999, 1.5"}},{"type":"close"}]}
                """)
            #expect(response.status == 200)
            #expect(response.text.contains(#"[{"type":"float","value":null},{"type":"float","value":null},{"type":"float","value":1.5}]"#))
            guard case .ok(.execute(let result)) = try response.pipeline().results.first else {
                Issue.record("no execute result: \(response.text)")
                return
            }
            #expect(result.rows[0][2] == .float(1.5))
            guard case .float(let decoded) = result.rows[0][0] else {
                Issue.record("not a float: \(result.rows[0][0])")
                return
            }
            #expect(decoded.isNaN)
        }
    }

    @Test("out-of-range integer argument is rejected with 400 (checklist 5)")
    func outOfRangeInteger() async throws {
        try await ServerHarness.withServer { harness in
            let response = try await harness.post("/v3/pipeline", json: """
                {"requests":[{"type":"execute","stmt":{"sql":"SELECT ?","args":[{"type":"integer","value":"9223372036854775808"}]}}]}
                """)
            #expect(response.status == 400)
            #expect(response.contentType == "text/plain")
        }
    }

    @Test("integer as a JSON number is rejected with 400 like sqld (checklist 6)")
    func integerAsNumber() async throws {
        try await ServerHarness.withServer { harness in
            let response = try await harness.post("/v3/pipeline", json: """
                {"requests":[{"type":"execute","stmt":{"sql":"SELECT ?","args":[{"type":"integer","value":42}]}}]}
                """)
            #expect(response.status == 400)
            #expect(response.text.contains("integer"))
        }
    }

    @Test("blob arguments in padded and unpadded base64 bind the same bytes (checklist 7)")
    func blobBase64() async throws {
        try await ServerHarness.withServer { harness in
            for encoded in ["+/8=", "+/8"] {
                let response = try await harness.post("/v2/pipeline", json: """
                    {"requests":[{"type":"execute","stmt":{"sql":"SELECT ?, length(?1)","args":[{"type":"blob","base64":"\(encoded)"}]}},{"type":"close"}]}
                    """)
                #expect(response.status == 200, "\(response.text)")
                let result = try #require(try response.pipeline().results.first?.okStmt)
                #expect(result.rows == [[.blob(Data([0xFB, 0xFF])), .integer(2)]])
            }
        }
    }

    @Test("declared types are reported verbatim (checklist 8)")
    func decltypes() async throws {
        try await ServerHarness.withServer { harness in
            let response = try await harness.pipeline([
                .execute(Stmt(sql: "CREATE TABLE t(a TEXT, b int NOT NULL, c FURRY BUNNY)")),
                .execute(Stmt(sql: "SELECT a, b, c, a + b FROM t")), .close,
            ])
            let result = try #require(response.results.last { $0.okStmt != nil }?.okStmt)
            #expect(result.cols.map(\.decltype) == ["TEXT", "INT", "FURRY BUNNY", nil])
        }
    }

    @Test("affected rows and last insert rowid (checklists 9, 10)")
    func dml() async throws {
        try await ServerHarness.withServer { harness in
            let response = try await harness.pipeline([
                .execute(Stmt(sql: "CREATE TABLE t(id INTEGER PRIMARY KEY, v)")),
                .execute(Stmt(sql: "INSERT INTO t(v) VALUES (1), (2)")),
                .execute(Stmt(sql: "WITH x(n) AS (VALUES (3)) INSERT INTO t(v) SELECT n FROM x")),
                .execute(Stmt(sql: "UPDATE t SET v = v + 1")),
                .execute(Stmt(sql: "DELETE FROM t")),
                .execute(Stmt(sql: "SELECT * FROM t")),
                .execute(Stmt(sql: "INSERT INTO t(v) VALUES (5) RETURNING 42 AS x")),
                .close,
            ])
            let results = response.results.compactMap(\.okStmt)
            #expect(results.count == 7)
            #expect(results.map(\.affectedRowCount) == [0, 2, 1, 3, 3, 0, 1])
            #expect(results[1].lastInsertRowID == 2)
            #expect(results[2].lastInsertRowID == 3)
            #expect(results[6].cols.map(\.name) == ["x"])
            #expect(results[6].rows == [[.integer(42)]])
        }
    }

    @Test("want_rows false keeps columns and drops rows (checklist 11)")
    func wantRowsFalse() async throws {
        try await ServerHarness.withServer { harness in
            let response = try await harness.pipeline([
                .execute(Stmt(sql: "SELECT 1 AS a", wantRows: false)), .close,
            ])
            let result = try #require(response.results.first?.okStmt)
            #expect(result.cols.map(\.name) == ["a"])
            #expect(result.rows.isEmpty)
        }
    }

    @Test("positional, named and numbered arguments (checklist 12)")
    func arguments() async throws {
        try await ServerHarness.withServer { harness in
            let response = try await harness.pipeline([
                .execute(Stmt(sql: "SELECT ?, ?, ?", args: [.text("one"), .integer(3), .null])),
                .execute(Stmt(sql: "SELECT :a, @b, $c", namedArgs: [
                    NamedArg(name: ":a", value: .integer(1)), NamedArg(name: "b", value: .integer(2)),
                    NamedArg(name: "$c", value: .integer(3)),
                ])),
                .execute(Stmt(sql: "SELECT ?3, ?1", args: [.integer(1), .integer(2), .integer(3)])),
                .close,
            ])
            let rows = response.results.compactMap(\.okStmt).map(\.rows)
            #expect(rows == [
                [[.text("one"), .integer(3), .null]], [[.integer(1), .integer(2), .integer(3)]],
                [[.integer(3), .integer(1)]],
            ])
        }
    }

    @Test("argument errors are pipeline entry errors with codes (checklist 13)")
    func argumentErrors() async throws {
        try await ServerHarness.withServer { harness in
            let response = try await harness.pipeline([
                .execute(Stmt(sql: "SELECT ?", args: [.integer(1), .integer(2)])),
                .execute(Stmt(sql: "SELECT ?, ?", args: [.integer(1)])),
                .execute(Stmt(sql: "SELECT ?, :a", args: [.integer(1)], namedArgs: [NamedArg(name: "a", value: .null)])),
                .close,
            ])
            #expect(response.results.prefix(3).map { $0.failure?.code } == [
                "ARGS_INVALID", "ARGS_INVALID", "ARGS_BOTH_POSITIONAL_AND_NAMED",
            ])
        }
    }

    @Test("empty, comment-only and multi-statement SQL (checklist 14)")
    func statementCounts() async throws {
        try await ServerHarness.withServer { harness in
            let response = try await harness.pipeline([
                .execute(Stmt(sql: "")), .execute(Stmt(sql: "-- c")), .execute(Stmt(sql: "SELECT 1; SELECT 2")),
                .execute(Stmt(sql: "SELECT 1;")), .close,
            ])
            #expect(response.results.prefix(3).map { $0.failure?.code } == [
                "SQL_NO_STATEMENT", "SQL_NO_STATEMENT", "SQL_MANY_STATEMENTS",
            ])
            #expect(response.results[3].okStmt?.rows == [[.integer(1)]])
        }
    }

    @Test("SQL and constraint errors are 200 entries with codes (checklists 15, 16)")
    func sqlErrors() async throws {
        try await ServerHarness.withServer { harness in
            let response = try await harness.pipeline([
                .execute(Stmt(sql: "SELECT foobar")),
                .execute(Stmt(sql: "CREATE TABLE u(a UNIQUE)")),
                .execute(Stmt(sql: "INSERT INTO u VALUES (1)")),
                .execute(Stmt(sql: "INSERT INTO u VALUES (1)")),
                .close,
            ])
            let syntax = try #require(response.results[0].failure)
            #expect(["SQLITE_ERROR", "SQL_INPUT_ERROR", "SQLITE_UNKNOWN"].contains(syntax.code ?? ""))
            let unique = try #require(response.results[3].failure)
            #expect(unique.code == "SQLITE_CONSTRAINT")
            #expect(unique.message.contains("UNIQUE constraint failed"))
        }
    }

    @Test("BEGIN TRANSACTION READONLY is accepted (checklist 43)")
    func beginReadonly() async throws {
        try await ServerHarness.withServer { harness in
            let response = try await harness.pipeline([
                .execute(Stmt(sql: "BEGIN TRANSACTION READONLY")), .execute(Stmt(sql: "SELECT 1")),
                .execute(Stmt(sql: "COMMIT")), .close,
            ])
            #expect(response.results.allSatisfy { $0.failure == nil }, "\(response.results)")
        }
    }
}
