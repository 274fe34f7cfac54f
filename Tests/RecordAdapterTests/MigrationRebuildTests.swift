import Foundation
import LibSQLClient
import RecordAdapter
import Testing

/// `changeColumn` and `addForeignKey` rebuild the table through the schema layer's plan: CHECK constraints,
/// triggers, indexes, views and foreign keys (the table's own and those pointing at it) survive, and so do rows.
@Suite struct MigrationRebuildTests {
    static let schema = """
        PRAGMA foreign_keys = ON;
        CREATE TABLE publishers (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
        CREATE TABLE authors (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL COLLATE NOCASE,
            score INTEGER CONSTRAINT score_positive CHECK (score >= 0),
            publisher_id INTEGER REFERENCES publishers(id) ON DELETE SET NULL,
            editor_id INTEGER,
            CHECK (length(name) > 0),
            UNIQUE (name, publisher_id)
        );
        CREATE INDEX index_authors_on_score ON authors (score);
        CREATE TABLE books (id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL REFERENCES authors(id) ON DELETE CASCADE, title TEXT);
        CREATE TABLE audit (id INTEGER PRIMARY KEY, note TEXT);
        CREATE TRIGGER authors_audit AFTER INSERT ON authors BEGIN INSERT INTO audit (note) VALUES ('added ' || NEW.name); END;
        CREATE VIEW author_names AS SELECT name FROM authors;
        INSERT INTO publishers VALUES (1, 'Acme');
        INSERT INTO authors (id, name, score, publisher_id) VALUES (1, 'Ann', 3, 1);
        INSERT INTO books VALUES (1, 1, 'First');
        """

    @Test(arguments: Backend.allCases)
    func changeColumnKeepsConstraintsTriggersIndexesAndForeignKeys(_ backend: Backend) async throws {
        try await withConnection(backend, schema: Self.schema) { db, _ in
            let migration = Migration(1, "score becomes real") { schema in
                try await schema.changeColumn("authors", ColumnDefinition("score", .real, null: false, default: .real(0)))
            }
            #expect(try await Migrator([migration]).migrate(on: db) == [1])
            let inspector = SchemaInspector(db)

            let score = try #require(try await inspector.columns(of: "authors").first { $0.name == "score" })
            #expect(score.type == "REAL" && !score.isNullable && score.defaultSQL == "0.0")
            // Rows survive, and the child rows were neither deleted (ON DELETE CASCADE) nor orphaned.
            #expect(try await db.execute("SELECT id, name, score FROM authors").rows.map(\.values) == [[.integer(1), .text("Ann"), .float(3)]])
            #expect(try await db.execute("SELECT count(*) FROM books").rows[0][0] == .integer(1))

            // The changed column keeps its named CHECK, the table keeps its CHECK and UNIQUE.
            let negative = await expectRecordError(.checkViolation) {
                try await db.execute("INSERT INTO authors (name, score) VALUES ('Bob', -1)")
            }
            #expect(negative?.underlying?.message.contains("score_positive") == true)
            await expectRecordError(.checkViolation) { try await db.execute("INSERT INTO authors (name, score) VALUES ('', 1)") }
            await expectRecordError(.recordNotUnique) {
                try await db.execute("INSERT INTO authors (name, score, publisher_id) VALUES ('ann', 1, 1)")  // COLLATE NOCASE kept
            }

            // The trigger fires, the index and the view are back, both foreign keys are intact.
            try await db.execute("INSERT INTO authors (name, score) VALUES ('Cid', 2)")
            let notes = try await db.execute("SELECT note FROM audit").rows.map { $0[0] }
            #expect(notes == [.text("added Ann"), .text("added Cid")], "the copy of the rows did not fire it again")
            #expect(try await inspector.indexes(of: "authors").contains { $0.name == "index_authors_on_score" && $0.columns == ["score"] })
            #expect(try await db.execute("SELECT count(*) FROM author_names").rows[0][0] == .integer(2))
            let own = try await inspector.foreignKeys(of: "authors")
            #expect(own.count == 1 && own.first?.referencedTable == "publishers" && own.first?.onDelete == "SET NULL")
            let children = try await inspector.foreignKeys(of: "books")
            #expect(children.first?.referencedTable == "authors" && children.first?.onDelete == "CASCADE")
            let dump = try await inspector.dumpSchema()
            #expect(dump.contains("CREATE TRIGGER authors_audit"))
            #expect(!dump.contains("_schema_new_"))
        }
    }

