/// A minimal SQLite tokenizer for what must be known about SQL text besides what SQLite reports: the kind
/// of a statement (for `affected_row_count`/`last_insert_rowid`), whether text after a statement holds
/// another one, and libSQL's `BEGIN READONLY` syntax. Comments, string literals and quoted identifiers are
/// skipped as SQLite's tokenizer skips them, so words inside them never count.
package enum SQLText {
    /// The kind of statement, from its leading keyword (the main verb after a `WITH` clause).
    package enum StatementKind: Equatable, Sendable {
        case insert, update, delete, query, other

        /// Whether `sqlite3_changes()` describes the statement.
        package var changesRows: Bool { self == .insert || self == .update || self == .delete }
    }

    package struct Token {
        package enum Kind: Equatable {
            case word(String)
            case quoted
            case symbol(UInt8)
        }

        package var kind: Kind
        /// The offset just past the token.
        package var end: Int
    }

    /// The kind of the first statement of `sql`, from its text alone (before it is prepared).
    package static func statementKind(_ sql: String) -> StatementKind {
        var sql = sql
        return sql.withUTF8 { statementKind($0) }
    }

    /// The kind of the first statement of UTF-8 text.
    package static func statementKind(_ bytes: UnsafeBufferPointer<UInt8>) -> StatementKind {
        var kind = StatementKind.other
        var depth = 0
        var sawWith = false
        scan(bytes) { token in
            switch token.kind {
            case .symbol(UInt8(ascii: "(")):
                depth += 1
                return true
            case .symbol(UInt8(ascii: ")")):
                depth -= 1
                return true
            case .symbol(UInt8(ascii: ";")) where depth <= 0:
                return false
            case .word(let word) where depth == 0:
                if !sawWith && word == "WITH" {
                    sawWith = true
                    return true
                }
                switch word {
                case "INSERT", "REPLACE": kind = .insert
                case "UPDATE": kind = .update
                case "DELETE": kind = .delete
                case "SELECT", "VALUES": kind = .query
                default: return sawWith
                }
                return false
            default:
                return sawWith
            }
        }
        return kind
    }

    /// Whether UTF-8 text holds no statement: only whitespace, comments and empty statements (`;`).
    package static func isBlank(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var blank = true
        scan(bytes) { token in
            if case .symbol(UInt8(ascii: ";")) = token.kind { return true }
            blank = false
            return false
        }
        return blank
    }

    /// Whether `sql` starts with libSQL's `BEGIN READONLY` / `BEGIN TRANSACTION READONLY`.
    package static func beginsReadOnlyTransaction(_ sql: String) -> Bool {
        readonlyBeginEnd(sql) != nil
    }

    /// Rewrites a leading `BEGIN READONLY` / `BEGIN TRANSACTION READONLY` (libSQL grammar, a deferred
    /// transaction there) to `BEGIN DEFERRED`, keeping the rest of the text; `nil` when there is nothing to rewrite.
    package static func rewritingReadonlyBegin(_ sql: String) -> String? {
        guard let end = readonlyBeginEnd(sql) else { return nil }
        let utf8 = sql.utf8
        return "BEGIN DEFERRED" + String(decoding: utf8[utf8.index(utf8.startIndex, offsetBy: end)...], as: UTF8.self)
    }

    /// The offset just past the `READONLY` keyword of a leading read-only `BEGIN`, or `nil`.
    private static func readonlyBeginEnd(_ sql: String) -> Int? {
        var sql = sql
        return sql.withUTF8 { bytes -> Int? in
            var words: [String] = []
            var end = 0
            var valid = true
            scan(bytes) { token in
                switch token.kind {
                case .word(let word):
                    words.append(word)
                    end = token.end
                    if words.count == 1 ? word != "BEGIN" : !(word == "TRANSACTION" || word == "READONLY") {
                        valid = false
                        return false
                    }
                    return words.count < 4 && word != "READONLY"
                case .symbol(UInt8(ascii: ";")):
                    return false
                default:
                    valid = false
                    return false
                }
            }
            guard valid, words.first == "BEGIN", words.last == "READONLY" else { return nil }
            return end
        }
    }

    /// Calls `visit` for each token of `bytes` (skipping whitespace and comments) until it returns false.
    package static func scan(_ bytes: UnsafeBufferPointer<UInt8>, _ visit: (Token) -> Bool) {
        var index = 0
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"), 0x0C:
                index += 1
                continue
            case UInt8(ascii: "-") where index + 1 < count && bytes[index + 1] == UInt8(ascii: "-"):
                while index < count && bytes[index] != UInt8(ascii: "\n") { index += 1 }
                continue
            case UInt8(ascii: "/") where index + 1 < count && bytes[index + 1] == UInt8(ascii: "*"):
                index += 2
                while index < count && !(bytes[index] == UInt8(ascii: "*") && index + 1 < count
                    && bytes[index + 1] == UInt8(ascii: "/")) { index += 1 }
                index = min(index + 2, count)
                continue
            case UInt8(ascii: "'"), UInt8(ascii: "\""), UInt8(ascii: "`"), UInt8(ascii: "["):
                let close = byte == UInt8(ascii: "[") ? UInt8(ascii: "]") : byte
                index += 1
                while index < count {
                    if bytes[index] == close {
                        if close != UInt8(ascii: "]") && index + 1 < count && bytes[index + 1] == close {
                            index += 2
                            continue
                        }
                        break
                    }
                    index += 1
                }
                index = min(index + 1, count)
                if !visit(Token(kind: .quoted, end: index)) { return }
            default:
                if isWordStart(byte) {
                    let start = index
                    while index < count && isWordPart(bytes[index]) { index += 1 }
                    let word = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                        .uppercased()
                    if !visit(Token(kind: .word(word), end: index)) { return }
                } else {
                    index += 1
                    if !visit(Token(kind: .symbol(byte), end: index)) { return }
                }
            }
        }
    }

    private static func isWordStart(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || byte == UInt8(ascii: "_") || byte >= 0x80
    }

    private static func isWordPart(_ byte: UInt8) -> Bool {
        isWordStart(byte) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "$")
    }
}
