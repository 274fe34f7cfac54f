import LibSQLClient
import Logging

/// Declarative schema management: compares a schema file (`CREATE TABLE/INDEX/VIEW/TRIGGER` statements) with a
/// live database and applies only the difference, atomically.
///
/// ```swift
/// let database = try Database(url: "libsql://my-db.turso.io", authToken: token)
/// let migrator = SchemaMigrator(database: database)
/// let plan = try await migrator.plan(for: desiredSQL)      // dry run
/// print(plan.script)
/// try await migrator.apply(desiredSQL)                     // one atomic batch, then a re-diff
/// ```
///
/// Both sides are loaded into private in-memory SQLite databases and read with the same PRAGMAs; column changes
/// SQLite cannot `ALTER` are done by rebuilding the table with its rows, AUTOINCREMENT counter, indexes,
/// triggers and dependent views. See `Docs/Schema.md`.
public struct SchemaMigrator: Sendable {
    /// Where one step of ``apply(_:progress:)`` is.
    public enum Progress: Sendable, Hashable {
        /// Reading the current schema (after syncing the replica, if any).
        case pulling
        /// Comparing it with the file.
        case computing
        /// The plan is known.
        case computed(SchemaPlan)
        /// Sending the plan as one batch.
        case applying
        /// Reading the schema again to confirm.
        case confirming
        /// The step before finished.
        case done
    }

    /// The database to read and change (always the primary, never a replica copy).
    public let database: any DatabaseConnection
    /// Drop and rename options.
    public var options: SchemaOptions
    /// Called before the current schema is read and after applying: pulls an embedded replica from the
    /// primary. `nil` when no replica is involved.
    public var synchronize: (@Sendable () async throws -> Void)?
    /// Where the migrator logs (debug level).
    public var logger: Logger

