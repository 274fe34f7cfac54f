import Foundation
import LibSQLClient
import Synchronization

/// One versioned schema change, run in its own transaction, with an optional `down` that undoes it:
///
/// ```swift
/// let migrations = [
///     Migration(1, "create users", up: { schema in
///         try await schema.createTable("users") { t in
///             t.string("name", null: false)
///             t.string("email", null: false, unique: true)
///             t.timestamps()
///         }
///     }, down: { schema in try await schema.dropTable("users") }),
///     Migration(2, "index names") { schema in try await schema.addIndex("users", ["name"]) },
/// ]
/// try await Migrator(migrations).migrate(on: connection)
/// ```
public struct Migration: Sendable {
    /// The version, unique and increasing (a timestamp such as `20240501120000` works well).
    public let version: Int64
    /// A short description.
    public let name: String
    let up: @Sendable (SchemaChanges) async throws -> Void
    let down: (@Sendable (SchemaChanges) async throws -> Void)?
    /// Whether `up` is a `change` body, rolled back by undoing its calls in reverse order.
    let reversesItself: Bool

    /// A migration that goes forward only (rolling it back throws ``RecordError/Kind/irreversibleMigration``).
    public init(_ version: Int64, _ name: String, _ up: @escaping @Sendable (SchemaChanges) async throws -> Void) {
        self.init(version: version, name: name, up: up, down: nil, reversesItself: false)
    }

    /// A migration that Rails' `change` describes: rolling it back undoes its calls in reverse order
    /// (`createTable` → `dropTable`, `addColumn` → `removeColumn`, `addIndex` → `removeIndex`, renames back).
    /// A call without an inverse (`execute`, `dropTable`, `removeColumn`, `removeIndex`, `changeColumn`,
    /// `addForeignKey`) makes the rollback throw ``RecordError/Kind/irreversibleMigration`` before anything runs;
    /// use `up:down:` for those.
    public init(_ version: Int64, _ name: String, change: @escaping @Sendable (SchemaChanges) async throws -> Void) {
        self.init(version: version, name: name, up: change, down: nil, reversesItself: true)
    }

    /// A reversible migration: `down` undoes what `up` did (Rails' `up`/`down`).
    public init(
        _ version: Int64, _ name: String, up: @escaping @Sendable (SchemaChanges) async throws -> Void,
        down: @escaping @Sendable (SchemaChanges) async throws -> Void
    ) {
        self.init(version: version, name: name, up: up, down: down, reversesItself: false)
    }

    private init(
        version: Int64, name: String, up: @escaping @Sendable (SchemaChanges) async throws -> Void,
        down: (@Sendable (SchemaChanges) async throws -> Void)?, reversesItself: Bool
    ) {
        self.version = version
        self.name = name
        self.up = up
        self.down = down
        self.reversesItself = reversesItself
    }

    /// Whether the migration has a `down` or is a `change` (which may still hold a call without an inverse).
    public var isReversible: Bool { down != nil || reversesItself }

    /// The body that undoes the migration: its `down`, or the inverses of a `change` body's calls, recorded
    /// without running anything.
    func undo(on connection: RecordConnection) async throws -> @Sendable (SchemaChanges) async throws -> Void {
        if let down { return down }
        guard reversesItself else {
            throw RecordError(.irreversibleMigration, "Migration \(version) (\(name)) has no down")
        }
        let recorder = ChangeRecorder()
        try await up(SchemaChanges(connection: connection, recorder: recorder))
        let inverses = recorder.inverses.reversed()
        return { schema in for inverse in inverses { try await inverse.apply(to: schema) } }
    }
}

