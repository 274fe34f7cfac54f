import LibSQLClient

/// Compares a desired and a current ``SchemaSnapshot`` and orders the statements that turn one into the
/// other (design: `seed-and-schema-diff.md` 3.4–3.6).
struct SchemaPlanner {
    /// A data check run on the target before applying: SQL whose single value counts offending rows.
    struct Trial: Sendable {
        var table: String
        var setup: [SchemaPlan.Step]
        var count: SchemaPlan.Step
        var cleanup: [SchemaPlan.Step]
        var message: String
    }

    let desired: SchemaSnapshot
    let current: SchemaSnapshot
    let enableDrop: Bool

    private(set) var plan = SchemaPlan()
    private(set) var trials: [Trial] = []

    // Working sets, by lower-cased name.
    private var rebuilt: Set<String> = []
    private var frozen: Set<String> = []
    private var droppedTables: Set<String> = []
    /// Virtual tables dropped and created again (a subset of `droppedTables`).
    private var replaced: Set<String> = []
    private var droppedViews: Set<String> = []
    private var droppedIndexes: Set<String> = []

    /// The renames the plan starts with; data checks run before them, so they use the old names.
    let renames: [SchemaRename]

    init(
        desired: SchemaSnapshot, current: SchemaSnapshot, enableDrop: Bool, renameSteps: [SchemaPlan.Step],
        renames: [SchemaRename] = []
    ) {
        self.desired = desired
        self.current = current
        self.enableDrop = enableDrop
        self.renames = renames
        plan.steps = renameSteps
    }

    /// The name a table has on the database before the plan's renames.
    private func originalTable(_ name: String) -> String {
        for case .table(let from, let to) in renames.reversed() where to.lowercasedASCII == name.lowercasedASCII {
            return from
        }
        return name
    }

    /// The name a column has on the database before the plan's renames.
    private func originalColumn(_ column: String, of table: String) -> String {
        for case .column(let owner, let from, let to) in renames.reversed()
        where owner.lowercasedASCII == table.lowercasedASCII && to.lowercasedASCII == column.lowercasedASCII {
            return from
        }
        return column
    }

    private mutating func run(_ sql: String, _ arguments: [SQLValue] = [], _ purpose: String) {
        plan.steps.append(SchemaPlan.Step(sql, arguments: arguments, purpose: purpose))
    }

    private mutating func destructive(_ sql: String, _ purpose: String) -> Bool {
        if enableDrop {
            run(sql, [], purpose)
            return true
        }
        plan.skipped.append(SchemaPlan.Step(sql, purpose: purpose))
        return false
    }

    private static func q(_ name: String) -> String { SQLTokenizer.quote(name) }

    // MARK: Planning

