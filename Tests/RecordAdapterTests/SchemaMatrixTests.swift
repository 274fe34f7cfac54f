import Foundation
import LibSQLClient
@testable import RecordAdapter
import Testing

/// One change of the design doc's test matrix (3.9), applied to a table that holds data.
struct SchemaCase: Sendable, CustomTestStringConvertible {
    var name: String
    /// Schema and rows before.
    var before: String
    /// The desired schema file.
    var desired: String
    var enableDrop = false
    /// Substrings the plan's SQL must contain (how the change is done).
    var planContains: [String] = []
    /// Substrings the plan's SQL must not contain.
    var planOmits: [String] = []
    /// A query and its rows after apply (data kept, new behaviour there).
    var query: String
    var expected: [[String]]

    var testDescription: String { name }
}

let schemaCases: [SchemaCase] = [
    SchemaCase(
        name: "add a nullable column: ALTER TABLE ADD COLUMN",
        before: "CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT); INSERT INTO t(a) VALUES ('x'), ('y');",
        desired: "CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT, b INTEGER);",
        planContains: ["ADD COLUMN b INTEGER"], planOmits: ["_schema_new_"],
        query: "SELECT id, a, b FROM t ORDER BY id", expected: [["1", "x", "NULL"], ["2", "y", "NULL"]]),
    SchemaCase(
        name: "add NOT NULL with a constant default: ADD COLUMN",
        before: "CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT); INSERT INTO t(a) VALUES ('x');",
        desired: "CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT, b TEXT NOT NULL DEFAULT 'a;b?');",
        planContains: ["ADD COLUMN b TEXT NOT NULL DEFAULT 'a;b?'"],
        query: "SELECT a, b FROM t", expected: [["x", "a;b?"]]),
    SchemaCase(
        name: "add a DEFAULT CURRENT_TIMESTAMP column (sqldef's ADD COLUMN fails on data): rebuild",
        before: "CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT); INSERT INTO t(a) VALUES ('x');",
        desired: "CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT, created_at TEXT DEFAULT CURRENT_TIMESTAMP);",
        planContains: ["_schema_new_t"],
        query: "SELECT a, created_at IS NOT NULL FROM t", expected: [["x", "1"]]),
    SchemaCase(
        name: "add a UNIQUE column (SQLite: Cannot add a UNIQUE column): rebuild",
        before: "CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT); INSERT INTO t(a) VALUES ('x'), ('y');",
        desired: "CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT, code TEXT UNIQUE);",
        planContains: ["_schema_new_t"], planOmits: ["ADD COLUMN"],
        query: "SELECT a, code FROM t ORDER BY id", expected: [["x", "NULL"], ["y", "NULL"]]),
    SchemaCase(
        name: "add a STORED generated column: rebuild",
        before: "CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER); INSERT INTO t(a) VALUES (2), (3);",
        desired: "CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, twice INTEGER GENERATED ALWAYS AS (a * 2) STORED);",
        planContains: ["_schema_new_t"],
        query: "SELECT a, twice FROM t ORDER BY id", expected: [["2", "4"], ["3", "6"]]),
    SchemaCase(
        name: "drop a plain column: DROP COLUMN",
        before: "CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT, b TEXT); INSERT INTO t(a, b) VALUES ('x', 'gone');",
        desired: "CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT);", enableDrop: true,
        planContains: ["DROP COLUMN \"b\""], planOmits: ["_schema_new_"],
        query: "SELECT * FROM t", expected: [["1", "x"]]),
    SchemaCase(
        name: "drop an indexed column (sqldef's DROP COLUMN fails): rebuild",
        before: "CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT, b TEXT); CREATE INDEX t_b ON t(b); INSERT INTO t(a, b) VALUES ('x', 'y');",
        desired: "CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT);", enableDrop: true,
        planContains: ["_schema_new_t"],
        query: "SELECT * FROM t", expected: [["1", "x"]]),
    SchemaCase(
        name: "drop a column a view uses: rebuild, view recreated",
        before: """
            CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT, b TEXT); CREATE VIEW v AS SELECT id, a, b FROM t;
            INSERT INTO t(a, b) VALUES ('x', 'y');
            """,
        desired: "CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT); CREATE VIEW v AS SELECT id, a FROM t;", enableDrop: true,
        planContains: ["DROP VIEW \"v\"", "_schema_new_t"],
        query: "SELECT * FROM v", expected: [["1", "x"]]),
    SchemaCase(
        name: "drop a column a trigger uses: rebuild, trigger recreated",
        before: """
            CREATE TABLE log(msg TEXT);
            CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT, b TEXT);
            CREATE TRIGGER t_ins AFTER INSERT ON t BEGIN INSERT INTO log VALUES (new.b); END;
            INSERT INTO t(a, b) VALUES ('x', 'y');
            """,
        desired: """
            CREATE TABLE log(msg TEXT);
            CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT);
            CREATE TRIGGER t_ins AFTER INSERT ON t BEGIN INSERT INTO log VALUES ('a;' || new.a); END;
            """, enableDrop: true,
        planContains: ["_schema_new_t", "CREATE TRIGGER t_ins"],
        query: "SELECT msg FROM log", expected: [["y"]]),
    SchemaCase(
        name: "rename a column with an @rename hint: RENAME COLUMN, data kept",
        before: "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT); CREATE INDEX t_name ON t(name); INSERT INTO t(name) VALUES ('ann');",
        desired: """
            -- @rename column t.name TO full_name
            CREATE TABLE t(id INTEGER PRIMARY KEY, full_name TEXT);
            CREATE INDEX t_name ON t(full_name);
            """,
        planContains: ["RENAME COLUMN \"name\" TO \"full_name\""], planOmits: ["_schema_new_", "DROP"],
        query: "SELECT full_name FROM t", expected: [["ann"]]),
    SchemaCase(
        name: "rename a table and a column and tighten the column (sqldef: ADD + UPDATE + DROP, old column kept): rename, then rebuild",
        before: "CREATE TABLE people(id INTEGER PRIMARY KEY, name TEXT); INSERT INTO people(name) VALUES ('ann'), ('bob');",
        desired: """
            -- @rename table people TO users
            -- @rename column users.name TO full_name
            CREATE TABLE users(id INTEGER PRIMARY KEY, full_name TEXT NOT NULL);
            CREATE UNIQUE INDEX users_name ON users(full_name);
            """,
        planContains: ["RENAME TO \"users\"", "RENAME COLUMN \"name\" TO \"full_name\"", "_schema_new_users"],
        query: "SELECT full_name FROM users ORDER BY id", expected: [["ann"], ["bob"]]),
    SchemaCase(
        name: "rename a table with an @rename hint",
        before: "CREATE TABLE people(id INTEGER PRIMARY KEY, name TEXT); INSERT INTO people(name) VALUES ('ann');",
        desired: "/* @rename table people TO users */ CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT);",
        planContains: ["RENAME TO \"users\""], planOmits: ["DROP"],
        query: "SELECT name FROM users", expected: [["ann"]]),
    SchemaCase(
        name: "change a column type in a STRICT table: rebuild, values converted",
        before: "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT) STRICT; INSERT INTO t(v) VALUES ('12'), ('7');",
        desired: "CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER) STRICT;",
        planContains: ["_schema_new_t"],
        query: "SELECT v, typeof(v) FROM t ORDER BY id", expected: [["12", "integer"], ["7", "integer"]]),
    SchemaCase(
        name: "change NOT NULL, DEFAULT, COLLATE and CHECK (sqldef ignores these silently): rebuild",
        before: "CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT, n INTEGER DEFAULT 1); INSERT INTO t(a, n) VALUES ('B', 5), ('a', 6);",
        desired: "CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT NOT NULL COLLATE NOCASE, n INTEGER DEFAULT 2 CHECK (n > 0));",
        planContains: ["_schema_new_t"],
        query: "SELECT a FROM t ORDER BY a", expected: [["a"], ["B"]]),
    SchemaCase(
        name: "change the primary key (sqldef emits ADD PRIMARY KEY, which SQLite rejects): rebuild",
        before: "CREATE TABLE t(a TEXT, b TEXT); INSERT INTO t VALUES ('x', '1'), ('y', '2');",
        desired: "CREATE TABLE t(a TEXT, b TEXT, PRIMARY KEY (a, b));",
        planContains: ["_schema_new_t"], planOmits: ["ADD PRIMARY KEY"],
        query: "SELECT a, b FROM t ORDER BY a", expected: [["x", "1"], ["y", "2"]]),
    SchemaCase(
        name: "add a table CHECK and a table FOREIGN KEY (sqldef emits ADD CONSTRAINT / ADD FOREIGN KEY): rebuild",
        before: """
            CREATE TABLE p(id INTEGER PRIMARY KEY); CREATE TABLE c(id INTEGER PRIMARY KEY, pid INTEGER, n INTEGER);
            INSERT INTO p VALUES (1); INSERT INTO c(pid, n) VALUES (1, 3);
            """,
        desired: """
            CREATE TABLE p(id INTEGER PRIMARY KEY);
            CREATE TABLE c(id INTEGER PRIMARY KEY, pid INTEGER, n INTEGER, CHECK (n < 10), FOREIGN KEY (pid) REFERENCES p(id));
            """,
        planContains: ["_schema_new_c"], planOmits: ["ADD CONSTRAINT", "ADD FOREIGN KEY"],
        query: "SELECT pid, n FROM c", expected: [["1", "3"]]),
    SchemaCase(
        name: "toggle WITHOUT ROWID and STRICT (sqldef does not compare them): rebuild",
        before: "CREATE TABLE t(k TEXT PRIMARY KEY, v INTEGER); INSERT INTO t VALUES ('a', 1);",
        desired: "CREATE TABLE t(k TEXT PRIMARY KEY, v INTEGER) WITHOUT ROWID, STRICT;",
        planContains: ["_schema_new_t"],
        query: "SELECT k, v, (SELECT wr || strict FROM pragma_table_list WHERE name = 't') FROM t", expected: [["a", "1", "11"]]),
    SchemaCase(
        name: "AUTOINCREMENT counter kept across a rebuild",
        before: """
            CREATE TABLE t(id INTEGER PRIMARY KEY AUTOINCREMENT, a TEXT);
            INSERT INTO t(a) VALUES ('1'), ('2'), ('3'), ('4'), ('5'); DELETE FROM t WHERE id > 2;
            """,
        desired: "CREATE TABLE t(id INTEGER PRIMARY KEY AUTOINCREMENT, a TEXT NOT NULL);",
        planContains: ["_schema_new_t", "sqlite_sequence"],
        query: "INSERT INTO t(a) VALUES ('new') RETURNING id", expected: [["6"]]),
    SchemaCase(
        name: "rowids of a table without INTEGER PRIMARY KEY survive a rebuild",
        before: "CREATE TABLE t(a TEXT); INSERT INTO t VALUES ('x'), ('y'), ('z'); DELETE FROM t WHERE a = 'y';",
        desired: "CREATE TABLE t(a TEXT NOT NULL);",
        planContains: ["(rowid, \"a\") SELECT rowid, \"a\""],
        query: "SELECT rowid, a FROM t ORDER BY rowid", expected: [["1", "x"], ["3", "z"]]),
    SchemaCase(
        name: "rebuild a parent with an ON DELETE CASCADE child: child rows survive",
        before: """
            CREATE TABLE p(id INTEGER PRIMARY KEY, name TEXT);
            CREATE TABLE c(id INTEGER PRIMARY KEY, pid INTEGER REFERENCES p(id) ON DELETE CASCADE);
            INSERT INTO p VALUES (1, 'a'), (2, 'b'); INSERT INTO c(pid) VALUES (1), (2), (2);
            """,
        desired: """
            CREATE TABLE p(id INTEGER PRIMARY KEY, name TEXT NOT NULL);
            CREATE TABLE c(id INTEGER PRIMARY KEY, pid INTEGER REFERENCES p(id) ON DELETE CASCADE);
            """,
        planContains: ["_schema_new_p"],
        query: "SELECT count(*) FROM c", expected: [["3"]]),
    SchemaCase(
        name: "a trigger on another table that mentions the rebuilt table is recreated",
        before: """
            CREATE TABLE t(id INTEGER PRIMARY KEY, n INTEGER); CREATE TABLE e(id INTEGER PRIMARY KEY);
            CREATE TRIGGER e_ins AFTER INSERT ON e BEGIN UPDATE t SET n = n + 1; END;
            INSERT INTO t(n) VALUES (0);
            """,
        desired: """
            CREATE TABLE t(id INTEGER PRIMARY KEY, n INTEGER NOT NULL DEFAULT 0); CREATE TABLE e(id INTEGER PRIMARY KEY);
            CREATE TRIGGER e_ins AFTER INSERT ON e BEGIN UPDATE t SET n = n + 1; END;
            """,
        planContains: ["DROP TRIGGER \"e_ins\"", "_schema_new_t"],
        query: "SELECT n FROM t", expected: [["0"]]),
    SchemaCase(
        name: "a self-referencing table is rebuilt with its links",
        before: """
            CREATE TABLE node(id INTEGER PRIMARY KEY, parent INTEGER REFERENCES node(id) ON DELETE CASCADE);
            INSERT INTO node VALUES (1, NULL), (2, 1), (3, 2);
            """,
        desired: "CREATE TABLE node(id INTEGER PRIMARY KEY, parent INTEGER REFERENCES node(id) ON DELETE CASCADE, label TEXT UNIQUE);",
        planContains: ["_schema_new_node"],
        query: "SELECT id, parent FROM node ORDER BY id", expected: [["1", "NULL"], ["2", "1"], ["3", "2"]]),
    SchemaCase(
        name: "an index change is a replacement, not a drop (sqldef skips the DROP and then fails)",
        before: "CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT, b TEXT); CREATE INDEX t_i ON t(a); INSERT INTO t(a, b) VALUES ('x', 'y');",
        desired: "CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT, b TEXT); CREATE INDEX t_i ON t(a, b DESC);",
        planContains: ["DROP INDEX \"t_i\"", "CREATE INDEX t_i ON t(a, b DESC)"],
        query: "SELECT count(*) FROM pragma_index_xinfo('t_i') WHERE key = 1", expected: [["2"]]),
    SchemaCase(
        name: "an index renamed: create the new one, the old one dropped with --enable-drop",
        before: "CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT); CREATE INDEX old_i ON t(a); INSERT INTO t(a) VALUES ('x');",
        desired: "CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT); CREATE INDEX new_i ON t(a);", enableDrop: true,
        planContains: ["DROP INDEX \"old_i\"", "CREATE INDEX new_i"],
        query: "SELECT name FROM sqlite_master WHERE type = 'index'", expected: [["new_i"]]),
    SchemaCase(
        name: "text robustness: triggers with ; in the body, literals with ; and ?, quoted mixed-case names",
        before: """
            CREATE TABLE "Order Items"("Item Id" INTEGER PRIMARY KEY, [Note] TEXT DEFAULT 'a;b');
            INSERT INTO "Order Items"("Note") VALUES ('keep;me?');
            """,
        desired: """
            CREATE TABLE "Order Items"("Item Id" INTEGER PRIMARY KEY, [Note] TEXT DEFAULT 'a;b', `Extra` TEXT DEFAULT '?;');
            CREATE TABLE audit(msg TEXT);
            CREATE TRIGGER "Audit Note" AFTER UPDATE OF "Note" ON "Order Items" BEGIN
              INSERT INTO audit VALUES ('changed; ' || old."Note");
              INSERT INTO audit VALUES ('to; ' || new."Note");
            END;
            """,
        planContains: ["ADD COLUMN `Extra` TEXT DEFAULT '?;'", "CREATE TRIGGER \"Audit Note\""],
        query: "SELECT \"Note\", \"Extra\" FROM \"Order Items\"", expected: [["keep;me?", "?;"]]),
    SchemaCase(
        name: "a table renamed earlier (stored SQL has a quoted name) compares equal and rebuilds",
        before: """
            CREATE TABLE old_t(id INTEGER PRIMARY KEY, a TEXT); ALTER TABLE old_t RENAME TO t;
            INSERT INTO t(a) VALUES ('x');
            """,
        desired: "CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT NOT NULL);",
        planContains: ["_schema_new_t"],
        query: "SELECT a FROM t", expected: [["x"]]),
    SchemaCase(
        name: "an FTS5 virtual table: its shadow tables are skipped",
        before: "CREATE VIRTUAL TABLE docs USING fts5(body); INSERT INTO docs VALUES ('hello world');",
        desired: "CREATE VIRTUAL TABLE docs USING fts5(body); CREATE TABLE t(id INTEGER PRIMARY KEY);",
        planContains: ["CREATE TABLE t"], planOmits: ["docs_"],
        query: "SELECT body FROM docs WHERE docs MATCH 'hello'", expected: [["hello world"]]),
    SchemaCase(
        name: "a changed FTS5 virtual table is dropped and created again with --enable-drop (its content is lost)",
        before: "CREATE VIRTUAL TABLE docs USING fts5(body); INSERT INTO docs VALUES ('hello world');",
        desired: "CREATE VIRTUAL TABLE docs USING fts5(body, title);", enableDrop: true,
        planContains: ["DROP TABLE \"docs\"", "CREATE VIRTUAL TABLE docs USING fts5(body, title)"],
        query: "SELECT count(*) FROM docs", expected: [["0"]]),
    SchemaCase(
        name: "a view changed and a view that depends on it, recreated in order",
        before: """
            CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER); INSERT INTO t(a) VALUES (1), (2);
            CREATE VIEW v1 AS SELECT a FROM t; CREATE VIEW v2 AS SELECT a FROM v1;
            """,
        desired: """
            CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER);
            CREATE VIEW v1 AS SELECT a * 10 AS a FROM t; CREATE VIEW v2 AS SELECT a FROM v1;
            """,
        planContains: ["DROP VIEW \"v2\"", "DROP VIEW \"v1\""],
        query: "SELECT a FROM v2 ORDER BY a", expected: [["10"], ["20"]]),
    SchemaCase(
        name: "drop a table with --enable-drop",
        before: "CREATE TABLE keep(id INTEGER PRIMARY KEY); CREATE TABLE gone(id INTEGER PRIMARY KEY); INSERT INTO keep VALUES (1);",
        desired: "CREATE TABLE keep(id INTEGER PRIMARY KEY);", enableDrop: true,
        planContains: ["DROP TABLE \"gone\""],
        query: "SELECT name FROM sqlite_master WHERE type = 'table'", expected: [["keep"]]),
]