/// Runs migrations in version order, each in a transaction with its row in `schema_migrations`: forward with
/// ``migrate(on:)``, to any version with ``migrate(to:on:)``, back with ``rollback(steps:on:)``.
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
        try checkUnique()
        return try await up(to: .max, applied: Set(try await appliedVersions(on: connection)), on: connection)
    }

    /// Brings the database to `version`: applies the pending migrations up to it (ascending), or rolls back the
    /// applied ones above it (descending, each `down` in its own transaction, its row deleted). Returns the
    /// versions applied or rolled back, in the order they ran. `migrate(to: 0)` rolls back everything.
    ///
    /// Before anything runs it checks that every migration to roll back is known and has a `down`
    /// (``RecordError/Kind/irreversibleMigration`` otherwise). A failing step is rolled back and thrown; the
    /// steps before it stay done.
    @discardableResult
    public func migrate(to version: Int64, on connection: RecordConnection? = nil) async throws -> [Int64] {
        let connection = try connection ?? Records.connection
        try checkUnique()
        let applied = try await appliedVersions(on: connection)
        let above = applied.filter { $0 > version }.sorted(by: >)
        if !above.isEmpty { return try await roll(back: above, on: connection) }
        return try await up(to: version, applied: Set(applied), on: connection)
    }

    private func up(to version: Int64, applied: Set<Int64>, on connection: RecordConnection) async throws -> [Int64] {
        var done: [Int64] = []
        for migration in migrations where migration.version <= version && !applied.contains(migration.version) {
            try await run(migration, on: connection)
            done.append(migration.version)
        }
        return done
    }

    /// Rolls back the last `steps` applied migrations (Rails' `db:rollback STEP=n`); returns their versions,
    /// newest first.
    @discardableResult
    public func rollback(steps: Int = 1, on connection: RecordConnection? = nil) async throws -> [Int64] {
        let connection = try connection ?? Records.connection
        try checkUnique()
        let applied = try await appliedVersions(on: connection)
        return try await roll(back: Array(applied.sorted(by: >).prefix(max(steps, 0))), on: connection)
    }

    private func roll(back versions: [Int64], on connection: RecordConnection) async throws -> [Int64] {
        let byVersion = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        var plan: [(migration: Migration, undo: @Sendable (SchemaChanges) async throws -> Void)] = []
        for version in versions {
            guard let migration = byVersion[version] else {
                throw RecordError(.irreversibleMigration, "Version \(version) is applied but no migration has it; it cannot be rolled back")
            }
            plan.append((migration, try await migration.undo(on: connection)))
        }
        for step in plan { try await run(step.migration, undo: step.undo, on: connection) }
        return plan.map(\.migration.version)
    }

    private func checkUnique() throws {
        let versions = migrations.map(\.version)
        guard Set(versions).count == versions.count else {
            throw RecordError(.statementInvalid, "Duplicate migration versions in \(versions)")
        }
    }

    /// One migration in its own transaction. When the connection enforces foreign keys they are switched off
    /// around it (SQLite ignores the switch inside a transaction) so that a table rebuild cannot delete or orphan
    /// referencing rows; rebuilt tables are checked with `foreign_key_check` instead.
    private func run(
        _ migration: Migration, undo: (@Sendable (SchemaChanges) async throws -> Void)? = nil, on connection: RecordConnection
    ) async throws {
        let down = undo != nil
        let enforced = try await Self.foreignKeysEnforced(connection)
        if enforced { try await connection.execute("PRAGMA foreign_keys = OFF") }
        do {
            try await connection.transaction {
                try await connection.execute("PRAGMA defer_foreign_keys = ON")
                let changes = SchemaChanges(connection: connection, checksForeignKeys: enforced)
                try await (undo ?? migration.up)(changes)
                let version = String(migration.version)
                try await connection.execute(down
                    ? "DELETE FROM \"schema_migrations\" WHERE version = \(version)"
                    : "INSERT INTO \"schema_migrations\" (version) VALUES (\(version))")
            }
        } catch {
            if enforced { _ = try? await connection.execute("PRAGMA foreign_keys = ON") }
            throw error
        }
        if enforced { try await connection.execute("PRAGMA foreign_keys = ON") }
        connection.logger.debug(down ? "rolled back" : "migrated", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
    }

    static func foreignKeysEnforced(_ connection: RecordConnection) async throws -> Bool {
        try await connection.execute("PRAGMA foreign_keys").rows.first?.values.first == .integer(1)
    }

    private func ensureTable(_ connection: RecordConnection) async throws {
        try await connection.execute("CREATE TABLE IF NOT EXISTS \"schema_migrations\" (version TEXT NOT NULL PRIMARY KEY)")
    }
}

