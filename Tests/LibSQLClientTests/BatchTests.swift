import Foundation
import LibSQLClient
import Testing

@Suite("batch, executeMultiple, migrate")
struct BatchTests {
    @Test("a batch commits atomically and returns one result per statement", arguments: TestBackend.allCases)
    func batchCommits(backend: TestBackend) async throws {
        try await withClient(backend, scenario: "batch-commit") { db in
            let results = try await db.batch([
                "CREATE TABLE accounts (owner TEXT PRIMARY KEY, balance INT NOT NULL)",
                Statement("INSERT INTO accounts VALUES (?, ?)", ["alice", 100]),
                "INSERT INTO accounts VALUES (\("bob"), \(50))",
                "SELECT sum(balance) AS total FROM accounts",
            ], mode: .write)
            #expect(results.count == 4)
            #expect(results[1].rowsAffected == 1)
            #expect(try results[3].rows[0].get("total", as: Int.self) == 150)
            let read = try await db.batch(["SELECT count(*) FROM accounts"], mode: .read)
            #expect(read[0].rows[0][0] == .integer(2))
        }
    }

    @Test("a failing statement rolls the whole batch back and reports its index", arguments: TestBackend.allCases)
    func batchRollsBack(backend: TestBackend) async throws {
        try await withClient(backend, scenario: "batch-rollback") { db in
            try await db.execute("CREATE TABLE accounts (owner TEXT PRIMARY KEY, balance INT NOT NULL)")
            let error = await expectLibSQLError {
                try await db.batch([
                    "INSERT INTO accounts VALUES ('carol', 10)",
                    "INSERT INTO accounts VALUES ('dave', 20)",
                    "INSERT INTO accounts VALUES ('carol', 30)",
                    "INSERT INTO accounts VALUES ('erin', 40)",
                ], mode: .write)
            }
            #expect(error?.statementIndex == 2)
            #expect(error?.code == .sqliteConstraint)
            #expect(error?.sql == "INSERT INTO accounts VALUES ('carol', 30)")
            let count = try await db.execute("SELECT count(*) FROM accounts")
            #expect(count.rows[0][0] == .integer(0))
        }
    }

    @Test("executeMultiple runs a script; migrate applies statements", arguments: TestBackend.allCases)
    func scriptAndMigrate(backend: TestBackend) async throws {
        try await withClient(backend, scenario: "batch-script-migrate") { db in
            try await db.executeMultiple("""
                CREATE TABLE a (x INT);
                INSERT INTO a VALUES (1);
                INSERT INTO a VALUES (2);
                """)
            #expect(try await db.execute("SELECT sum(x) FROM a").rows[0][0] == .integer(3))
            let failing = await expectLibSQLError { try await db.executeMultiple("INSERT INTO a VALUES (3); INSERT INTO nope VALUES (1);") }
            #expect(failing?.isSQLError == true)
            try await db.migrate([
                "CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INT REFERENCES missing(id))",
                "INSERT INTO b (a_id) VALUES (7)",
            ])
            #expect(try await db.execute("SELECT a_id FROM b").rows[0][0] == .integer(7))
        }
    }
}