    @Test(arguments: Backend.allCases)
    func addForeignKeyRebuildsWithTheConstraint(_ backend: Backend) async throws {
        try await withConnection(backend, schema: Self.schema) { db, _ in
            let migration = Migration(1, "editor") { schema in
                try await schema.addForeignKey("authors", column: "editor_id", references: "authors", onDelete: "SET NULL")
            }
            #expect(try await Migrator([migration]).migrate(on: db) == [1])
            let keys = try await SchemaInspector(db).foreignKeys(of: "authors")
            #expect(Set(keys.map(\.referencedTable)) == ["publishers", "authors"])
            #expect(keys.first { $0.columns == ["editor_id"] }?.onDelete == "SET NULL")
            #expect(try await db.execute("SELECT count(*) FROM books").rows[0][0] == .integer(1))
            let checks = try await db.execute("SELECT sql FROM sqlite_master WHERE name = 'authors'").rows[0].get(0, as: String.self)
            #expect(checks.contains("CHECK (length(name) > 0)") && checks.contains("score_positive"))
        }
    }

    /// On a local file the connection enforces foreign keys (the schema turned them on): the migrator switches
    /// them off around the migration and checks the rebuilt table instead, so a dangling key fails it.
    @Test func aRebuildThatBreaksAForeignKeyFailsWhenTheyAreEnforced() async throws {
        try await withConnection(.local, schema: Self.schema) { db, _ in
            try await db.execute("PRAGMA foreign_keys = OFF")
            try await db.execute("UPDATE authors SET editor_id = 99")
            try await db.execute("PRAGMA foreign_keys = ON")
            let migration = Migration(1, "editor") { schema in
                try await schema.addForeignKey("authors", column: "editor_id", references: "authors")
            }
            await expectRecordError(.invalidForeignKey) { try await Migrator([migration]).migrate(on: db) }
            let applied = try await Migrator([]).appliedVersions(on: db)
            #expect(applied == [])
            let keys = try await SchemaInspector(db).foreignKeys(of: "authors")
            #expect(keys.count == 1)
            let enforced = try await db.execute("PRAGMA foreign_keys").rows[0][0]
            #expect(enforced == .integer(1), "the migrator turned foreign keys back on")
        }
    }

    /// Inside a caller's transaction the migrator cannot switch foreign keys off (SQLite ignores it there): the
    /// rebuild of a table others reference is refused rather than cascading into `books`.
    @Test func aRebuildThatWouldCascadeIsRefusedWhileForeignKeysAreEnforced() async throws {
        try await withConnection(.local, schema: Self.schema) { db, _ in
            let migration = Migration(1, "score becomes real") { schema in
                try await schema.changeColumn("authors", ColumnDefinition("score", .real))
            }
            let error = await expectRecordError(.statementInvalid) {
                try await db.transaction { _ = try await Migrator([migration]).migrate(on: db) }
            }
            #expect(error?.message.contains("books") == true, "\(String(describing: error))")
            let books = try await db.execute("SELECT count(*) FROM books").rows[0][0]
            #expect(books == .integer(1))
            let score = try await SchemaInspector(db).columns(of: "authors").first { $0.name == "score" }
            #expect(score?.type == "INTEGER")
        }
    }

    @Test func changingAMissingColumnOrTableIsAClearError() async throws {
        try await withConnection(.local, schema: Self.schema) { db, _ in
            await expectRecordError(.statementInvalid) {
                try await Migrator([Migration(1, "x") { schema in
                    try await schema.changeColumn("authors", ColumnDefinition("nope", .text))
                }]).migrate(on: db)
            }
            await expectRecordError(.statementInvalid) {
                try await Migrator([Migration(1, "x") { schema in
                    try await schema.changeColumn("nope", ColumnDefinition("score", .text))
                }]).migrate(on: db)
            }
            let columns = try await SchemaInspector(db).columns(of: "authors")
            #expect(columns.first { $0.name == "score" }?.type == "INTEGER")
        }
    }
}