/// The schema-changing DSL a migration body receives; every call runs at once inside the migration's transaction.
public struct SchemaChanges: Sendable {
    let connection: RecordConnection
    /// Whether the connection enforced foreign keys before the migrator switched them off for the migration.
    var checksForeignKeys = false
    /// When set, calls are not run but their inverses recorded (rolling back a `change` migration).
    var recorder: ChangeRecorder?

    /// Records `inverse` instead of running the call when recording; `nil` inverse: the call has none.
    private func recorded(_ inverse: InverseChange?, _ call: String) throws -> Bool {
        guard let recorder else { return false }
        guard let inverse else {
            throw RecordError(.irreversibleMigration, "\(call) in a change migration cannot be undone; give the migration a down")
        }
        recorder.record(inverse)
        return true
    }

    /// The schema inspector of the same connection.
    public var inspector: SchemaInspector { SchemaInspector(connection) }

    /// Runs trusted SQL (a `CREATE TRIGGER`, a data fix).
    public func execute(_ statement: Statement) async throws {
        if try recorded(nil, "execute") { return }
        try await connection.execute(statement)
    }

    /// `CREATE TABLE` with an `id INTEGER PRIMARY KEY` (pass `primaryKey: nil` to declare your own).
    public func createTable(_ name: String, primaryKey: String? = "id", _ build: (inout TableBuilder) -> Void) async throws {
        if try recorded(.dropTable(name), "createTable") { return }
        var table = TableBuilder()
        build(&table)
        var parts: [String] = []
        if let primaryKey { parts.append("\(SQLQuoting.identifier(primaryKey)) INTEGER PRIMARY KEY") }
        parts += table.columns.map(\.sql)
        try await run("CREATE TABLE \(SQLQuoting.identifier(name)) (\(parts.joined(separator: ", ")))")
    }

    /// `DROP TABLE`.
    public func dropTable(_ name: String) async throws {
        if try recorded(nil, "dropTable") { return }
        try await run("DROP TABLE \(SQLQuoting.identifier(name))")
    }

    /// `ALTER TABLE … RENAME TO`.
    public func renameTable(_ name: String, to newName: String) async throws {
        if try recorded(.renameTable(newName, to: name), "renameTable") { return }
        try await run("ALTER TABLE \(SQLQuoting.identifier(name)) RENAME TO \(SQLQuoting.identifier(newName))")
    }

    /// `ALTER TABLE … ADD COLUMN` (SQLite requires a default for a `NOT NULL` column).
    public func addColumn(_ table: String, _ column: ColumnDefinition) async throws {
        if try recorded(.removeColumn(table, column.name), "addColumn") { return }
        try await run("ALTER TABLE \(SQLQuoting.identifier(table)) ADD COLUMN \(column.sql)")
    }

    /// `ALTER TABLE … ADD COLUMN name type`.
    public func addColumn(_ table: String, _ name: String, _ type: ColumnType, null: Bool = true, default value: ColumnDefault? = nil) async throws {
        try await addColumn(table, ColumnDefinition(name, type, null: null, default: value))
    }

    /// `ALTER TABLE … DROP COLUMN` (fails for indexed, key or constrained columns, as SQLite does).
    public func removeColumn(_ table: String, _ name: String) async throws {
        if try recorded(nil, "removeColumn") { return }
        try await run("ALTER TABLE \(SQLQuoting.identifier(table)) DROP COLUMN \(SQLQuoting.identifier(name))")
    }

