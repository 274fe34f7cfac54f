import Foundation
import LibSQLClient
import LibSQLServer
@testable import RecordAdapter
import Synchronization
import Testing

/// Bad input and failures: each leaves the database exactly as it was.
@Suite("Schema diff and apply: bad input and failures")
struct SchemaFailureTests {
    static let before = """
        CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT, n INTEGER);
        INSERT INTO t(a, n) VALUES ('x', 1), (NULL, 2), (NULL, 20), ('y', 2);
        """

    private func expectSchemaError(
        _ kind: SchemaError.Kind, _ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation
    ) async -> SchemaError? {
        do {
            try await body()
            Issue.record("expected a SchemaError \(kind)", sourceLocation: sourceLocation)
        } catch let error as SchemaError {
            #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
            return error
        } catch {
            Issue.record("expected a SchemaError \(kind), got \(error)", sourceLocation: sourceLocation)
        }
        return nil
    }

    @Test("a syntax error names the statement, line and column, and changes nothing", arguments: SchemaTarget.allCases)
    func syntaxError(on target: SchemaTarget) async throws {
        try await withSchemaDatabase(target) { database in
            try await database.executeMultiple(Self.before)
            let formsBefore = try await currentForms(database)
            let desired = """
                CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT, n INTEGER);
                CREATE TABLE u(id INTEGER PRIMARY KEY,
                  b TEXT DEFAULT);
                """
            let migrator = SchemaMigrator(database: database)
            let error = await expectSchemaError(.invalidDesiredSchema) { try await migrator.apply(desired) }
            #expect(error?.statementNumber == 2)
            #expect(error?.line == 3)
            #expect(error?.column == 17, "the column of the \")\" after DEFAULT: \(error?.message ?? "")")
            #expect(error?.message.contains("syntax error") == true)
            #expect(try await currentForms(database) == formsBefore)
        }
    }

    @Test("a non-CREATE statement, a view over a missing table and a foreign key to a missing table are refused")
    func invalidStatements() async throws {
        try await withSchemaDatabase(.local) { database in
            let migrator = SchemaMigrator(database: database)
            for desired in [
                "CREATE TABLE t(a); INSERT INTO t VALUES (1);",
                "CREATE VIEW v AS SELECT * FROM missing;",
                "CREATE TABLE c(p INTEGER REFERENCES missing(id));",
                "CREATE TABLE t(a); CREATE INDEX i ON t(nope);",
            ] {
                _ = await expectSchemaError(.invalidDesiredSchema) { _ = try await migrator.plan(for: desired) }
            }
            let count = try await dump(database, "SELECT count(*) FROM sqlite_master")
            #expect(count == [["0"]])
        }
    }

    @Test("NOT NULL, UNIQUE and CHECK on existing rows: the dry run counts the offending rows; apply changes nothing",
          arguments: SchemaTarget.allCases)
    func dataViolations(on target: SchemaTarget) async throws {
        try await withSchemaDatabase(target) { database in
            try await database.executeMultiple(Self.before)
            let formsBefore = try await currentForms(database)
            let migrator = SchemaMigrator(database: database)
            let cases: [(String, Int)] = [
                ("CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT NOT NULL, n INTEGER);", 2),
                ("CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT, n INTEGER CHECK (n < 10));", 1),
                ("CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT, n INTEGER UNIQUE);", 1),
                ("CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT, n INTEGER, added TEXT NOT NULL);", 4),
                ("CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT, n INTEGER); CREATE UNIQUE INDEX t_n ON t(n);", 2),
            ]
            for (desired, count) in cases {
                let plan = try await migrator.plan(for: desired)
                #expect(plan.problems.map(\.rowCount) == [count], "\(desired): \(plan.problems)")
                let error = await expectSchemaError(.dataViolation) { try await migrator.apply(desired) }
                #expect(error?.problems == plan.problems)
                #expect(try await currentForms(database) == formsBefore)
                #expect(try await dump(database, "SELECT count(*) FROM t") == [["4"]])
            }
        }
    }

