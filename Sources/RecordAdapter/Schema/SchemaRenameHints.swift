/// Reads `@rename` hints from a schema file's comments and applies renames to the replayed current schema.
enum SchemaRenameHints {
    /// The hints written in `script` as comments: `-- @rename table old TO new` or
    /// `-- @rename column table.old TO new`.
    static func parse(_ script: String) throws(SchemaError) -> [SchemaRename] {
        var renames: [SchemaRename] = []
        for token in SQLTokenizer.tokenize(script) where token.kind == .comment {
            var body = Substring(token.text)
            if body.hasPrefix("--") {
                body = body.dropFirst(2)
            } else {
                body = body.dropFirst(2)
                if body.hasSuffix("*/") { body = body.dropLast(2) }
            }
            let text = String(body).trimmingSQLWhitespace
            guard text.hasPrefix("@rename") else { continue }
            let words = SQLTokenizer.tokenize(String(text.dropFirst("@rename".count))).filter(\.isSignificant)
            let names = words.map { SQLToken.unquote($0.text) }
            let lowered = words.map { $0.isQuoted ? "" : $0.text.lowercasedASCII }
            if words.count == 4, lowered[0] == "table", lowered[2] == "to" {
                renames.append(.table(from: names[1], to: names[3]))
            } else if words.count == 6, lowered[0] == "column", words[2].text == ".", lowered[4] == "to" {
                renames.append(.column(table: names[1], from: names[3], to: names[5]))
            } else {
                throw SchemaError(
                    kind: .invalidRename,
                    message: "cannot read \"\(text)\"; write `@rename table old TO new` or `@rename column table.old TO new`")
            }
        }
        return renames
    }

    /// Whether a rename still has to run: `false` when it already happened, an error when it fits nothing.
    private static func needed(source: Bool, target: Bool, _ what: String) throws(SchemaError) -> Bool {
        if !source && target { return false }
        guard source && !target else {
            throw SchemaError(
                kind: .invalidRename, message: "cannot rename \(what): " + (source ? "both exist" : "neither exists"))
        }
        return true
    }

    /// Applies `renames` to `shadow` (the replayed current schema) and returns the statements that do the
    /// same on the database, with the renames they carry out. Renames already in effect are skipped, so hints can
    /// stay in the file.
    static func apply(
        _ renames: [SchemaRename], to shadow: SchemaShadow
    ) throws(SchemaError) -> (steps: [SchemaPlan.Step], applied: [SchemaRename]) {
        var steps: [SchemaPlan.Step] = []
        var applied: [SchemaRename] = []
        func tableExists(_ name: String) -> Bool {
            !((try? shadow.rows(
                "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1 COLLATE NOCASE", [name])) ?? []).isEmpty
        }
        func columnExists(_ table: String, _ column: String) -> Bool {
            !((try? shadow.rows(
                "SELECT 1 FROM pragma_table_xinfo(?1) WHERE name = ?2 COLLATE NOCASE", [table, column])) ?? []).isEmpty
        }
        for rename in renames {
            let sql: String, purpose: String
            switch rename {
            case .table(let from, let to):
                guard try needed(source: tableExists(from), target: tableExists(to), "table \(from) to \(to)") else { continue }
                sql = "ALTER TABLE \(SQLTokenizer.quote(from)) RENAME TO \(SQLTokenizer.quote(to))"
                purpose = "rename table \(from) to \(to)"
            case .column(let table, let from, let to):
                guard tableExists(table) else {
                    throw SchemaError(kind: .invalidRename, message: "cannot rename \(table).\(from): no table \(table)")
                }
                guard try needed(
                    source: columnExists(table, from), target: columnExists(table, to), "column \(table).\(from) to \(to)")
                else { continue }
                sql = "ALTER TABLE \(SQLTokenizer.quote(table)) RENAME COLUMN \(SQLTokenizer.quote(from)) TO \(SQLTokenizer.quote(to))"
                purpose = "rename column \(table).\(from) to \(to)"
            }
            do {
                try shadow.run(sql)
            } catch {
                throw SchemaError(kind: .invalidRename, message: "\(purpose): \(error.message)")
            }
            steps.append(SchemaPlan.Step(sql, purpose: purpose))
            applied.append(rename)
        }
        return (steps, applied)
    }
}