    mutating func make() {
        var tableWork: [SchemaPlan.Step] = []
        var created: [SchemaSnapshot.Table] = []
        // 1. Classify tables.
        for table in desired.tables {
            guard let existing = current.table(table.key) else {
                created.append(table)
                continue
            }
            guard !current.opaque.contains(table.key), existing.form != table.form else { continue }
            if table.isVirtual || existing.isVirtual {
                if enableDrop {
                    droppedTables.insert(table.key)
                    replaced.insert(table.key)
                    created.append(table)
                } else {
                    frozen.insert(table.key)
                    plan.skipped.append(SchemaPlan.Step(
                        "DROP TABLE \(Self.q(existing.name))", purpose: "virtual table \(table.name) changed: drop and create"))
                    plan.skipped.append(SchemaPlan.Step(table.sql, purpose: "virtual table \(table.name) recreated"))
                }
                continue
            }
            tableWork += alterations(from: existing, to: table)
        }
        for table in current.tables where desired.table(table.key) == nil && !current.opaque.contains(table.key) {
            if enableDrop { droppedTables.insert(table.key) } else { frozen.insert(table.key) }
        }

        // 2. Views, triggers and indexes that must go before the tables change.
        let viewsToDrop = viewsToDrop()
        let triggersToDrop = triggersToDrop(viewsDropped: viewsToDrop)
        for trigger in current.triggers.reversed() where triggersToDrop.contains(trigger.key) {
            if desired.trigger(trigger.key) == nil && !enableDrop && !dependsOnChange(trigger) {
                plan.skipped.append(SchemaPlan.Step("DROP TRIGGER \(Self.q(trigger.name))", purpose: "trigger removed"))
                continue
            }
            run("DROP TRIGGER \(Self.q(trigger.name))", [], "drop trigger \(trigger.name) (recreated later if kept)")
        }
        for view in current.views.reversed() where viewsToDrop.contains(view.key) {
            if desired.view(view.key) == nil && !enableDrop && !dependsOnChange(view) {
                plan.skipped.append(SchemaPlan.Step("DROP VIEW \(Self.q(view.name))", purpose: "view removed"))
                continue
            }
            droppedViews.insert(view.key)
            run("DROP VIEW \(Self.q(view.name))", [], "drop view \(view.name) (recreated later if kept)")
        }
        for index in current.indexes where !rebuilt.contains(index.tableKey) && !droppedTables.contains(index.tableKey) {
            if let wanted = desired.index(index.key) {
                if wanted.form != index.form, !frozen.contains(index.tableKey) {
                    droppedIndexes.insert(index.key)
                    run("DROP INDEX \(Self.q(index.name))", [], "index \(index.name) changed: drop and create")
                }
            } else if !current.opaque.contains(index.key) {
                if destructive("DROP INDEX \(Self.q(index.name))", "index \(index.name) removed") {
                    droppedIndexes.insert(index.key)
                }
            }
        }

        // 3. Tables: replaced virtual tables dropped, new ones created, altered or rebuilt, dropped.
        for table in current.tables.reversed() where replaced.contains(table.key) {
            run("DROP TABLE \(Self.q(table.name))", [], "drop virtual table \(table.name) (created again)")
        }
        for table in created {
            run(table.sql, [], "create table \(table.name)")
        }
        plan.steps += tableWork
        for table in current.tables.reversed() where droppedTables.contains(table.key) && !replaced.contains(table.key) {
            run("DROP TABLE \(Self.q(table.name))", [], "drop table \(table.name)")
        }
        for table in current.tables where desired.table(table.key) == nil && !enableDrop
            && !current.opaque.contains(table.key)
        {
            plan.skipped.append(SchemaPlan.Step("DROP TABLE \(Self.q(table.name))", purpose: "table \(table.name) removed"))
        }

        addForeignKeyTrials()

        // 4. Indexes, views and triggers that must exist afterwards.
        for index in desired.indexes {
            let existing = current.index(index.key)
            let needed = existing == nil || droppedIndexes.contains(index.key) || rebuilt.contains(index.tableKey)
                || droppedTables.contains(index.tableKey)
            guard needed else { continue }
            if frozen.contains(index.tableKey) {
                plan.skipped.append(SchemaPlan.Step(index.sql, purpose: "index \(index.name) waits for a skipped table change"))
                continue
            }
            run(index.sql, [], existing == nil ? "create index \(index.name)" : "recreate index \(index.name)")
            if index.form.contains("unique"), current.table(index.tableKey) != nil {
                addDuplicateTrial(index)
            }
        }
        // Indexes lost with a rebuild that the plan may not drop are recreated as they were.
        for index in current.indexes where rebuilt.contains(index.tableKey) && desired.index(index.key) == nil {
            if !destructiveImplicit("DROP INDEX \(Self.q(index.name))", "index \(index.name) removed") {
                run(index.sql, [], "keep index \(index.name) (its drop is skipped)")
            }
        }
        for view in desired.views where current.view(view.key) == nil || droppedViews.contains(view.key) {
            run(view.sql, [], current.view(view.key) == nil ? "create view \(view.name)" : "recreate view \(view.name)")
        }
        for view in current.views where droppedViews.contains(view.key) && desired.view(view.key) == nil && !enableDrop {
            run(view.sql, [], "keep view \(view.name) (its drop is skipped)")
        }
        let lostTriggers = Set(current.triggers.filter { implicitlyDropped($0) || triggersToDrop.contains($0.key) }.map(\.key))
        for trigger in desired.triggers where current.trigger(trigger.key) == nil || lostTriggers.contains(trigger.key) {
            if frozen.contains(trigger.tableKey) {
                plan.skipped.append(SchemaPlan.Step(trigger.sql, purpose: "trigger \(trigger.name) waits for a skipped table change"))
                continue
            }
            run(trigger.sql, [], current.trigger(trigger.key) == nil ? "create trigger \(trigger.name)" : "recreate trigger \(trigger.name)")
        }
        for trigger in current.triggers where lostTriggers.contains(trigger.key) && desired.trigger(trigger.key) == nil
            && !droppedTables.contains(trigger.tableKey) && !(droppedViews.contains(trigger.tableKey) && enableDrop)
        {
            if implicitlyDropped(trigger), !destructiveImplicit("DROP TRIGGER \(Self.q(trigger.name))", "trigger \(trigger.name) removed") {
                run(trigger.sql, [], "keep trigger \(trigger.name) (its drop is skipped)")
            } else if !implicitlyDropped(trigger), !enableDrop, dependsOnChange(trigger) {
                run(trigger.sql, [], "keep trigger \(trigger.name) (its drop is skipped)")
            }
        }
    }

