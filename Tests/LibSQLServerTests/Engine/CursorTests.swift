import Hrana
import Testing
@testable import LibSQLServer

extension EngineTests {
    @Suite struct CursorTests {
        private func entries(_ session: HranaStream, _ steps: [BatchStep]) throws -> [CursorEntry] {
            var entries: [CursorEntry] = []
            try session.runCursor(Batch(steps: steps), version: .v3) { entries.append($0) }
            return entries
        }

        @Test func stepsRowsSkipsAndErrors() throws {
            let harness = try EngineHarness()
            let session = try harness.openStream()
            try session.query("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)")
            try session.query("INSERT INTO t(v) VALUES ('a'), ('b')")
            let result = try entries(session, [
                BatchStep(stmt: stmt("SELECT id, v FROM t ORDER BY id")),
                BatchStep(stmt: stmt("SELECT nope FROM t")),
                BatchStep(condition: .ok(step: 1), stmt: stmt("SELECT 'skipped'")),
                BatchStep(condition: .error(step: 1), stmt: stmt("SELECT 'ran'")),
                BatchStep(stmt: stmt("INSERT INTO t(v) VALUES (?)", [.text("c")])),
            ])
            let expected: [CursorEntry] = [
                .stepBegin(step: 0, cols: [Column(name: "id", decltype: "INTEGER"), Column(name: "v", decltype: "TEXT")]),
                .row([.integer(1), .text("a")]), .row([.integer(2), .text("b")]),
                .stepEnd(affectedRowCount: 0, lastInsertRowID: nil),
                .stepError(step: 1, error: ProtocolError(
                    message: "SQL input error: no such column: nope (at offset 7)", code: "SQL_INPUT_ERROR")),
                .stepBegin(step: 3, cols: [Column(name: "'ran'", decltype: nil)]),
                .row([.text("ran")]),
                .stepEnd(affectedRowCount: 0, lastInsertRowID: nil),
                .stepBegin(step: 4, cols: []),
                .stepEnd(affectedRowCount: 1, lastInsertRowID: 3),
            ]
            #expect(result == expected)
            #expect(try entries(session, []).isEmpty)
        }

        @Test func errorAfterRowsComesAfterStepBegin() throws {
            let harness = try EngineHarness()
            let session = try harness.openStream()
            try session.query("CREATE TABLE t(a TEXT)")
            try session.query("INSERT INTO t VALUES ('ok'), (CAST(x'ff' AS TEXT))")
            let result = try entries(session, [BatchStep(stmt: stmt("SELECT a FROM t ORDER BY rowid")), BatchStep(stmt: stmt("SELECT 1"))])
            #expect(result.count == 6)
            guard result.count == 6 else { return }
            #expect(result[0] == .stepBegin(step: 0, cols: [Column(name: "a", decltype: "TEXT")]))
            #expect(result[1] == .row([.text("ok")]))
            guard case .stepError(step: 0, let error) = result[2] else { Issue.record("\(result[2])"); return }
            #expect(error.code == "UNICODE_ERROR")
            #expect(result[3] == .stepBegin(step: 1, cols: [Column(name: "1", decltype: nil)]))
        }

        @Test func rowsAreEmittedAsProducedAndAbortStops() throws {
            let harness = try EngineHarness()
            let session = try harness.openStream()
            var seen = 0
            let failure = #expect(throws: StreamFailure.self) {
                try session.runCursor(Batch(steps: [
                    BatchStep(stmt: stmt("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c")),
                ]), version: .v3) { entry in
                    if case .row = entry { seen += 1 }
                    if seen == 3 { throw EngineTestError("client went away") }
                }
            }
            #expect(failure?.message.contains("client went away") == true)
            #expect(seen == 3)
            #expect(try session.scalar("SELECT 'still usable'") == .text("still usable"))
        }

        @Test func cursorValidatesBeforeRunning() throws {
            let harness = try EngineHarness()
            let session = try harness.openStream()
            try session.query("CREATE TABLE t(a)")
            var emitted = 0
            #expect(throws: StreamFailure.self) {
                try session.runCursor(Batch(steps: [
                    BatchStep(stmt: stmt("INSERT INTO t VALUES (1)")), BatchStep(condition: .ok(step: 1), stmt: stmt("SELECT 1")),
                ]), version: .v3) { _ in emitted += 1 }
            }
            #expect(emitted == 0)
            #expect(try session.scalar("SELECT count(*) FROM t") == .integer(0))
        }

        @Test func cursorHasNoSizeLimit() throws {
            let harness = try EngineHarness { $0.maxResponseSize = 1000 }
            let session = try harness.openStream()
            var rows = 0
            try session.runCursor(Batch(steps: [BatchStep(stmt: stmt("SELECT zeroblob(500) FROM (VALUES (1), (2), (3), (4))"))]), version: .v3) { entry in
                if case .row = entry { rows += 1 }
            }
            #expect(rows == 4)
        }
    }
}
