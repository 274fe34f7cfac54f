import Foundation
import LibSQLClient
import Testing

@Suite struct LocalSafetyTests {
    func withFile(_ body: (Database) async throws -> Void) async throws {
        try await withTemporaryDirectory { directory in
            let db = try Database(url: "file:" + directory.appendingPathComponent("safety.db").path)
            try await db.execute("CREATE TABLE t (x INT)")
            try await body(db)
            await db.close()
        }
    }

    @Test("read batches and read transactions refuse writes locally, as the server does; writing works afterwards")
    func readModeIsReadOnly() async throws {
        try await withFile { db in
            let batchError = await expectLibSQLError {
                try await db.batch(["SELECT 1", "INSERT INTO t VALUES (1)"], mode: .read)
            }
            #expect(batchError?.code == .sqliteReadOnly)
            #expect(batchError?.statementIndex == 1)
            let transactionError = await expectLibSQLError {
                try await db.transaction(.read) { tx in
                    #expect(try await tx.execute("SELECT count(*) FROM t").rows[0][0] == .integer(0))
                    try await tx.execute("INSERT INTO t VALUES (2)")
                }
            }
            #expect(transactionError?.code == .sqliteReadOnly)
            #expect(try await db.execute("SELECT count(*) FROM t").rows[0][0] == .integer(0))
            try await db.execute("INSERT INTO t VALUES (3)")
            try await db.batch(["INSERT INTO t VALUES (4)"], mode: .deferred)
            let counted = try await db.transaction(.read) { tx in
                try await tx.execute("SELECT count(*) FROM t").rows[0][0]
            }
            #expect(counted == .integer(2))
            try await db.execute("INSERT INTO t VALUES (5)")
            #expect(try await db.execute("SELECT count(*) FROM t").rows[0][0] == .integer(3))
        }
    }

    @Test("migrate leaves foreign_keys as it found it (off on a fresh connection, like a remote one)")
    func migrateRestoresForeignKeys() async throws {
        try await withFile { db in
            try await db.migrate(["CREATE TABLE parent (id INTEGER PRIMARY KEY)"])
            #expect(try await db.execute("PRAGMA foreign_keys").rows[0][0] == .integer(0))
            try await db.execute("PRAGMA foreign_keys=ON")
            try await db.migrate(["CREATE TABLE child (parent INTEGER REFERENCES parent(id))"])
            #expect(try await db.execute("PRAGMA foreign_keys").rows[0][0] == .integer(1))
            let failed = await expectLibSQLError { try await db.migrate(["CREATE TABLE parent (id)"]) }
            #expect(failed?.isSQLError == true)
            #expect(try await db.execute("PRAGMA foreign_keys").rows[0][0] == .integer(1))
        }
    }

    @Test("positional arguments given to a statement that has named ones are an error, not dropped", arguments: [TestBackend.remote, .webSocket, .webSocketProtobuf, .local])
    func positionalAfterNamed(backend: TestBackend) async throws {
        try await withClient(backend, scenario: "args-positional-after-named") { db in
            let named = Statement("SELECT :a AS a", named: ["a": 1])
            let error = await expectLibSQLError { try await db.execute(named, [2]) }
            #expect(error?.code == .argsBothPositionalAndNamed)
            let queryError = await expectLibSQLError { for try await _ in db.query(named, [2]) {} }
            #expect(queryError?.code == .argsBothPositionalAndNamed)
            let txError = await expectLibSQLError {
                try await db.transaction { tx in _ = try await tx.execute(named, [2]) }
            }
            #expect(txError?.code == .argsBothPositionalAndNamed)
            let value = try await db.execute(named).rows[0][0]
            #expect(value == .integer(1))
        }
    }
}
