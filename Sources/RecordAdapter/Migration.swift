import Foundation
import LibSQLClient

/// One versioned schema change, run in its own transaction:
///
/// ```swift
/// let migrations = [
///     Migration(1, "create users") { schema in
///         try await schema.createTable("users") { t in
///             t.string("name", null: false)
///             t.string("email", null: false, unique: true)
///             t.timestamps()
///         }
///     },
///     Migration(2, "index names") { schema in try await schema.addIndex("users", ["name"]) },
/// ]
/// try await Migrator(migrations).migrate(on: connection)
/// ```
public struct Migration: Sendable {
    /// The version, unique and increasing (a timestamp such as `20240501120000` works well).
    public let version: Int64
    /// A short description.
    public let name: String
    let body: @Sendable (SchemaChanges) async throws -> Void

    /// A migration.
    public init(_ version: Int64, _ name: String, _ body: @escaping @Sendable (SchemaChanges) async throws -> Void) {
        self.version = version
        self.name = name
        self.body = body
    }
}

/// Runs pending migrations in version order, each in a transaction with its row in `schema_migrations`.
public struct Migrator: Sendable {
    /// The migrations, in any order.
    public let migrations: [Migration]

    /// A migrator; versions must be unique.
    public init(_ migrations: [Migration]) { self.migrations = migrations.sorted { $0.version < $1.version } }

    static let table = "schema_migrations"

    /// The versions already applied.
    public func appliedVersions(on connection: RecordConnection? = nil) async throws -> [Int64] {
        let connection = try connection ?? Records.connection
        try await ensureTable(connection)
        let result = try await connection.execute("SELECT version FROM \"schema_migrations\" ORDER BY CAST(version AS INTEGER)")
        return try result.rows.map { try Int64($0.get(0, as: String.self)) ?? -1 }
    }

    /// Applies every pending migration and returns the versions applied. A failing migration is rolled back and
    /// thrown; those before it stay applied.
    @discardableResult
    public func migrate(on connection: RecordConnection? = nil) async throws -> [Int64] {
        let connection = try connection ?? Records.connection
        let versions = migrations.map(\.version)
        guard Set(versions).count == versions.count else {
            throw RecordError(.statementInvalid, "Duplicate migration versions in \(versions)")
        }
        let applied = Set(try await appliedVersions(on: connection))
        var done: [Int64] = []
        for migration in migrations where !applied.contains(migration.version) {
            try await connection.transaction {
                try await connection.execute("PRAGMA defer_foreign_keys = ON")
                try await migration.body(SchemaChanges(connection: connection))
                try await connection.execute("INSERT INTO \"schema_migrations\" (version) VALUES (\(String(migration.version)))")
            }
            connection.logger.debug("migrated", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
            done.append(migration.version)
        }
        return done
    }

    private func ensureTable(_ connection: RecordConnection) async throws {
        try await connection.execute("CREATE TABLE IF NOT EXISTS \"schema_migrations\" (version TEXT NOT NULL PRIMARY KEY)")
    }
}

/// The schema-changing DSL a migration body receives; every call runs at once inside the migration's transaction.
public struct SchemaChanges: Sendable {
    let connection: RecordConnection

    /// The schema inspector of the same connection.
    public var inspector: SchemaInspector { SchemaInspector(connection) }

    /// Runs trusted SQL (a `CREATE TRIGGER`, a data fix).
    public func execute(_ statement: Statement) async throws {
        try await connection.execute(statement)
    }

    /// `CREATE TABLE` with an `id INTEGER PRIMARY KEY` (pass `primaryKey: nil` to declare your own).
    public func createTable(_ name: String, primaryKey: String? = "id", _ build: (inout TableBuilder) -> Void) async throws {
        var table = TableBuilder()
        build(&table)
        var parts: [String] = []
        if let primaryKey { parts.append("\(SQLQuoting.identifier(primaryKey)) INTEGER PRIMARY KEY") }
        parts += table.columns.map(\.sql)
        try await run("CREATE TABLE \(SQLQuoting.identifier(name)) (\(parts.joined(separator: ", ")))")
    }

    /// `DROP TABLE`.
    public func dropTable(_ name: String) async throws {
        try await run("DROP TABLE \(SQLQuoting.identifier(name))")
    }

    /// `ALTER TABLE … RENAME TO`.
    public func renameTable(_ name: String, to newName: String) async throws {
        try await run("ALTER TABLE \(SQLQuoting.identifier(name)) RENAME TO \(SQLQuoting.identifier(newName))")
    }

    /// `ALTER TABLE … ADD COLUMN` (SQLite requires a default for a `NOT NULL` column).
    public func addColumn(_ table: String, _ column: ColumnDefinition) async throws {
        try await run("ALTER TABLE \(SQLQuoting.identifier(table)) ADD COLUMN \(column.sql)")
    }

    /// `ALTER TABLE … ADD COLUMN name type`.
    public func addColumn(_ table: String, _ name: String, _ type: ColumnType, null: Bool = true, default value: ColumnDefault? = nil) async throws {
        try await addColumn(table, ColumnDefinition(name, type, null: null, default: value))
    }

