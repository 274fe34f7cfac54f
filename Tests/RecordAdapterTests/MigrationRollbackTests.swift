import Foundation
import LibSQLClient
import RecordAdapter
import Testing

/// Reversible migrations: `down`, `migrate(to:)`, `rollback(steps:)`, and the irreversible cases.
@Suite struct MigrationRollbackTests {
    struct Boom: Error {}

    static let migrations = [
        Migration(1, "create authors", up: { schema in
            try await schema.createTable("authors") { t in
                t.string("name", null: false)
                t.timestamps()
            }
        }, down: { schema in try await schema.dropTable("authors") }),
        Migration(2, "create books", up: { schema in
            try await schema.createTable("books") { t in
                t.references("author")
                t.string("title", null: false)
            }
            try await schema.addIndex("books", ["title"])
        }, down: { schema in
            try await schema.removeIndex("index_books_on_title")
            try await schema.dropTable("books")
        }),
        Migration(3, "authors bio", up: { schema in
            try await schema.addColumn("authors", "bio", .text)
        }, down: { schema in try await schema.removeColumn("authors", "bio") }),
    ]

    static let irreversible = Migration(4, "backfill") { schema in
        try await schema.execute("UPDATE authors SET bio = 'n/a' WHERE bio IS NULL")
    }

    @Test(arguments: Backend.allCases)
    func migrateToAVersionGoesUpAndDown(_ backend: Backend) async throws {
        try await withConnection(backend, schema: "SELECT 1") { db, _ in
            let migrator = Migrator(Self.migrations)
            let inspector = SchemaInspector(db)
            #expect(try await migrator.migrate(to: 2, on: db) == [1, 2])
            #expect(try await inspector.tables() == ["authors", "books", "schema_migrations"])
            #expect(try await migrator.migrate(on: db) == [3])
            #expect(try await inspector.columns(of: "authors").map(\.name).contains("bio"))
            try await db.execute("INSERT INTO authors (name, created_at, updated_at, bio) VALUES ('Ann', 't', 't', 'b')")

            // Down, newest first, each in its own transaction; the row of each version is deleted.
            #expect(try await migrator.migrate(to: 1, on: db) == [3, 2])
            #expect(try await migrator.appliedVersions(on: db) == [1])
            #expect(try await inspector.tables() == ["authors", "schema_migrations"])
            #expect(try await inspector.columns(of: "authors").map(\.name) == ["id", "name", "created_at", "updated_at"])
            #expect(try await db.execute("SELECT name FROM authors").rows.map { $0[0] } == [.text("Ann")])

            #expect(try await migrator.migrate(to: 3, on: db) == [2, 3])
            #expect(try await migrator.rollback(on: db) == [3])
            #expect(try await migrator.rollback(steps: 5, on: db) == [2, 1])
            #expect(try await migrator.appliedVersions(on: db) == [])
            #expect(try await inspector.tables() == ["schema_migrations"])
            #expect(try await migrator.migrate(to: 0, on: db) == [])
            #expect(try await migrator.migrate(on: db) == [1, 2, 3])
        }
    }

    @Test(arguments: Backend.allCases)
    func irreversibleAndUnknownMigrationsRefuseBeforeAnythingRuns(_ backend: Backend) async throws {
        try await withConnection(backend, schema: "SELECT 1") { db, _ in
            let all = Migrator(Self.migrations + [Self.irreversible])
            #expect(try await all.migrate(on: db) == [1, 2, 3, 4])
            let error = await expectRecordError(.irreversibleMigration) { try await all.migrate(to: 1, on: db) }
            #expect(error?.message.contains("4") == true)
            // Nothing was rolled back, not even the reversible 3 and 2 above the irreversible 4.
            let applied = try await all.appliedVersions(on: db)
            #expect(applied == [1, 2, 3, 4])
            let columns = try await SchemaInspector(db).columns(of: "authors").map(\.name)
            #expect(columns.contains("bio"))

            // A version applied by a migration the migrator does not know cannot be rolled back either.
            await expectRecordError(.irreversibleMigration) { try await Migrator(Self.migrations).rollback(on: db) }
            let stillApplied = try await all.appliedVersions(on: db)
            #expect(stillApplied == [1, 2, 3, 4])
        }
    }

    @Test(arguments: Backend.allCases)
    func aFailingDownRollsBackAlone(_ backend: Backend) async throws {
        try await withConnection(backend, schema: "SELECT 1") { db, _ in
            let failing = Migration(3, "bio, badly reversed", up: { schema in
                try await schema.addColumn("authors", "bio", .text)
            }, down: { schema in
                try await schema.removeColumn("authors", "bio")
                throw Boom()
            })
            let migrator = Migrator(Array(Self.migrations.prefix(2)) + [failing])
            #expect(try await migrator.migrate(on: db) == [1, 2, 3])
            await #expect(throws: Boom.self) { try await migrator.migrate(to: 1, on: db) }
            let applied = try await migrator.appliedVersions(on: db)
            #expect(applied == [1, 2, 3])
            let columns = try await SchemaInspector(db).columns(of: "authors").map(\.name)
            #expect(columns.contains("bio"))
        }
    }

    static let changes = Migration(4, "reshape authors", change: { schema in
        try await schema.createTable("tags") { t in t.string("name", null: false) }
        try await schema.addColumn("authors", "twitter", .text)
        try await schema.addIndex("authors", ["twitter"], unique: true)
        try await schema.renameColumn("authors", "name", to: "full_name")
        try await schema.renameTable("books", to: "volumes")
    })

    @Test(arguments: Backend.allCases)
    func aChangeMigrationIsUndoneInReverse(_ backend: Backend) async throws {
        try await withConnection(backend, schema: "SELECT 1") { db, _ in
            let migrator = Migrator(Self.migrations + [Self.changes])
            let inspector = SchemaInspector(db)
            #expect(try await migrator.migrate(to: 3, on: db) == [1, 2, 3])
            let before = try await inspector.dumpSchema()
            #expect(try await migrator.migrate(on: db) == [4])
            #expect(try await inspector.tables() == ["authors", "schema_migrations", "tags", "volumes"])
            #expect(try await inspector.columns(of: "authors").map(\.name).contains("full_name"))

            #expect(try await migrator.rollback(on: db) == [4])
            #expect(try await inspector.dumpSchema() == before)
            #expect(try await migrator.migrate(on: db) == [4])
        }
    }

    @Test(arguments: Backend.allCases)
    func aChangeMigrationWithoutAnInverseRefusesBeforeAnythingRuns(_ backend: Backend) async throws {
        try await withConnection(backend, schema: "SELECT 1") { db, _ in
            let lossy = Migration(4, "drop books", change: { schema in
                try await schema.addColumn("authors", "twitter", .text)
                try await schema.dropTable("books")
            })
            let migrator = Migrator(Self.migrations + [lossy])
            #expect(try await migrator.migrate(on: db) == [1, 2, 3, 4])
            let error = await expectRecordError(.irreversibleMigration) { try await migrator.migrate(to: 2, on: db) }
            #expect(error?.message.contains("dropTable") == true)
            let applied = try await migrator.appliedVersions(on: db)
            #expect(applied == [1, 2, 3, 4], "3 was not rolled back either")
            let columns = try await SchemaInspector(db).columns(of: "authors").map(\.name)
            #expect(columns.contains("twitter") && columns.contains("bio"))
        }
    }
}