    /// Counts the rows of existing tables that a new foreign key would leave without a parent row.
    private mutating func addForeignKeyTrials() {
        for table in desired.tables where rebuilt.contains(table.key) {
            guard let existing = current.table(table.key) else { continue }
            for key in table.foreignKeys where !existing.foreignKeys.contains(key) {
                guard let parent = desired.table(key.parent.lowercasedASCII) else { continue }
                let parentKeys = key.to.contains(nil)
                    ? parent.columns.filter { $0.primaryKeyPosition > 0 }.sorted { $0.primaryKeyPosition < $1.primaryKeyPosition }
                        .map(\.name)
                    : key.to.compactMap { $0 }
                guard parentKeys.count == key.from.count,
                    key.from.allSatisfy({ name in existing.columns.contains { $0.key == name.lowercasedASCII } })
                else { continue }
                let children = key.from.map { "c." + Self.q(originalColumn($0, of: existing.name)) }
                var sql = "SELECT count(*) FROM main.\(Self.q(originalTable(existing.name))) AS c WHERE "
                    + children.map { "\($0) IS NOT NULL" }.joined(separator: " AND ")
                if let existingParent = current.table(parent.key),
                    parentKeys.allSatisfy({ name in existingParent.columns.contains { $0.key == name.lowercasedASCII } })
                {
                    let matches = zip(parentKeys, children).map { parentColumn, child in
                        "p.\(Self.q(originalColumn(parentColumn, of: existingParent.name))) = \(child)"
                    }
                    sql += " AND NOT EXISTS (SELECT 1 FROM main.\(Self.q(originalTable(existingParent.name))) AS p WHERE "
                        + matches.joined(separator: " AND ") + ")"
                } else if current.table(parent.key) != nil {
                    continue
                }
                trials.append(Trial(
                    table: table.name, setup: [], count: SchemaPlan.Step(sql, purpose: "check"), cleanup: [],
                    message: "reference a missing row of \(parent.name) (new foreign key on \(key.from.joined(separator: ", ")))"))
            }
        }
    }

    /// Records an implicit drop (it happens with a rebuild) as skipped when drops are off.
    private mutating func destructiveImplicit(_ sql: String, _ purpose: String) -> Bool {
        if enableDrop { return true }
        plan.skipped.append(SchemaPlan.Step(sql, purpose: purpose))
        return false
    }

    private func implicitlyDropped(_ trigger: SchemaSnapshot.Object) -> Bool {
        rebuilt.contains(trigger.tableKey) || droppedViews.contains(trigger.tableKey)
    }

    /// Whether a view or trigger mentions a table that is rebuilt or dropped, or a view that is dropped.
    private func dependsOnChange(_ object: SchemaSnapshot.Object) -> Bool {
        let changed = rebuilt.union(droppedTables).union(droppedViews)
        return changed.contains { object.key != $0 && SQLTokenizer.mentions(object.tokens, $0) }
    }

    private func viewsToDrop() -> Set<String> {
        var result: Set<String> = []
        for view in current.views where !current.opaque.contains(view.key) {
            if let wanted = desired.view(view.key) {
                if wanted.form != view.form { result.insert(view.key) }
            } else {
                result.insert(view.key)
            }
        }
        let changedTables = rebuilt.union(droppedTables)
        var grew = true
        while grew {
            grew = false
            for view in current.views where !result.contains(view.key) {
                if changedTables.union(result).contains(where: { SQLTokenizer.mentions(view.tokens, $0) }) {
                    result.insert(view.key)
                    grew = true
                }
            }
        }
        return result
    }

