import Foundation

/// Identifier and literal quoting. Values are never spliced into SQL: only identifiers, and DDL defaults (which
/// SQLite cannot bind), go through here.
enum SQLQuoting {
    /// `"name"` with embedded quotes doubled.
    static func identifier(_ name: String) -> String {
        guard name.utf8.contains(UInt8(ascii: "\"")) else { return "\"" + name + "\"" }
        return "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// `'text'` with embedded quotes doubled, for DDL `DEFAULT` clauses only.
    static func literal(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }
}