    /// `ALTER TABLE … RENAME COLUMN`.
    public func renameColumn(_ table: String, _ name: String, to newName: String) async throws {
        if try recorded(.renameColumn(table, newName, to: name), "renameColumn") { return }
        try await run("ALTER TABLE \(SQLQuoting.identifier(table)) RENAME COLUMN \(SQLQuoting.identifier(name)) TO \(SQLQuoting.identifier(newName))")
    }

    /// `CREATE [UNIQUE] INDEX`, named `index_<table>_on_<columns>` by default.
    public func addIndex(_ table: String, _ columns: [String], unique: Bool = false, name: String? = nil) async throws {
        let indexName = name ?? "index_\(table)_on_\(columns.joined(separator: "_and_"))"
        if try recorded(.removeIndex(indexName), "addIndex") { return }
        try await run(
            "CREATE \(unique ? "UNIQUE " : "")INDEX \(SQLQuoting.identifier(indexName)) ON \(SQLQuoting.identifier(table)) (\(columns.map(SQLQuoting.identifier).joined(separator: ", ")))")
    }

    /// `DROP INDEX`.
    public func removeIndex(_ name: String) async throws {
        if try recorded(nil, "removeIndex") { return }
        try await run("DROP INDEX \(SQLQuoting.identifier(name))")
    }

    /// Changes a column's type, nullability or default by rebuilding the table (SQLite cannot alter a column),
    /// through the schema layer's rebuild: create the new table, copy the rows, drop the old one, rename, and
    /// recreate the indexes, triggers and views that depend on it. Everything else of the table is kept as
    /// written: other columns, table constraints (`CHECK`, `UNIQUE`, `PRIMARY KEY`, `FOREIGN KEY`), and the
    /// changed column's own `CHECK`, `COLLATE`, `PRIMARY KEY`, `UNIQUE` and `REFERENCES` clauses unless
    /// `column` declares its own. Rows that do not fit the new definition make the migration fail and roll back.
    public func changeColumn(_ table: String, _ column: ColumnDefinition) async throws {
        if try recorded(nil, "changeColumn") { return }
        try await rebuild(table) { definition in
            guard let index = definition.columns.firstIndex(where: { $0.name == column.name.lowercasedASCII }) else {
                throw RecordError(.statementInvalid, "Table \(table) has no column \(column.name)")
            }
            var kept: Set<String> = ["collate", "primary"]
            if column.check == nil { kept.insert("check") }
            if !column.isUnique { kept.insert("unique") }
            if column.references == nil { kept.insert("references") }
            let clauses = definition.clauses(ofColumn: index, kinds: kept)
            return definition.replacingColumn(at: index, with: ([column.sql] + clauses).joined(separator: " "))
        }
    }

    /// Adds a foreign key from `column` to `referencedTable(referencedColumn)` by rebuilding the table (as
    /// ``changeColumn(_:_:)`` does); existing rows must satisfy it when foreign keys are enforced.
    public func addForeignKey(_ table: String, column: String, references referencedTable: String, referencedColumn: String = "id", onDelete: String? = nil) async throws {
        if try recorded(nil, "addForeignKey") { return }
        try await rebuild(table) { definition in
            guard definition.columns.contains(where: { $0.name == column.lowercasedASCII }) else {
                throw RecordError(.statementInvalid, "Table \(table) has no column \(column)")
            }
            var constraint = "FOREIGN KEY (\(SQLQuoting.identifier(column))) REFERENCES \(SQLQuoting.identifier(referencedTable)) (\(SQLQuoting.identifier(referencedColumn)))"
            if let onDelete { constraint += " ON DELETE \(onDelete)" }
            return definition.addingConstraint(constraint)
        }
    }

