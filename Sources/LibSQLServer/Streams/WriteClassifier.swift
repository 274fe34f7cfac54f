import Hrana

/// Decides conservatively, from the SQL text alone, whether statements may change the database; read-only
/// tokens (`"a": "ro"`) are refused pipelines that contain any such statement.
///
/// Anything not recognised as a read counts as a write: `SELECT`, `VALUES`, `EXPLAIN`, transaction control,
/// argument-less or known introspection `PRAGMA`s, and `WITH` queries without `INSERT`/`UPDATE`/`DELETE`/
/// `REPLACE` are reads.
enum WriteClassifier {
    private static let readPragmas: Set<String> = [
        "table_info", "table_xinfo", "table_list", "index_list", "index_info", "index_xinfo", "foreign_key_list",
        "foreign_key_check", "integrity_check", "quick_check", "function_list", "pragma_list", "module_list",
        "collation_list", "database_list",
    ]
    private static let transactionControl: Set<String> = ["BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE"]
    private static let writeKeywords: Set<String> = ["INSERT", "UPDATE", "DELETE", "REPLACE"]

    /// Whether any statement of a multi-statement SQL text may write.
    static func mayWrite(sql: String) -> Bool {
        splitStatements(sql).contains(where: statementMayWrite)
    }

    /// Whether any request of a pipeline may write, resolving `sql_id`s against `storedSQL` and the
    /// pipeline's own `store_sql` requests. Unknown ids count as writes.
    static func mayWrite(_ requests: [StreamRequest], storedSQL: [Int32: String]) -> Bool {
        var stored = storedSQL
        func text(_ sql: String?, _ id: Int32?) -> String? { sql ?? id.flatMap { stored[$0] } }
        for request in requests {
            switch request {
            case .close, .getAutocommit, .describe: continue
            case .storeSQL(let id, let sql): stored[id] = sql
            case .closeSQL(let id): stored.removeValue(forKey: id)
            case .execute(let stmt):
                guard let sql = text(stmt.sql, stmt.sqlID), !mayWrite(sql: sql) else { return true }
            case .batch(let batch):
                if mayWrite(batch, storedSQL: stored) { return true }
            case .sequence(let sql, let id):
                guard let sql = text(sql, id), !mayWrite(sql: sql) else { return true }
            }
        }
        return false
    }

    /// Whether any step of a batch may write.
    static func mayWrite(_ batch: Batch, storedSQL: [Int32: String]) -> Bool {
        batch.steps.contains { step in
            guard let sql = step.stmt.sql ?? step.stmt.sqlID.flatMap({ storedSQL[$0] }) else { return true }
            return mayWrite(sql: sql)
        }
    }

    private static func statementMayWrite(_ tokens: [String]) -> Bool {
        guard let first = tokens.first else { return false }
        switch first {
        case "SELECT", "VALUES", "EXPLAIN": return false
        case _ where transactionControl.contains(first): return false
        case "WITH": return tokens.contains(where: writeKeywords.contains)
        case "PRAGMA":
            if tokens.contains("=") { return true }
            guard let open = tokens.firstIndex(of: "(") else { return false }
            let name = tokens[1..<open].last(where: { $0 != "." })?.lowercased()
            return !(name.map(readPragmas.contains) ?? false)
        default: return true
        }
    }

    /// Splits SQL into statements of upper-cased word tokens and single-character punctuation, skipping
    /// string literals, quoted identifiers and comments.
    static func splitStatements(_ sql: String) -> [[String]] {
        var statements: [[String]] = []
        var current: [String] = []
        let chars = Array(sql.unicodeScalars)
        var index = 0
        func flush() {
            if !current.isEmpty { statements.append(current) }
            current = []
        }
        while index < chars.count {
            let char = chars[index]
            switch char {
            case ";":
                flush()
                index += 1
            case "'", "\"", "`", "[":
                let close: Unicode.Scalar = char == "[" ? "]" : char
                index += 1
                while index < chars.count {
                    if chars[index] == close {
                        if close != "]", index + 1 < chars.count, chars[index + 1] == close { index += 2; continue }
                        break
                    }
                    index += 1
                }
                index += 1
                current.append(char == "'" ? "'literal'" : "\"identifier\"")
            case "-" where index + 1 < chars.count && chars[index + 1] == "-":
                while index < chars.count, chars[index] != "\n" { index += 1 }
            case "/" where index + 1 < chars.count && chars[index + 1] == "*":
                index += 2
                while index + 1 < chars.count, !(chars[index] == "*" && chars[index + 1] == "/") { index += 1 }
                index += 2
            case _ where isWhitespace(char):
                index += 1
            case _ where startsWord(char):
                var word = ""
                while index < chars.count, startsWord(chars[index]) || chars[index] == "$" {
                    word.unicodeScalars.append(chars[index])
                    index += 1
                }
                current.append(word.uppercased())
            default:
                current.append(String(char))
                index += 1
            }
        }
        flush()
        return statements
    }

    private static func isWhitespace(_ char: Unicode.Scalar) -> Bool {
        if char.isASCII { return char == " " || (char.value >= 0x09 && char.value <= 0x0D) }
        return char.properties.isWhitespace
    }

    /// Letters, digits and `_` (ASCII without a Unicode property lookup, which dominates the cost of the scan).
    private static func startsWord(_ char: Unicode.Scalar) -> Bool {
        if char.isASCII {
            let value = char.value
            return (value >= 0x61 && value <= 0x7A) || (value >= 0x41 && value <= 0x5A) || (value >= 0x30 && value <= 0x39)
                || value == 0x5F
        }
        return char.properties.isAlphabetic || char.properties.numericType != nil
    }
}