    /// `ALTER TABLE … DROP COLUMN` (fails for indexed, key or constrained columns, as SQLite does).
    public func removeColumn(_ table: String, _ name: String) async throws {
        try await run("ALTER TABLE \(SQLQuoting.identifier(table)) DROP COLUMN \(SQLQuoting.identifier(name))")
    }

    /// `ALTER TABLE … RENAME COLUMN`.
    public func renameColumn(_ table: String, _ name: String, to newName: String) async throws {
        try await run("ALTER TABLE \(SQLQuoting.identifier(table)) RENAME COLUMN \(SQLQuoting.identifier(name)) TO \(SQLQuoting.identifier(newName))")
    }

    /// `CREATE [UNIQUE] INDEX`, named `index_<table>_on_<columns>` by default.
    public func addIndex(_ table: String, _ columns: [String], unique: Bool = false, name: String? = nil) async throws {
        let indexName = name ?? "index_\(table)_on_\(columns.joined(separator: "_and_"))"
        try await run(
            "CREATE \(unique ? "UNIQUE " : "")INDEX \(SQLQuoting.identifier(indexName)) ON \(SQLQuoting.identifier(table)) (\(columns.map(SQLQuoting.identifier).joined(separator: ", ")))")
    }

    /// `DROP INDEX`.
    public func removeIndex(_ name: String) async throws {
        try await run("DROP INDEX \(SQLQuoting.identifier(name))")
    }

    /// Changes a column's type, nullability or default by rebuilding the table (SQLite cannot alter a column):
    /// create the new table, copy the rows, drop the old one, rename, recreate its indexes. Foreign keys are
    /// checked at commit. Columns, `NOT NULL`, defaults, the primary key, `UNIQUE` constraints, single-column
    /// foreign keys and indexes are kept; `CHECK` constraints and triggers of the old table are not.
    public func changeColumn(_ table: String, _ column: ColumnDefinition) async throws {
        try await rebuild(table) { columns, _ in
            guard let index = columns.firstIndex(where: { $0.name == column.name }) else {
                throw RecordError(.statementInvalid, "Table \(table) has no column \(column.name)")
            }
            columns[index] = column
        }
    }

    /// Adds a foreign key from `column` to `referencedTable(id)` by rebuilding the table.
    public func addForeignKey(_ table: String, column: String, references referencedTable: String, referencedColumn: String = "id", onDelete: String? = nil) async throws {
        try await rebuild(table) { columns, _ in
            guard let index = columns.firstIndex(where: { $0.name == column }) else {
                throw RecordError(.statementInvalid, "Table \(table) has no column \(column)")
            }
            columns[index].references = (referencedTable, referencedColumn, onDelete)
        }
    }

    private func rebuild(_ table: String, _ edit: (inout [ColumnDefinition], inout [String]) throws -> Void) async throws {
        let inspector = self.inspector
        let existing = try await inspector.columns(of: table)
        guard !existing.isEmpty else { throw RecordError(.statementInvalid, "No table \(table)") }
        let foreignKeys = try await inspector.foreignKeys(of: table)
        let allIndexes = try await inspector.indexes(of: table)
        let indexes = allIndexes.compactMap(\.sql)
        let primaryKey = existing.filter { $0.primaryKeyPosition > 0 }.sorted { $0.primaryKeyPosition < $1.primaryKeyPosition }.map(\.name)
        var columns = existing.map { info in
            var definition = ColumnDefinition(info.name, .custom(info.type), null: info.isNullable)
            definition.defaultValue = info.defaultSQL.map(ColumnDefault.verbatim)
            if let key = foreignKeys.first(where: { $0.columns == [info.name] }) {
                definition.references = (key.referencedTable, key.referencedColumns.first ?? "id", key.onDelete == "NO ACTION" ? nil : key.onDelete)
            }
            return definition
        }
        // UNIQUE constraints live in automatic indexes; carry them over as table constraints.
        var extra = allIndexes.filter { $0.origin == "u" && !$0.columns.contains("") }
            .map { "UNIQUE (\($0.columns.map(SQLQuoting.identifier).joined(separator: ", ")))" }
        try edit(&columns, &extra)
        var parts = columns.map(\.sql)
        if !primaryKey.isEmpty { parts.append("PRIMARY KEY (\(primaryKey.map(SQLQuoting.identifier).joined(separator: ", ")))") }
        let temporary = "records_new_\(table)"
        let kept = existing.map(\.name).filter { name in columns.contains { $0.name == name } }.map(SQLQuoting.identifier).joined(separator: ", ")
        try await run("CREATE TABLE \(SQLQuoting.identifier(temporary)) (\((parts + extra).joined(separator: ", ")))")
        try await run("INSERT INTO \(SQLQuoting.identifier(temporary)) (\(kept)) SELECT \(kept) FROM \(SQLQuoting.identifier(table))")
        try await run("DROP TABLE \(SQLQuoting.identifier(table))")
        try await run("ALTER TABLE \(SQLQuoting.identifier(temporary)) RENAME TO \(SQLQuoting.identifier(table))")
        for index in indexes { try await run(index) }
    }

    private func run(_ sql: String) async throws {
        try await connection.execute(Statement(sql: sql, arguments: .positional([])))
    }
}