    /// Rebuilds `table` with the definition `edit` returns, using ``SchemaMigrator``'s plan (read and run inside
    /// the migration's transaction, as one batch).
    private func rebuild(_ table: String, _ edit: (TableDefinition) throws -> String) async throws {
        let objects = SchemaMigrator.storedObjects(try await connection.execute(SchemaMigrator.storedObjectsQuery))
        guard let position = objects.firstIndex(where: { $0.type == "table" && $0.name.lowercasedASCII == table.lowercasedASCII }),
            let definition = TableDefinition(sql: objects[position].sql)
        else { throw RecordError(.statementInvalid, "No table \(table)") }
        let referencing = try await referencingTables(table, objects: objects)
        if try await Migrator.foreignKeysEnforced(connection), !referencing.isEmpty {
            throw RecordError(
                .statementInvalid,
                "Cannot rebuild \(table) while the migration's connection enforces foreign keys: \(referencing.joined(separator: ", ")) "
                    + "reference it, and dropping the old table would delete or orphan their rows. Run the migration on a "
                    + "connection with PRAGMA foreign_keys off.")
        }
        var desired = objects
        desired[position].sql = try edit(definition)
        let plan: SchemaPlan
        do {
            plan = try SchemaMigrator.computePlan(
                from: objects, to: try SchemaMigrator.schemaSQL(of: desired), options: SchemaOptions(),
                logger: connection.logger).0
        } catch let error as SchemaError {
            throw RecordError(.statementInvalid, "Cannot rebuild \(table): \(error.message)")
        }
        guard plan.skipped.isEmpty, plan.warnings.isEmpty else {
            throw RecordError(
                .statementInvalid,
                "Cannot rebuild \(table) safely: " + (plan.warnings + plan.skipped.map(\.purpose)).joined(separator: "; "))
        }
        try await connection.batch(plan.steps.map(\.statement))
        guard checksForeignKeys else { return }
        for name in [table] + referencing {
            let check = Statement(sql: "SELECT count(*) FROM pragma_foreign_key_check(?)", arguments: .positional([.text(name)]))
            let violations = try await connection.execute(check).rows.first?.values.first
            if let violations, violations != .integer(0) {
                throw RecordError(.invalidForeignKey, "Rebuilding \(table) leaves rows of \(name) whose parent row is missing")
            }
        }
    }

    /// The other tables with a foreign key to `table`.
    private func referencingTables(_ table: String, objects: [StoredObject]) async throws -> [String] {
        var names: [String] = []
        for object in objects where object.type == "table" && object.name.lowercasedASCII != table.lowercasedASCII
            && !SchemaSnapshot.isInternal(object.name)
        {
            let keys = try await connection.execute(Statement(
                sql: "SELECT \"table\" FROM pragma_foreign_key_list(?)", arguments: .positional([.text(object.name)])))
            if keys.rows.contains(where: { ($0.values.first.map(SchemaSnapshot.text) ?? "").lowercasedASCII == table.lowercasedASCII }) {
                names.append(object.name)
            }
        }
        return names
    }

    private func run(_ sql: String) async throws {
        try await connection.execute(Statement(sql: sql, arguments: .positional([])))
    }
}

/// What undoes one call of a `change` migration.
enum InverseChange: Sendable {
    case dropTable(String)
    case renameTable(String, to: String)
    case removeColumn(String, String)
    case renameColumn(String, String, to: String)
    case removeIndex(String)

    func apply(to schema: SchemaChanges) async throws {
        switch self {
        case .dropTable(let table): try await schema.dropTable(table)
        case .renameTable(let table, let newName): try await schema.renameTable(table, to: newName)
        case .removeColumn(let table, let column): try await schema.removeColumn(table, column)
        case .renameColumn(let table, let column, let newName): try await schema.renameColumn(table, column, to: newName)
        case .removeIndex(let name): try await schema.removeIndex(name)
        }
    }
}

/// Collects the inverses of a `change` body's calls, in call order.
final class ChangeRecorder: Sendable {
    private let storage = Mutex<[InverseChange]>([])

    func record(_ inverse: InverseChange) { storage.withLock { $0.append(inverse) } }

    var inverses: [InverseChange] { storage.withLock { $0 } }
}
