/// The parts of a `CREATE TABLE` statement SQLite has stored, cut at its top-level commas.
///
/// SQLite has already parsed and accepted the statement; this only locates the table name, each column
/// definition, the table constraints and the options, so that columns can be compared one by one and a
/// definition re-issued under another name.
struct TableDefinition: Sendable, Hashable {
    /// One column definition: its normalised name, its text as written, and its comparable form.
    struct Column: Sendable, Hashable {
        var name: String
        var text: String
        var form: [String]
        var tokens: [SQLToken]
    }

    var tokens: [SQLToken]
    /// The index in `tokens` of the table name.
    var nameIndex: Int
    var columns: [Column]
    /// Where each column definition is in `tokens`, in the order of `columns`.
    var columnRanges: [Range<Int>]
    /// The index in `tokens` of the parenthesis closing the body.
    var closeIndex: Int
    /// Table constraints (`PRIMARY KEY (…)`, `UNIQUE`, `CHECK`, `FOREIGN KEY`, `CONSTRAINT …`), normalised.
    var constraints: [[String]]
    var constraintTokens: [SQLToken]
    /// What follows the closing parenthesis (`STRICT`, `WITHOUT ROWID`), normalised.
    var options: [String]

    /// Splits `sql`; `nil` when it has no parenthesised body (virtual tables are compared as text).
    init?(sql: String) {
        let tokens = SQLTokenizer.tokenize(sql)
        self.tokens = tokens
        let significant = tokens.indices.filter { tokens[$0].isSignificant }
        guard let tableKeyword = significant.first(where: { tokens[$0].isKeyword("table") }),
            let open = significant.first(where: { $0 > tableKeyword && tokens[$0].text == "(" })
        else { return nil }
        // The name is the last word before "(" (after an optional schema and ".").
        guard let name = significant.last(where: { $0 < open && tokens[$0].kind == .word }) else { return nil }
        nameIndex = name
        var depth = 0
        var itemStart = open + 1
        var items: [Range<Int>] = []
        var close: Int?
        for index in (open + 1)..<tokens.count where tokens[index].kind == .symbol {
            switch tokens[index].text {
            case "(": depth += 1
            case ")" where depth == 0:
                items.append(itemStart..<index)
                close = index
            case ")": depth -= 1
            case "," where depth == 0:
                items.append(itemStart..<index)
                itemStart = index + 1
            default: break
            }
            if close != nil { break }
        }
        guard let close else { return nil }
        closeIndex = close
        columnRanges = []
        let constraintWords: Set<String> = ["constraint", "primary", "unique", "check", "foreign"]
        columns = []
        constraints = []
        constraintTokens = []
        for item in items {
            let slice = Array(tokens[item])
            let words = slice.filter(\.isSignificant)
            guard let first = words.first else { continue }
            if !first.isQuoted, first.kind == .word, constraintWords.contains(first.text.lowercasedASCII) {
                constraints.append(SQLTokenizer.normalizedForm(slice))
                constraintTokens += slice
            } else {
                let text = SQLTokenizer.text(slice.map { $0.kind == .comment ? SQLToken(kind: .whitespace, text: " ") : $0 })
                    .trimmingSQLWhitespace
                columns.append(
                    Column(name: first.normalized, text: text, form: SQLTokenizer.normalizedForm(slice), tokens: slice))
                columnRanges.append(item)
            }
        }
        options = SQLTokenizer.normalizedForm(Array(tokens[(close + 1)...]))
    }

    /// The statement with the definition of column `index` replaced by `text` (trusted DDL).
    func replacingColumn(at index: Int, with text: String) -> String {
        var copy = tokens
        copy.replaceSubrange(columnRanges[index], with: [SQLToken(kind: .whitespace, text: " "), SQLToken(kind: .word, text: text)])
        return SQLTokenizer.text(copy)
    }

    /// The statement with a table constraint (trusted DDL) appended to its body.
    func addingConstraint(_ text: String) -> String {
        var copy = tokens
        copy.insert(SQLToken(kind: .word, text: ", " + text), at: closeIndex)
        return SQLTokenizer.text(copy)
    }

    /// The column-level constraint clauses of column `index` whose first keyword is in `kinds` (`check`,
    /// `collate`, `primary`, `unique`, `references`), each with its `CONSTRAINT name` prefix, as written.
    func clauses(ofColumn index: Int, kinds: Set<String>) -> [String] {
        let tokens = columns[index].tokens
        guard let name = tokens.firstIndex(where: \.isSignificant) else { return [] }
        let startWords: Set<String> = [
            "constraint", "primary", "not", "null", "unique", "check", "default", "collate", "references", "generated", "as",
        ]
        var clauses: [(kind: String, tokens: [SQLToken])] = []
        var depth = 0
        for position in (name + 1)..<tokens.count {
            let token = tokens[position]
            let word = token.kind == .word && !token.isQuoted ? token.text.lowercasedASCII : ""
            var starts = depth == 0 && startWords.contains(word)
            if word == "not" {
                // NOT NULL starts a clause; NOT DEFERRABLE belongs to REFERENCES.
                starts = starts && tokens[(position + 1)...].first(where: \.isSignificant)?.isKeyword("null") == true
            }
            if token.kind == .symbol, token.text == "(" { depth += 1 }
            if token.kind == .symbol, token.text == ")" { depth -= 1 }
            if starts {
                if let last = clauses.last, last.kind == "constraint" {
                    clauses[clauses.count - 1] = (kind: word, tokens: last.tokens + [token])
                } else {
                    clauses.append((kind: word, tokens: [token]))
                }
            } else if !clauses.isEmpty {
                clauses[clauses.count - 1].tokens.append(token)
            }
        }
        return clauses.filter { kinds.contains($0.kind) }.map { SQLTokenizer.text($0.tokens).trimmingSQLWhitespace }
    }

    /// The statement with its table name replaced by `name` (the name token only, never a text search).
    func renamed(to name: String, temporary: Bool = false) -> String {
        var copy = tokens
        if temporary, let create = copy.firstIndex(where: \.isSignificant) { copy[create].text += " TEMP" }
        copy[nameIndex] = SQLToken(kind: .word, text: SQLTokenizer.quote(name), isQuoted: true)
        // Drop a schema qualifier ("main".) before the name.
        var index = nameIndex - 1
        while index >= 0, !copy[index].isSignificant { index -= 1 }
        if index >= 1, copy[index].text == "." {
            copy[index].text = ""
            var qualifier = index - 1
            while qualifier >= 0, !copy[qualifier].isSignificant { qualifier -= 1 }
            if qualifier >= 0 { copy[qualifier].text = "" }
        }
        return SQLTokenizer.text(copy)
    }
}

extension String {
    /// The text without SQL whitespace at either end.
    var trimmingSQLWhitespace: String {
        var view = Substring(self)
        while let first = view.first, first.isWhitespace { view.removeFirst() }
        while let last = view.last, last.isWhitespace { view.removeLast() }
        return String(view)
    }
}