    /// Creates a migrator for `database`.
    public init(
        database: any DatabaseConnection, options: SchemaOptions = SchemaOptions(),
        synchronize: (@Sendable () async throws -> Void)? = nil,
        logger: Logger = Logger(label: "RecordAdapter.Schema", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.database = database
        self.options = options
        self.synchronize = synchronize
        self.logger = logger
    }

    // MARK: Export

    /// The current schema as SQL: each stored `CREATE` statement ending with `;`, without SQLite's internal
    /// tables and the shadow tables of virtual tables.
    public func currentSchemaSQL() async throws -> String {
        try Self.schemaSQL(of: try await currentObjects())
    }

    /// The stored objects as a schema script, without SQLite's internal tables and virtual tables' shadows.
    static func schemaSQL(of objects: [StoredObject]) throws -> String {
        let shadow = try SchemaShadow()
        let (_, opaque) = shadow.replay(objects)
        return objects.filter { object in
            !SchemaSnapshot.isInternal(object.name) && !SchemaSnapshot.isInternal(object.tableName)
                && (opaque.contains(object.name.lowercasedASCII) || !(object.type == "table" && shadow.isShadowTable(object.name)))
        }.map { $0.sql + ";\n" }.joined(separator: "\n")
    }

    // MARK: Diff

    /// The dry run: the plan that would bring the database to `desiredSQL`, with data checks counted on the
    /// database (rows that would break NOT NULL, UNIQUE, PRIMARY KEY or CHECK constraints).
    ///
    /// Changes nothing. Throws ``SchemaError`` when the file is invalid or a rename hint does not fit.
    public func plan(for desiredSQL: String) async throws -> SchemaPlan {
        let (plan, trials) = try await computePlan(desiredSQL)
        var result = plan
        result.problems = try await runTrials(trials)
        return result
    }

    private func computePlan(_ desiredSQL: String) async throws -> (SchemaPlan, [SchemaPlanner.Trial]) {
        try Self.computePlan(from: try await currentObjects(), to: desiredSQL, options: options, logger: logger)
    }

    /// The plan from the stored objects `objects` (however they were read: a migration reads them inside its
    /// transaction) to `desiredSQL`, rehearsed on a copy of the schema, and its data checks.
    static func computePlan(
        from objects: [StoredObject], to desiredSQL: String, options: SchemaOptions, logger: Logger
    ) throws -> (SchemaPlan, [SchemaPlanner.Trial]) {
        let desiredShadow = try SchemaShadow()
        try desiredShadow.load(script: desiredSQL)
        let desired = try SchemaSnapshot(desiredShadow)
        try Self.validate(desired, in: desiredShadow)
        let renames = try SchemaRenameHints.parse(desiredSQL) + options.renames

        let currentShadow = try SchemaShadow()
        let (warnings, opaque) = currentShadow.replay(objects)
        let (renameSteps, applied) = try SchemaRenameHints.apply(renames, to: currentShadow)
        var current = try SchemaSnapshot(currentShadow)
        current.opaque = opaque

        var planner = SchemaPlanner(
            desired: desired, current: current, enableDrop: options.enableDrop, renameSteps: renameSteps,
            renames: applied)
        planner.make()
        var plan = planner.plan
        plan.warnings = warnings + plan.warnings
            + (try Self.rehearse(plan, skipping: renameSteps.count, on: currentShadow, desired: desired))
        logger.debug("schema plan", metadata: ["steps": "\(plan.steps.count)", "skipped": "\(plan.skipped.count)"])
        return (plan, planner.trials)
    }

    /// Checks what SQLite accepts lazily: views must compile, foreign keys must name existing tables and columns.
    private static func validate(_ desired: SchemaSnapshot, in shadow: SchemaShadow) throws(SchemaError) {
        for view in desired.views {
            do {
                _ = try shadow.rows("SELECT * FROM \(SQLTokenizer.quote(view.name)) LIMIT 0")
            } catch {
                throw SchemaError(kind: .invalidDesiredSchema, message: "view \(view.name): \(error.message)")
            }
        }
        for table in desired.tables {
            for key in table.foreignKeys {
                guard let parent = desired.table(key.parent.lowercasedASCII) else {
                    throw SchemaError(
                        kind: .invalidDesiredSchema,
                        message: "table \(table.name): foreign key references the missing table \(key.parent)")
                }
                for column in key.to.compactMap({ $0 }) where !parent.columns.contains(where: { $0.key == column.lowercasedASCII }) {
                    throw SchemaError(
                        kind: .invalidDesiredSchema,
                        message: "table \(table.name): foreign key references the missing column \(key.parent).\(column)")
                }
            }
        }
    }

    /// Runs the plan (after its renames) on the replayed current schema (no rows): SQLite must accept every step, and afterwards
    /// every object must match the file, or the difference is returned as a warning.
    private static func rehearse(
        _ plan: SchemaPlan, skipping renames: Int, on shadow: SchemaShadow, desired: SchemaSnapshot
    ) throws(SchemaError) -> [String] {
        do {
            try shadow.run("PRAGMA foreign_keys=OFF")
            try shadow.run("BEGIN")
            // The renames already ran on the shadow.
            for step in plan.steps.dropFirst(renames) {
                if step.arguments.isEmpty {
                    try shadow.run(step.sql)
                } else {
                    _ = try shadow.rows(step.sql, step.arguments.map { SchemaSnapshot.text($0) })
                }
            }
            try shadow.run("COMMIT")
        } catch {
            throw SchemaError(
                kind: .internalFailure, message: "the plan fails on a copy of the current schema: \(error.message)")
        }
        guard plan.skipped.isEmpty else { return [] }
        let after = try SchemaSnapshot(shadow)
        var warnings: [String] = []
        func compare(_ kind: String, _ wanted: [(String, [String])], _ actual: [(String, [String])]) {
            let have = Dictionary(actual.map { ($0.0, $0.1) }, uniquingKeysWith: { first, _ in first })
            for (name, form) in wanted where have[name] != form {
                warnings.append("\(kind) \(name) still differs after the plan; it is not handled")
            }
        }
        compare("table", desired.tables.map { ($0.key, $0.form) }, after.tables.map { ($0.key, $0.form) })
        compare("index", desired.indexes.map { ($0.key, $0.form) }, after.indexes.map { ($0.key, $0.form) })
        compare("view", desired.views.map { ($0.key, $0.form) }, after.views.map { ($0.key, $0.form) })
        compare("trigger", desired.triggers.map { ($0.key, $0.form) }, after.triggers.map { ($0.key, $0.form) })
        return warnings
    }

    /// Counts offending rows on the database, in one batch that changes only temporary tables.
    private func runTrials(_ trials: [SchemaPlanner.Trial]) async throws -> [SchemaPlan.DataProblem] {
        guard !trials.isEmpty else { return [] }
        var statements: [Statement] = []
        var owners: [Int] = []
        var counts: [Int: Int] = [:]
        for (number, trial) in trials.enumerated() {
            for step in trial.setup {
                statements.append(step.statement)
                owners.append(number)
            }
            counts[statements.count] = number
            statements.append(trial.count.statement)
            owners.append(number)
            for step in trial.cleanup {
                statements.append(step.statement)
                owners.append(number)
            }
        }
        do {
            let results = try await database.migrate(statements)
            return counts.sorted { $0.key < $1.key }.compactMap { index, number in
                guard case .integer(let count)? = results[index].rows.first?.values.first, count > 0 else { return nil }
                return SchemaPlan.DataProblem(table: trials[number].table, rowCount: Int(count), message: trials[number].message)
            }
        } catch let error as LibSQLError where error.statementIndex != nil {
            guard let index = error.statementIndex, index < owners.count else { throw error }
            let trial = trials[owners[index]]
            return [SchemaPlan.DataProblem(table: trial.table, rowCount: nil, message: "rows cannot be copied: \(error.message)")]
        }
    }

    // MARK: Apply

    /// Brings the database to `desiredSQL`: syncs the replica, plans, checks the data, runs the whole plan as
    /// one batch (foreign keys off, every step conditioned on the previous, a foreign key check before COMMIT,
    /// rollback on any failure), syncs again and re-diffs, which must come back empty.
    ///
    /// Returns the plan that was applied (empty when the database was up to date). Throws ``SchemaError``
    /// (``SchemaError/Kind/dataViolation`` with the counted rows, ``SchemaError/Kind/applyFailed``) and changes
    /// nothing when it throws before the batch or the batch fails.
    @discardableResult
    public func apply(
        _ desiredSQL: String, progress: @Sendable (Progress) -> Void = { _ in }
    ) async throws -> SchemaPlan {
        progress(.pulling)
        try await synchronize?()
        progress(.done)
        progress(.computing)
        let plan = try await self.plan(for: desiredSQL)
        progress(.computed(plan))
        guard plan.problems.isEmpty else {
            throw SchemaError(
                kind: .dataViolation, message: plan.problems.map(\.description).joined(separator: "; "),
                problems: plan.problems)
        }
        guard !plan.isEmpty else { return plan }
        progress(.applying)
        try await execute(plan)
        progress(.done)
        progress(.confirming)
        try await synchronize?()
        let (after, _) = try await computePlan(desiredSQL)
        guard after.isEmpty else {
            throw SchemaError(
                kind: .verificationFailed,
                message: "\(after.steps.count) statement(s) still pending: "
                    + after.steps.map(\.purpose).joined(separator: "; "))
        }
        progress(.done)
        return plan
    }

    /// The statements of the foreign key check that runs just before COMMIT: a CHECK constraint turns any row
    /// of `pragma_foreign_key_check` into a failure, which rolls the whole batch back.
    static let foreignKeyGuard = [
        "CREATE TEMP TABLE \"_schema_fk_guard\" (violations INTEGER CONSTRAINT foreign_key_check_failed CHECK (violations = 0))",
        "INSERT INTO temp.\"_schema_fk_guard\" SELECT count(*) FROM pragma_foreign_key_check",
        "DROP TABLE temp.\"_schema_fk_guard\"",
    ]

    private func execute(_ plan: SchemaPlan) async throws {
        let statements = plan.steps.map(\.statement) + Self.foreignKeyGuard.map { Statement($0) }
        do {
            try await database.migrate(statements)
        } catch let error as LibSQLError {
            guard error.statementIndex != nil else {
                throw SchemaError(
                    kind: .applyFailed,
                    message: "the batch did not complete (\(error.message)); it runs in one transaction, so the "
                        + "database has either all of it or none of it: run the diff again",
                    underlying: error.description)
            }
            let index = error.statementIndex ?? -1
            let message: String
            if index >= plan.steps.count {
                message = "foreign_key_check found rows whose parent row is missing"
            } else if index >= 0 {
                message = "step \(index + 1) (\(plan.steps[index].purpose)) failed: \(error.message)\n    "
                    + plan.steps[index].sql
            } else {
                message = error.message
            }
            throw SchemaError(kind: .applyFailed, message: message, underlying: error.description)
        }
    }

    // MARK: Reading the current schema

    private func currentObjects() async throws -> [StoredObject] {
        Self.storedObjects(try await database.execute(Self.storedObjectsQuery))
    }

    static let storedObjectsQuery: Statement =
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid"

    static func storedObjects(_ result: ResultSet) -> [StoredObject] {
        result.rows.map { row in
            StoredObject(
                type: SchemaSnapshot.text(row[0]), name: SchemaSnapshot.text(row[1]),
                tableName: SchemaSnapshot.text(row[2]), sql: SchemaSnapshot.text(row[3]))
        }
    }
}
