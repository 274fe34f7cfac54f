import Foundation
import LibSQLClient
import RecordAdapter
import Testing

@Suite struct MigrationTests {
    static let migrations = [
        Migration(1, "create authors") { schema in
            try await schema.createTable("authors") { t in
                t.string("name", null: false)
                t.string("email", null: false, unique: true)
                t.column("score", .integer, default: .integer(0))
                t.timestamps()
            }
        },
        Migration(2, "create books") { schema in
            try await schema.createTable("books") { t in
                t.references("author")
                t.string("title", null: false, default: .text("it's untitled"))
                t.lockVersion()
            }
            try await schema.addIndex("books", ["title"])
        },
        Migration(3, "reshape authors") { schema in
            try await schema.addColumn("authors", "bio", .text)
            try await schema.renameColumn("authors", "score", to: "rank")
            try await schema.changeColumn("authors", ColumnDefinition("rank", .real, null: false, default: .real(1.5)))
            try await schema.addIndex("authors", ["name"], unique: false)
        },
    ]

    @Test(arguments: Backend.allCases)
    func migrateIntrospectAndDump(_ backend: Backend) async throws {
        try await withConnection(backend, schema: "SELECT 1") { db, _ in
            let migrator = Migrator(Array(Self.migrations.prefix(2)))
            #expect(try await migrator.migrate(on: db) == [1, 2])
            try await db.execute("INSERT INTO authors (name, email, created_at, updated_at) VALUES (\("Ann"), \("ann@x"), \("t"), \("t"))")
            #expect(try await Migrator(Self.migrations).migrate(on: db) == [3])
            #expect(try await Migrator(Self.migrations).migrate(on: db) == [])
            #expect(try await migrator.appliedVersions(on: db) == [1, 2, 3])

            let inspector = SchemaInspector(db)
            #expect(try await inspector.tables() == ["authors", "books", "schema_migrations"])
            let columns = try await inspector.columns(of: "authors")
            #expect(columns.map(\.name) == ["id", "name", "email", "rank", "created_at", "updated_at", "bio"])
            let rank = try #require(columns.first { $0.name == "rank" })
            #expect(rank.type == "REAL" && !rank.isNullable && rank.defaultSQL == "1.5")
            #expect(columns[0].primaryKeyPosition == 1)
            // The row survived the rebuild, and indexes came back.
            #expect(try await db.execute("SELECT name, rank FROM authors").rows.first?.values == [.text("Ann"), .float(0)])
            let indexes = try await inspector.indexes(of: "authors")
            #expect(indexes.contains { $0.name == "index_authors_on_name" && $0.columns == ["name"] && !$0.isUnique })
            #expect(indexes.contains { $0.isUnique && $0.columns == ["email"] })
            let keys = try await inspector.foreignKeys(of: "books")
            #expect(keys.count == 1)
            #expect(keys.first?.columns == ["author_id"] && keys.first?.referencedTable == "authors")
            #expect(keys.first?.referencedColumns == ["id"] && keys.first?.onDelete == "NO ACTION")
            #expect(try await inspector.columns(of: "books").first { $0.name == "title" }?.defaultSQL == "'it''s untitled'")

            let dump = try await inspector.dumpSchema()
            #expect(dump.contains("CREATE TABLE \"books\""))
            #expect(dump.contains("CREATE INDEX \"index_books_on_title\""))
            #expect(!dump.contains("sqlite_"))
        }
    }

    @Test(arguments: Backend.allCases)
    func aFailingMigrationRollsBackAlone(_ backend: Backend) async throws {
        try await withConnection(backend, schema: "SELECT 1") { db, _ in
            let broken = Self.migrations.prefix(1) + [
                Migration(2, "half done") { schema in
                    try await schema.createTable("widgets") { t in t.string("name") }
                    try await schema.removeColumn("no_such_table", "x")
                },
            ]
            await expectRecordError(.statementInvalid) { try await Migrator(Array(broken)).migrate(on: db) }
            let applied = try await Migrator([]).appliedVersions(on: db)
            #expect(applied == [1])
            let tables = try await SchemaInspector(db).tables()
            #expect(tables == ["authors", "schema_migrations"])
            await expectRecordError(.statementInvalid) {
                try await Migrator([Migration(5, "a") { _ in }, Migration(5, "b") { _ in }]).migrate(on: db)
            }
        }
    }
}