    private func triggersToDrop(viewsDropped: Set<String>) -> Set<String> {
        var result: Set<String> = []
        let changed = rebuilt.union(droppedTables).union(viewsDropped)
        for trigger in current.triggers where !current.opaque.contains(trigger.key) {
            // Triggers on a rebuilt or dropped table or view go with it.
            guard !rebuilt.contains(trigger.tableKey), !droppedTables.contains(trigger.tableKey),
                !(viewsDropped.contains(trigger.tableKey) && desired.view(trigger.tableKey) == nil && enableDrop)
            else { continue }
            if let wanted = desired.trigger(trigger.key), wanted.form == trigger.form,
                !changed.contains(where: { SQLTokenizer.mentions(trigger.tokens, $0) })
            {
                continue
            }
            if viewsDropped.contains(trigger.tableKey) { continue }
            result.insert(trigger.key)
        }
        return result
    }

    // MARK: Tables

    /// The steps that turn `existing` into `table`: ADD COLUMN or DROP COLUMN where SQLite allows it, else a
    /// rebuild.
    private mutating func alterations(from existing: SchemaSnapshot.Table, to table: SchemaSnapshot.Table) -> [SchemaPlan.Step] {
        let reasons = differences(from: existing, to: table)
        if let old = existing.definition, let new = table.definition, old.constraints == new.constraints,
            old.options == new.options
        {
            let oldForms = old.columns.map(\.form), newForms = new.columns.map(\.form)
            if newForms.count > oldForms.count, Array(newForms.prefix(oldForms.count)) == oldForms,
                new.columns[oldForms.count...].allSatisfy({ canAdd($0, to: table) })
            {
                return new.columns[oldForms.count...].map { column in
                    SchemaPlan.Step(
                        "ALTER TABLE \(Self.q(existing.name)) ADD COLUMN \(column.text)",
                        purpose: "table \(table.name): add column \(column.name)")
                }
            }
            if newForms.count < oldForms.count, newForms.count > 0 {
                let kept = Set(new.columns.map(\.name))
                let removed = old.columns.filter { !kept.contains($0.name) }
                if old.columns.filter({ kept.contains($0.name) }).map(\.form) == newForms,
                    removed.allSatisfy({ canDrop($0, from: existing, definition: old) })
                {
                    var steps: [SchemaPlan.Step] = []
                    for column in removed {
                        let step = SchemaPlan.Step(
                            "ALTER TABLE \(Self.q(existing.name)) DROP COLUMN \(Self.q(column.name))",
                            purpose: "table \(table.name): drop column \(column.name)")
                        if enableDrop { steps.append(step) } else { plan.skipped.append(step) }
                    }
                    if !enableDrop { frozen.insert(table.key) }
                    return steps
                }
            }
        }
        return rebuild(existing, to: table, reasons: reasons)
    }

    private func canAdd(_ column: TableDefinition.Column, to table: SchemaSnapshot.Table) -> Bool {
        guard let info = table.columns.first(where: { $0.key == column.name }) else { return false }
        if info.primaryKeyPosition > 0 || info.hidden == 3 { return false }
        if info.notNull && info.defaultValue == nil && !info.isGenerated { return false }
        if let value = info.defaultValue?.lowercasedASCII, value.hasPrefix("current_") || value.hasPrefix("(") {
            return false
        }
        if table.indexes.contains(where: { $0.origin != "c" && $0.columns.contains(info.name) }) { return false }
        if table.foreignKeys.contains(where: { $0.from.contains(info.name) }) && info.defaultValue != nil {
            return false
        }
        return true
    }

