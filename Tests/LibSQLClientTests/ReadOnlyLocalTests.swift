import Foundation
import LibSQLClient
import Logging
import SQLiteCore
import Testing

/// The package-level read-only open used by the embedded replica: reads like local mode, never writes, and
/// leaves the file's journal mode alone.
@Suite struct ReadOnlyLocalTests {
    let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    /// A rollback-journal file with three rows, written by plain SQLite (as the replica's applier does).
    func makeFile(in directory: URL) throws -> String {
        let path = directory.appendingPathComponent("replica.db").path
        let connection = try SQLiteConnection(path: path)
        try connection.execute(script: """
            PRAGMA journal_mode=DELETE;
            CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT);
            INSERT INTO t (name) VALUES ('a'), ('b'), ('c');
            """)
        connection.close()
        return path
    }

    func journalMode(_ path: String) throws -> String {
        let connection = try SQLiteConnection(path: path, mode: .readOnly, create: false)
        defer { connection.close() }
        let (statement, _) = try connection.prepare("PRAGMA journal_mode")
        let prepared = try #require(statement)
        #expect(try prepared.step())
        guard case .text(let mode) = try prepared.row()[0] else { return "" }
        return mode
    }

    @Test func readsLikeLocalModeAndLeavesTheJournalMode() async throws {
        try await withTemporaryDirectory { directory in
            let path = try makeFile(in: directory)
            let db = try Database(readOnlyLocalPath: path, busyTimeout: .seconds(1), logger: logger)
            let rs = try await db.execute("SELECT id, name FROM t ORDER BY id")
            #expect(rs.columns == ["id", "name"])
            #expect(rs.columnTypes == ["INTEGER", "TEXT"])
            #expect(rs.rows.map { $0[1] } == [.text("a"), .text("b"), .text("c")])
            #expect(rs.rowsAffected == 0 && rs.lastInsertRowID == nil)
            var streamed: [SQLValue] = []
            for try await row in db.query("SELECT name FROM t ORDER BY id") { streamed.append(row[0]) }
            #expect(streamed == [.text("a"), .text("b"), .text("c")])
            let batch = try await db.batch(["SELECT count(*) FROM t", "SELECT max(id) FROM t"], mode: .read)
            #expect(batch.map { $0.rows[0][0] } == [.integer(3), .integer(3)])
            await db.close()
            #expect(try journalMode(path) == "delete")
        }
    }

    @Test func refusesWrites() async throws {
        try await withTemporaryDirectory { directory in
            let path = try makeFile(in: directory)
            let db = try Database(readOnlyLocalPath: path, busyTimeout: .seconds(1), logger: logger)
            let error = await #expect(throws: LibSQLError.self) {
                try await db.execute("INSERT INTO t (name) VALUES ('d')")
            }
            #expect(error?.code == .sqliteReadOnly)
            await db.close()
            #expect(try journalMode(path) == "delete")
        }
    }

    @Test func aMissingFileIsNotCreated() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("missing.db").path
            let error = #expect(throws: LibSQLError.self) {
                try Database(readOnlyLocalPath: path, busyTimeout: .seconds(1), logger: logger)
            }
            #expect(error?.code == .sqliteCantOpen)
            #expect(!FileManager.default.fileExists(atPath: path))
        }
    }

    @Test func resultsBuiltFromCoreRowsMatchLocalOnes() async throws {
        try await withTemporaryDirectory { directory in
            let path = try makeFile(in: directory)
            let db = try Database(readOnlyLocalPath: path, busyTimeout: .seconds(1), logger: logger)
            let local = try await db.execute("SELECT id, name FROM t ORDER BY id")
            await db.close()
            let built = ResultSet(
                columns: ["id", "name"], columnTypes: ["INTEGER", "TEXT"],
                values: local.rows.map(\.values), rowsAffected: 0, lastInsertRowID: nil)
            #expect(built == local)
            #expect(try built.rows[2].get("NAME", as: String.self) == "c")
            #expect(Row(columns: ["id", "name"], values: [.integer(1), .text("a")]) == local.rows[0])
        }
    }
}
