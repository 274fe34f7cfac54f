@testable import RecordAdapter
import Testing

/// Reading schema text: SQLite finds statement ends; the tokenizer only compares.
@Suite("Schema text: loading, tokens, normal forms, hints")
struct SchemaTextTests {
    @Test("semicolons in trigger bodies, string literals, quoted names and comments do not end a statement")
    func statementBoundaries() throws {
        let shadow = try SchemaShadow()
        try shadow.load(script: """
            CREATE TABLE "a;b"(x TEXT DEFAULT ';', y TEXT DEFAULT 'it''s; ok?'); -- a comment; with semicolons
            /* block; comment */ CREATE TABLE log(m);
            CREATE TRIGGER tr AFTER INSERT ON "a;b" BEGIN
              INSERT INTO log VALUES ('one;');
              INSERT INTO log VALUES ("x");
            END;
            ;; CREATE VIEW v AS SELECT ';' AS s
            """)
        let snapshot = try SchemaSnapshot(shadow)
        #expect(snapshot.tables.map(\.name) == ["a;b", "log"])
        #expect(snapshot.triggers.count == 1)
        #expect(snapshot.triggers[0].sql.contains("INSERT INTO log VALUES ('one;');"))
        #expect(snapshot.triggers[0].sql.hasSuffix("END"))
        #expect(snapshot.views.map(\.name) == ["v"])
    }

    @Test("the normal form ignores case, quoting, spacing, comments and IF NOT EXISTS, but not literals")
    func normalForms() {
        func form(_ sql: String) -> [String] { SQLTokenizer.normalizedForm(SQLTokenizer.tokenize(sql)) }
        #expect(form("CREATE TABLE IF NOT EXISTS \"Users\" ( id  INTEGER /* pk */ PRIMARY KEY )")
            == form("create table users(ID integer primary key)"))
        #expect(form("CREATE TABLE t(a TEXT DEFAULT 'X')") != form("CREATE TABLE t(a TEXT DEFAULT 'x')"))
        #expect(form("CREATE TABLE t(a AS (1))") == form("CREATE TABLE t(a GENERATED ALWAYS AS (1))"))
        #expect(form("CREATE TABLE t(a [x y] `z`)") == form("CREATE TABLE t(a \"x y\" \"z\")"))
        #expect(form("SELECT 1e+5, 0x1F, x'AB'") == ["select", "1e+5", ",", "0x1f", ",", "x'AB'"])
    }

    @Test("table definitions split at top-level commas; a rename replaces only the name token")
    func tableDefinitions() throws {
        let definition = try #require(TableDefinition(sql: """
            CREATE TABLE "t"(id INTEGER PRIMARY KEY, "t" TEXT DEFAULT 't, (u)', n NUMERIC(10, 2),
              CONSTRAINT pos CHECK (n > 0), UNIQUE (id, n)) STRICT
            """))
        #expect(definition.columns.map(\.name) == ["id", "t", "n"])
        #expect(definition.columns[1].text == "\"t\" TEXT DEFAULT 't, (u)'")
        #expect(definition.constraints.count == 2)
        #expect(definition.options == ["strict"])
        #expect(definition.renamed(to: "_new").hasPrefix("CREATE TABLE \"_new\"(id INTEGER PRIMARY KEY, \"t\" TEXT DEFAULT 't, (u)'"))
    }

    @Test("rename hints are read from line and block comments")
    func hints() throws {
        let renames = try SchemaRenameHints.parse("""
            -- @rename table old TO "New Name"
            /* @rename column users.name to full_name */
            -- an ordinary comment
            CREATE TABLE x(a);
            """)
        #expect(renames == [.table(from: "old", to: "New Name"), .column(table: "users", from: "name", to: "full_name")])
    }

    @Test("a plan script shows bound values as literals and skipped steps as comments")
    func script() {
        let plan = SchemaPlan(
            steps: [SchemaPlan.Step("DELETE FROM sqlite_sequence WHERE name = ?", arguments: [.text("it's")], purpose: "p")],
            skipped: [SchemaPlan.Step("DROP TABLE \"x\"", purpose: "q")], warnings: ["w"])
        #expect(plan.script == """
            -- Warning: w
            DELETE FROM sqlite_sequence WHERE name = 'it''s';
            -- Skipped: DROP TABLE "x"

            """)
    }
}
