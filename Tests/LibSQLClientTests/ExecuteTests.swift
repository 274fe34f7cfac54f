import Foundation
import LibSQLClient
import Testing

@Suite("execute")
struct ExecuteTests {
    struct User: Decodable, Equatable {
        var id: Int64
        var name: String
        var email: String?
        var score: Double
        var active: Bool
    }

    @Test("values round-trip through arguments", arguments: TestBackend.allCases)
    func valuesRoundTrip(backend: TestBackend) async throws {
        try await withClient(backend, scenario: "execute-values") { db in
            let blob = Data([0, 1, 0xFE, 0xFF])
            let rs = try await db.execute(
                "SELECT ? AS i, ? AS big, ? AS f, ? AS t, ? AS b, ? AS n, ? AS yes, ? AS bytes",
                [42, Int64.min, 1.5, "héllo", blob, SQLValue.null, true, [UInt8]([7, 8])])
            #expect(rs.columns == ["i", "big", "f", "t", "b", "n", "yes", "bytes"])
            let row = try #require(rs.rows.first)
            #expect(row[0] == .integer(42))
            #expect(try row.get("big", as: Int64.self) == Int64.min)
            #expect(try row.get("f", as: Double.self) == 1.5)
            let text: String = try row["t"]
            #expect(text == "héllo")
            #expect(try row.get("b", as: Data.self) == blob)
            #expect(row["n"] == .null)
            #expect(try row.get("n", as: String?.self) == nil)
            #expect(try row.get("yes", as: Bool.self) == true)
            #expect(try row.get("bytes", as: [UInt8].self) == [7, 8])
            #expect(row["no_such_column"] == nil)
            #expect(throws: LibSQLError.self) { _ = try row.get("t", as: Int.self) }
        }
    }

    @Test("DML reports rows affected and the last rowid; rows decode", arguments: TestBackend.allCases)
    func dmlAndDecode(backend: TestBackend) async throws {
        try await withClient(backend, scenario: "execute-dml") { db in
            try await db.execute(
                "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, email TEXT, score REAL, active INT)")
            let insert = try await db.execute(
                "INSERT INTO users (name, email, score, active) VALUES (?, ?, ?, ?), (?, ?, ?, ?)",
                ["ann", "ann@example.com", 1.5, true, "bob", SQLValue.null, 2, false])
            #expect(insert.rowsAffected == 2)
            #expect(insert.lastInsertRowID == 2)
            let name = "ann"
            let one = try await db.execute("SELECT id, name, email, score, active FROM users WHERE name = \(name)")
            #expect(one.columnTypes == ["INTEGER", "TEXT", "TEXT", "REAL", "INT"])
            let users = try await db.execute("SELECT * FROM users ORDER BY id").decode(User.self)
            #expect(users == [
                User(id: 1, name: "ann", email: "ann@example.com", score: 1.5, active: true),
                User(id: 2, name: "bob", email: nil, score: 2, active: false),
            ])
            let update = try await db.execute("UPDATE users SET score = score + 1")
            #expect(update.rowsAffected == 2)
            let named = try await db.execute("SELECT name FROM users WHERE id = :id", named: ["id": 2])
            #expect(try named.rows[0].get(0, as: String.self) == "bob")
            let delete = try await db.execute("DELETE FROM users WHERE id = \(1)")
            #expect(delete.rowsAffected == 1)
            let select = try await db.execute("SELECT count(*) AS n FROM users")
            #expect(select.rowsAffected == 0)
            #expect(try select.rows[0].get("n", as: Int.self) == 1)
        }
    }

    @Test("interpolated values are bound, never spliced")
    func interpolationBinds() {
        let hostile = "x'); DROP TABLE users; --"
        let statement: Statement = "SELECT * FROM users WHERE name = \(hostile) AND id > \(3) AND \(raw: "1 = 1")"
        #expect(statement.sql == "SELECT * FROM users WHERE name = ? AND id > ? AND 1 = 1")
        #expect(statement.arguments == .positional([.text(hostile), .integer(3)]))
    }

    @Test("SQL errors carry the code, constraint kind and SQL", arguments: TestBackend.allCases)
    func sqlErrors(backend: TestBackend) async throws {
        try await withClient(backend, scenario: "execute-errors") { db in
            try await db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, n INT CHECK (n > 0))")
            try await db.execute("INSERT INTO t (name, n) VALUES ('a', 1)")

            let unique = await expectLibSQLError { try await db.execute("INSERT INTO t (name, n) VALUES ('a', 2)") }
            #expect(unique?.code == .sqliteConstraint)
            #expect(unique?.constraint == .unique)
            #expect(unique?.sql == "INSERT INTO t (name, n) VALUES ('a', 2)")

            let notNull = await expectLibSQLError { try await db.execute("INSERT INTO t (name, n) VALUES (NULL, 2)") }
            #expect(notNull?.code == .sqliteConstraint)
            #expect(notNull?.constraint == .notNull)

            let check = await expectLibSQLError { try await db.execute("INSERT INTO t (name, n) VALUES ('c', -1)") }
            #expect(check?.constraint == .check)

            let syntax = await expectLibSQLError { try await db.execute("SELEC 1") }
            #expect(syntax?.isSQLError == true)
            let missing = await expectLibSQLError { try await db.execute("SELECT * FROM no_such_table") }
            #expect(missing?.isSQLError == true)
            #expect(missing?.message.contains("no_such_table") == true)

            let empty = await expectLibSQLError { try await db.execute("  ") }
            #expect(empty?.code == .sqlNoStatement)
            let two = await expectLibSQLError { try await db.execute("SELECT 1; SELECT 2") }
            #expect(two?.code == .sqlManyStatements)
            let args = await expectLibSQLError { try await db.execute("SELECT ?", [1, 2]) }
            #expect(args?.code == .argsInvalid)

            let after = try await db.execute("SELECT count(*) FROM t")
            #expect(after.rows[0][0] == .integer(1))
        }
    }

    @Test("foreign key violations are classified", arguments: TestBackend.allCases)
    func foreignKey(backend: TestBackend) async throws {
        try await withClient(backend, scenario: "execute-foreign-key") { db in
            try await db.batch([
                "CREATE TABLE parent (id INTEGER PRIMARY KEY)",
                "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INT REFERENCES parent(id))",
            ], mode: .write)
            let error = await expectLibSQLError {
                try await db.executeMultiple("PRAGMA foreign_keys = ON; INSERT INTO child (parent_id) VALUES (99);")
            }
            #expect(error?.code == .sqliteConstraint)
            #expect(error?.constraint == .foreignKey)
        }
    }
}