@Suite("Schema diff and apply: the test matrix on data")
struct SchemaMatrixTests {
    @Test("each change applies, keeps the data, reaches the desired schema, and re-diffs empty",
          arguments: schemaCases, SchemaTarget.allCases)
    func applies(_ change: SchemaCase, on target: SchemaTarget) async throws {
        try await withSchemaDatabase(target) { database in
            try await database.executeMultiple(change.before)
            let migrator = SchemaMigrator(database: database, options: SchemaOptions(enableDrop: change.enableDrop))
            let plan = try await migrator.plan(for: change.desired)
            #expect(plan.warnings.isEmpty, "\(plan.warnings)")
            #expect(plan.problems.isEmpty, "\(plan.problems)")
            #expect(plan.skipped.isEmpty, "\(plan.skipped)")
            let sql = plan.steps.map(\.sql).joined(separator: "\n")
            for text in change.planContains { #expect(sql.contains(text), "plan lacks \(text):\n\(sql)") }
            for text in change.planOmits { #expect(!sql.contains(text), "plan has \(text):\n\(sql)") }

            let applied = try await migrator.apply(change.desired)
            #expect(applied.steps == plan.steps)
            #expect(try await migrator.plan(for: change.desired).isEmpty, "a second diff is empty")
            #expect(try await currentForms(database) == (try desiredForms(change.desired)))
            let rows = try await dump(database, change.query)
            #expect(rows == change.expected, "\(rows)")
            #expect(try await dump(database, "PRAGMA foreign_key_check").isEmpty)
        }
    }
}