    @Test("a new foreign key that existing rows break: the dry run counts them; orphans reaching COMMIT roll everything back",
          arguments: SchemaTarget.allCases)
    func foreignKeyCheck(on target: SchemaTarget) async throws {
        try await withSchemaDatabase(target) { database in
            try await database.executeMultiple("""
                CREATE TABLE p(id INTEGER PRIMARY KEY); CREATE TABLE c(id INTEGER PRIMARY KEY, pid INTEGER);
                INSERT INTO p VALUES (1); INSERT INTO c(pid) VALUES (1), (7);
                """)
            let formsBefore = try await currentForms(database)
            let desired = """
                CREATE TABLE p(id INTEGER PRIMARY KEY, name TEXT);
                CREATE TABLE c(id INTEGER PRIMARY KEY, pid INTEGER REFERENCES p(id));
                """
            let plan = try await SchemaMigrator(database: database).plan(for: desired)
            #expect(plan.problems.map(\.rowCount) == [1], "the dry run counts the orphan: \(plan.problems)")
            let refused = await expectSchemaError(.dataViolation) { try await SchemaMigrator(database: database).apply(desired) }
            #expect(refused?.problems == plan.problems)
            #expect(try await currentForms(database) == formsBefore)

            // The check before COMMIT also refuses orphans that were already there (written with foreign keys off).
            try await database.executeMultiple("""
                PRAGMA foreign_keys=OFF;
                DROP TABLE c;
                CREATE TABLE c(id INTEGER PRIMARY KEY, pid INTEGER REFERENCES p(id));
                INSERT INTO c(pid) VALUES (1), (7);
                PRAGMA foreign_keys=ON;
                """)
            let formsWithFK = try await currentForms(database)
            let guarded = "CREATE TABLE p(id INTEGER PRIMARY KEY, name TEXT); CREATE TABLE c(id INTEGER PRIMARY KEY, pid INTEGER REFERENCES p(id) ON DELETE CASCADE);"
            let error = await expectSchemaError(.applyFailed) { try await SchemaMigrator(database: database).apply(guarded) }
            #expect(error?.message.contains("foreign_key_check") == true, "\(String(describing: error))")
            #expect(try await currentForms(database) == formsWithFK)
            #expect(try await dump(database, "SELECT sql FROM sqlite_master WHERE name = 'p'") == [["CREATE TABLE p(id INTEGER PRIMARY KEY)"]],
                    "the first step (ADD COLUMN on p) was rolled back too")
            #expect(try await dump(database, "SELECT count(*) FROM c") == [["2"]])
        }
    }

    @Test("a step the database refuses (duplicates under a new unique expression index) rolls the whole plan back",
          arguments: SchemaTarget.allCases)
    func stepFails(on target: SchemaTarget) async throws {
        try await withSchemaDatabase(target) { database in
            try await database.executeMultiple("CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT); INSERT INTO t(a) VALUES ('X'), ('x');")
            let formsBefore = try await currentForms(database)
            let desired = """
                CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT, b TEXT);
                CREATE TABLE u(id INTEGER PRIMARY KEY);
                CREATE UNIQUE INDEX t_lower ON t(lower(a));
                """
            let migrator = SchemaMigrator(database: database)
            let plan = try await migrator.plan(for: desired)
            #expect(plan.warnings.contains { $0.contains("t_lower") && $0.contains("cannot be pre-checked") }, "\(plan.warnings)")
            let error = await expectSchemaError(.applyFailed) { try await migrator.apply(desired) }
            #expect(error?.message.contains("step 3 (create index t_lower)") == true, "\(String(describing: error))")
            #expect(error?.message.contains("UNIQUE") == true)
            #expect(try await currentForms(database) == formsBefore, "the ADD COLUMN and CREATE TABLE before it are rolled back")
        }
    }

    @Test("destructive changes are skipped without --enable-drop and nothing is dropped", arguments: SchemaTarget.allCases)
    func dropsSkipped(on target: SchemaTarget) async throws {
        try await withSchemaDatabase(target) { database in
            try await database.executeMultiple("""
                CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT, b TEXT); CREATE TABLE gone(id INTEGER PRIMARY KEY);
                CREATE INDEX t_a ON t(a); CREATE VIEW v AS SELECT 1; INSERT INTO t(a, b) VALUES ('x', 'y');
                """)
            let desired = "CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT); CREATE TABLE n(id INTEGER PRIMARY KEY);"
            let migrator = SchemaMigrator(database: database)
            let plan = try await migrator.apply(desired)
            #expect(plan.steps.map(\.sql) == ["CREATE TABLE n(id INTEGER PRIMARY KEY)"])
            #expect(Set(plan.skipped.map(\.sql)) == [
                "DROP TABLE \"gone\"", "DROP INDEX \"t_a\"", "DROP VIEW \"v\"", "ALTER TABLE \"t\" DROP COLUMN \"b\"",
            ])
            #expect(plan.script.contains("-- Skipped: DROP TABLE \"gone\""))
            #expect(try await dump(database, "SELECT a, b FROM t") == [["x", "y"]])
            #expect(try await dump(database, "SELECT count(*) FROM sqlite_master WHERE name IN ('gone', 't_a', 'v')") == [["3"]])
            let again = try await migrator.plan(for: desired)
            #expect(again.isEmpty && again.skipped.count == 4)
        }
    }

    @Test("a rename hint that fits nothing is an error; one already applied is ignored")
    func renameHints() async throws {
        try await withSchemaDatabase(.local) { database in
            try await database.executeMultiple("CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT);")
            let migrator = SchemaMigrator(database: database)
            _ = await expectSchemaError(.invalidRename) {
                _ = try await migrator.plan(for: "-- @rename column t.zzz TO b\nCREATE TABLE t(id INTEGER PRIMARY KEY, b TEXT);")
            }
            _ = await expectSchemaError(.invalidRename) {
                _ = try await migrator.plan(for: "-- @rename colum t.a TO b\nCREATE TABLE t(id INTEGER PRIMARY KEY, b TEXT);")
            }
            let desired = "-- @rename column t.a TO b\nCREATE TABLE t(id INTEGER PRIMARY KEY, b TEXT);"
            try await migrator.apply(desired)
            #expect(try await migrator.plan(for: desired).isEmpty)
            let viaOption = SchemaMigrator(database: database, options: SchemaOptions(renames: [.column(table: "t", from: "b", to: "c")]))
            let plan = try await viaOption.plan(for: "CREATE TABLE t(id INTEGER PRIMARY KEY, c TEXT);")
            #expect(plan.steps.map(\.sql) == ["ALTER TABLE \"t\" RENAME COLUMN \"b\" TO \"c\""])
        }
    }

    @Test("the server stops before the batch arrives: the apply fails and the schema is unchanged after a restart")
    func serverStopped() async throws {
        try await withSchemaDirectory { directory in
            let path = directory.appendingPathComponent("server.db").path
            let desired = "CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT NOT NULL, n INTEGER); CREATE INDEX t_n ON t(n);"
            let stopped = ServerConfiguration(databasePath: path, port: 0)
            let url = try await HranaServer.withRunning(stopped) { server in
                let database = try Database(url: server.url.absoluteString)
                try await database.executeMultiple("CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT, n INTEGER); INSERT INTO t(a) VALUES ('x');")
                await database.close()
                return server.url.absoluteString
            }
            let transport = AsyncHTTPClientTransport(connectTimeout: .seconds(2))
            let database = try Database(url: url, transport: transport)
            do {
                try await SchemaMigrator(database: database).apply(desired)
                Issue.record("apply succeeded without a server")
            } catch {
                #expect(error is LibSQLError || error is SchemaError, "\(error)")
            }
            await database.close()
            try await transport.shutdown()
            try await HranaServer.withRunning(ServerConfiguration(databasePath: path, port: 0)) { server in
                let database = try Database(url: server.url.absoluteString)
                #expect(try await dump(database, "SELECT sql FROM sqlite_master") == [["CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT, n INTEGER)"]])
                #expect(try await SchemaMigrator(database: database).plan(for: desired).steps.count > 0)
                await database.close()
            }
        }
    }

    @Test("the connection is lost with the batch in flight: the database has all of the plan or none of it",
          arguments: [LosingTransport.Loss.beforeSending, .afterSending])
    func connectionLost(_ loss: LosingTransport.Loss) async throws {
        try await withSchemaDirectory { directory in
            let configuration = ServerConfiguration(databasePath: directory.appendingPathComponent("server.db").path, port: 0)
            try await HranaServer.withRunning(configuration) { server in
                let setup = try Database(url: server.url.absoluteString)
                try await setup.executeMultiple("""
                    CREATE TABLE t(id INTEGER PRIMARY KEY AUTOINCREMENT, a TEXT, n INTEGER);
                    CREATE VIEW v AS SELECT a FROM t; INSERT INTO t(a, n) VALUES ('x', 1), ('y', 2);
                    """)
                let formsBefore = try await currentForms(setup)
                let desired = """
                    CREATE TABLE t(id INTEGER PRIMARY KEY AUTOINCREMENT, a TEXT NOT NULL, n INTEGER, extra TEXT);
                    CREATE VIEW v AS SELECT a, n FROM t; CREATE INDEX t_n ON t(n);
                    """
                let transport = LosingTransport(loss: loss)
                let database = try Database(configuration: Database.Configuration(
                    url: server.url.absoluteString, transport: transport))
                do {
                    try await SchemaMigrator(database: database).apply(desired)
                    Issue.record("apply reported success over a lost connection")
                } catch let error as SchemaError {
                    #expect(error.kind == .applyFailed, "\(error)")
                    #expect(error.message.contains("all of it or none of it"))
                }
                await database.close()
                try await transport.shutdown()
                #expect(transport.schemaBatches.withLock { $0 } == 1, "the whole plan travels in one request")
                let after = try await currentForms(setup)
                switch loss {
                case .beforeSending: #expect(after == formsBefore)
                case .afterSending: #expect(after == (try desiredForms(desired)))
                }
                #expect(try await dump(setup, "SELECT a, n FROM t ORDER BY id") == [["x", "1"], ["y", "2"]])
                await setup.close()
            }
        }
    }
}

/// A transport that loses the schema batch: before it reaches the server, or after the server ran it but before
/// the response arrives. Every other request goes through a real HTTP client.
final class LosingTransport: HTTPTransport {
    enum Loss: String, Sendable, CustomTestStringConvertible {
        case beforeSending, afterSending
        var testDescription: String { rawValue }
    }

    let loss: Loss
    let base = AsyncHTTPClientTransport()
    let schemaBatches = Mutex(0)

    init(loss: Loss) { self.loss = loss }

    func send(_ request: HTTPRequest, body: Data?) async throws -> HTTPResponse {
        let isSchemaBatch = body.map { String(decoding: $0, as: UTF8.self).contains("_schema_fk_guard") } ?? false
        guard isSchemaBatch else { return try await base.send(request, body: body) }
        schemaBatches.withLock { $0 += 1 }
        if loss == .afterSending { _ = try await base.send(request, body: body) }
        throw LibSQLError(code: .connectionError, message: "connection reset by peer (simulated)")
    }

    func shutdown() async throws { try await base.shutdown() }
}
