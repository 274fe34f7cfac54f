import Foundation
import Hrana
import Testing
@testable import LibSQLServer

extension EngineTests {
    @Suite struct StatementExecutionTests {
        @Test func literalsGiveEveryValueTypeWithExpressionColumns() throws {
            let harness = try EngineHarness()
            let session = try harness.openStream()
            let result = try session.query("SELECT 1 AS one, 'x', 1.5, NULL, x'00ff'")
            #expect(result.cols == [
                Column(name: "one", decltype: nil), Column(name: "'x'", decltype: nil), Column(name: "1.5", decltype: nil),
                Column(name: "NULL", decltype: nil), Column(name: "x'00ff'", decltype: nil),
            ])
            #expect(result.rows == [[.integer(1), .text("x"), .float(1.5), .null, .blob(Data([0, 0xFF]))]])
            #expect(result.affectedRowCount == 0)
            #expect(result.lastInsertRowID == nil)
            #expect(result.rowsRead != nil && result.rowsWritten != nil && result.queryDurationMS != nil)
        }

        @Test func integerExtremesAndOverflow() throws {
            let harness = try EngineHarness()
            let session = try harness.openStream()
            #expect(try session.scalar("SELECT 9223372036854775807") == .integer(.max))
            #expect(try session.scalar("SELECT -9223372036854775808") == .integer(.min))
            #expect(try session.scalar("SELECT 9223372036854775807 + 1") == .float(9.223372036854776e18))
            #expect(try session.scalar("SELECT ?", [.integer(.min)]) == .integer(.min))
        }

        @Test func nonFiniteFloatsAreKeptExactly() throws {
            let harness = try EngineHarness()
            let session = try harness.openStream()
            #expect(try session.scalar("SELECT 1e999") == .float(.infinity))
            #expect(try session.scalar("SELECT -1e999") == .float(-.infinity))
        }

        @Test func declaredTypesAreVerbatim() throws {
            let harness = try EngineHarness()
            let session = try harness.openStream()
            try session.query("CREATE TABLE t(a TEXT, b int NOT NULL, c FURRY BUNNY, d varchar(10))")
            try session.query("INSERT INTO t VALUES ('a', 1, 2, 'v')")
            let result = try session.query("SELECT a, b, c, d, a + b FROM t")
            #expect(result.cols.map(\.decltype) == ["TEXT", "INT", "FURRY BUNNY", "varchar(10)", nil])
            #expect(result.cols.map(\.name) == ["a", "b", "c", "d", "a + b"])
        }

        @Test func affectedRowsAndLastInsertRowIDFollowSqld() throws {
            let harness = try EngineHarness()
            let session = try harness.openStream()
            let create = try session.query("CREATE TABLE t(id INTEGER PRIMARY KEY, v)")
            #expect(create.affectedRowCount == 0 && create.lastInsertRowID == nil && create.cols.isEmpty)
            let insert = try session.query("INSERT INTO t(v) VALUES (1), (2)")
            #expect(insert.affectedRowCount == 2 && insert.lastInsertRowID == 2)
            try session.query("INSERT INTO t(v) VALUES (3)")
            let update = try session.query("UPDATE t SET v = v + 1")
            #expect(update.affectedRowCount == 3 && update.lastInsertRowID == nil)
            // DDL after DML must not report the previous statement's changes.
            let index = try session.query("CREATE INDEX t_v ON t(v)")
            #expect(index.affectedRowCount == 0)
            let select = try session.query("SELECT * FROM t")
            #expect(select.affectedRowCount == 0 && select.lastInsertRowID == nil && select.rows.count == 3)
            let with = try session.query("WITH x(n) AS (VALUES (10), (11)) INSERT INTO t(v) SELECT n FROM x")
            #expect(with.affectedRowCount == 2 && with.lastInsertRowID == 5)
            let withSelect = try session.query("WITH x(n) AS (SELECT 1) SELECT n FROM x")
            #expect(withSelect.affectedRowCount == 0 && withSelect.lastInsertRowID == nil)
            let delete = try session.query("DELETE FROM t WHERE v > 3")
            #expect(delete.affectedRowCount == 3 && delete.lastInsertRowID == nil)
            let begin = try session.query("BEGIN")
            #expect(begin.affectedRowCount == 0)
            try session.query("COMMIT")
        }

        @Test func returningGivesRowsAndCounts() throws {
            let harness = try EngineHarness()
            let session = try harness.openStream()
            try session.query("CREATE TABLE t(id INTEGER PRIMARY KEY, v)")
            let result = try session.query("INSERT INTO t(v) VALUES ('a'), ('b') RETURNING id, 42 AS x")
            #expect(result.cols.map(\.name) == ["id", "x"])
            #expect(result.rows == [[.integer(1), .integer(42)], [.integer(2), .integer(42)]])
            #expect(result.affectedRowCount == 2)
            #expect(result.lastInsertRowID == 2)
        }

        @Test func wantRowsFalseKeepsColumnsAndEffects() throws {
            let harness = try EngineHarness()
            let session = try harness.openStream()
            try session.query("CREATE TABLE t(a INT)")
            let insert = try session.query("INSERT INTO t VALUES (1), (2) RETURNING a", wantRows: false)
            #expect(insert.rows.isEmpty && insert.cols.map(\.name) == ["a"] && insert.affectedRowCount == 2)
            let select = try session.query("SELECT a FROM t", wantRows: false)
            #expect(select.rows.isEmpty)
            #expect(select.cols == [Column(name: "a", decltype: "INT")])
            #expect(try session.query("SELECT a FROM t", wantRows: true).rows.count == 2)
        }

        @Test func eachSessionHasItsOwnConnectionAndTransaction() throws {
            let harness = try EngineHarness()
            let a = try harness.openStream()
            let b = try harness.openStream()
            try a.query("CREATE TABLE t(x)")
            try a.query("BEGIN")
            try a.query("INSERT INTO t VALUES (1)")
            #expect(try a.scalar("SELECT count(*) FROM t") == .integer(1))
            #expect(try b.scalar("SELECT count(*) FROM t") == .integer(0))
            #expect(!a.isAutocommit && b.isAutocommit)
            try a.query("COMMIT")
            #expect(try b.scalar("SELECT count(*) FROM t") == .integer(1))
            #expect(try b.scalar("PRAGMA foreign_keys") == .integer(0))
            #expect(try b.scalar("PRAGMA journal_mode") == .text("wal"))
            #expect(try b.scalar("PRAGMA synchronous") == .integer(1))
        }
    }
}