    private func canDrop(
        _ column: TableDefinition.Column, from table: SchemaSnapshot.Table, definition: TableDefinition
    ) -> Bool {
        let name = column.name
        guard let info = table.columns.first(where: { $0.key == name }), info.primaryKeyPosition == 0 else { return false }
        for index in table.indexes {
            if index.columns.contains(where: { $0?.lowercasedASCII == name }) { return false }
            if index.columns.contains(nil) || index.isPartial,
                let object = current.index(index.name.lowercasedASCII), SQLTokenizer.mentions(object.tokens, name)
            {
                return false
            }
        }
        if SQLTokenizer.mentions(definition.constraintTokens, name) { return false }
        if definition.columns.contains(where: { $0.name != name && SQLTokenizer.mentions($0.tokens, name) }) {
            return false
        }
        if (current.views + current.triggers).contains(where: { SQLTokenizer.mentions($0.tokens, name) }) {
            return false
        }
        return true
    }

    /// What differs between two versions of a table, for the plan's purposes and warnings.
    private func differences(from old: SchemaSnapshot.Table, to new: SchemaSnapshot.Table) -> [String] {
        var reasons: [String] = []
        let oldColumns = Dictionary(old.columns.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        let newKeys = Set(new.columns.map(\.key))
        for column in new.columns {
            guard let before = oldColumns[column.key] else {
                reasons.append("column \(column.name) added")
                continue
            }
            if before.type != column.type { reasons.append("column \(column.name) type \(before.type) -> \(column.type)") }
            if before.notNull != column.notNull {
                reasons.append("column \(column.name) \(column.notNull ? "NOT NULL added" : "NOT NULL removed")")
            }
            if before.defaultValue != column.defaultValue {
                reasons.append("column \(column.name) default \(before.defaultValue ?? "NULL") -> \(column.defaultValue ?? "NULL")")
            }
            if before.primaryKeyPosition != column.primaryKeyPosition { reasons.append("primary key changed") }
            if before.hidden != column.hidden { reasons.append("column \(column.name) generated kind changed") }
        }
        for column in old.columns where !newKeys.contains(column.key) { reasons.append("column \(column.name) removed") }
        if old.columns.map(\.key).filter(newKeys.contains) != new.columns.map(\.key).filter({ oldColumns[$0] != nil }) {
            reasons.append("column order changed")
        }
        if old.foreignKeys != new.foreignKeys { reasons.append("foreign keys changed") }
        if old.definition?.options != new.definition?.options { reasons.append("table options (STRICT, WITHOUT ROWID) changed") }
        if old.hasAutoincrement != new.hasAutoincrement { reasons.append("AUTOINCREMENT changed") }
        if reasons.isEmpty { reasons.append("definition changed (constraint, collation, CHECK or generated expression)") }
        return reasons
    }

    /// The 12-step rebuild (design 3.5), minus the steps the batch itself does (foreign keys off, BEGIN,
    /// foreign key check, COMMIT).
    private mutating func rebuild(
        _ existing: SchemaSnapshot.Table, to table: SchemaSnapshot.Table, reasons: [String]
    ) -> [SchemaPlan.Step] {
        guard let definition = table.definition else { return [] }
        let purpose = "rebuild table \(table.name): " + reasons.joined(separator: "; ")
        let oldColumns = Dictionary(existing.columns.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        let copied = table.columns.filter { !$0.isGenerated && oldColumns[$0.key].map { !$0.isGenerated } == true }
        let lost = existing.columns.filter { column in !column.isGenerated && !table.columns.contains { $0.key == column.key } }
        let temporary = "_schema_new_" + table.name
        var steps = [SchemaPlan.Step(definition.renamed(to: temporary), purpose: purpose)]
        if !copied.isEmpty {
            // Rowids survive too, unless a column is the rowid (INTEGER PRIMARY KEY, copied by name) or a side
            // has none.
            let keepsRowid = Self.hasImplicitRowid(existing) && Self.hasImplicitRowid(table)
            let targets = (keepsRowid ? ["rowid"] : []) + copied.map { Self.q($0.name) }
            let sources = (keepsRowid ? ["rowid"] : []) + copied.map { Self.q(oldColumns[$0.key]!.name) }
            let targetList = targets.joined(separator: ", "), sourceList = sources.joined(separator: ", ")
            steps.append(SchemaPlan.Step(
                "INSERT INTO \(Self.q(temporary)) (\(targetList)) SELECT \(sourceList) FROM \(Self.q(existing.name))",
                purpose: "copy the rows of \(table.name)"))
            let original = Self.q(originalTable(existing.name))
            let originalSources = ((keepsRowid ? ["rowid"] : [])
                + copied.map { Self.q(originalColumn(oldColumns[$0.key]!.name, of: existing.name)) })
                .joined(separator: ", ")
            trials.append(Trial(
                table: table.name,
                setup: [
                    SchemaPlan.Step(definition.renamed(to: "_schema_check", temporary: true), purpose: "check"),
                    SchemaPlan.Step(
                        "INSERT OR IGNORE INTO temp.\"_schema_check\" (\(targetList)) SELECT \(originalSources) FROM main.\(original)",
                        purpose: "check"),
                ],
                count: SchemaPlan.Step(
                    "SELECT (SELECT count(*) FROM main.\(original)) - (SELECT count(*) FROM temp.\"_schema_check\")",
                    purpose: "check"),
                cleanup: [SchemaPlan.Step("DROP TABLE temp.\"_schema_check\"", purpose: "check")],
                message: "violate a NOT NULL, UNIQUE, PRIMARY KEY or CHECK constraint of the new definition"))
        }
        if existing.hasAutoincrement && table.hasAutoincrement {
            steps.append(SchemaPlan.Step(
                "DELETE FROM main.sqlite_sequence WHERE name = ?", arguments: [.text(temporary)],
                purpose: "keep the AUTOINCREMENT counter of \(table.name)"))
            steps.append(SchemaPlan.Step(
                "INSERT INTO main.sqlite_sequence (name, seq) SELECT ?, seq FROM main.sqlite_sequence WHERE name = ?",
                arguments: [.text(temporary), .text(existing.name)], purpose: "keep the AUTOINCREMENT counter of \(table.name)"))
        }
        steps.append(SchemaPlan.Step("DROP TABLE \(Self.q(existing.name))", purpose: "replace \(table.name)"))
        steps.append(SchemaPlan.Step(
            "ALTER TABLE \(Self.q(temporary)) RENAME TO \(Self.q(table.name))", purpose: "replace \(table.name)"))
        if !lost.isEmpty && !enableDrop {
            frozen.insert(table.key)
            plan.skipped += steps
            plan.warnings.append(
                "table \(table.name) needs a rebuild that drops column(s) \(lost.map(\.name).joined(separator: ", ")); "
                    + "skipped without --enable-drop")
            return []
        }
        rebuilt.insert(table.key)
        return steps
    }

    /// Whether the table has a rowid that no column aliases (a rowid table without INTEGER PRIMARY KEY, and no
    /// column named like the rowid).
    private static func hasImplicitRowid(_ table: SchemaSnapshot.Table) -> Bool {
        guard let definition = table.definition, !definition.options.contains("without") else { return false }
        if table.columns.contains(where: { ["rowid", "oid", "_rowid_"].contains($0.key) }) { return false }
        let keys = table.columns.filter { $0.primaryKeyPosition > 0 }
        return !(keys.count == 1 && keys[0].type.lowercasedASCII == "integer")
    }

    /// Counts rows that share a key of a new UNIQUE index (simple column indexes only).
    private mutating func addDuplicateTrial(_ index: SchemaSnapshot.Object) {
        guard let table = desired.table(index.tableKey), let existing = current.table(index.tableKey),
            let info = table.indexes.first(where: { $0.name.lowercasedASCII == index.key }), !info.isPartial
        else { return }
        let columns = info.columns.compactMap { $0 }
        guard columns.count == info.columns.count,
            columns.allSatisfy({ name in existing.columns.contains { $0.key == name.lowercasedASCII } })
        else {
            plan.warnings.append("unique index \(index.name) on an expression or a partial range cannot be pre-checked; "
                + "duplicates would make the apply fail and roll back")
            return
        }
        let originals = columns.map { Self.q(originalColumn($0, of: existing.name)) }
        let keys = originals.joined(separator: ", ")
        let filter = originals.map { "\($0) IS NOT NULL" }.joined(separator: " AND ")
        trials.append(Trial(
            table: table.name, setup: [],
            count: SchemaPlan.Step(
                "SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM main.\(Self.q(originalTable(existing.name))) WHERE \(filter) "
                    + "GROUP BY \(keys) HAVING count(*) > 1)",
                purpose: "check"),
            cleanup: [], message: "share a key of the new unique index \(index.name)"))
    }
}
