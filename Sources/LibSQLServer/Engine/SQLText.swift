/// A minimal SQLite tokenizer for what the engine must know before SQLite sees the text: the kind of a
/// statement (for `affected_row_count`/`last_insert_rowid`) and libSQL's `BEGIN READONLY` syntax.
enum SQLText {
    /// The kind of statement, from its leading keyword (the main verb after a `WITH` clause).
    enum StatementKind: Equatable {
        case insert, update, delete, query, other

        /// Whether `sqlite3_changes()` describes the statement.
        var changesRows: Bool { self == .insert || self == .update || self == .delete }
    }

    struct Token {
        enum Kind: Equatable {
            case word(String)
            case quoted
            case symbol(UInt8)
        }

        var kind: Kind
        var end: Int
    }

    /// The kind of the first statement of `sql`.
    static func statementKind(_ sql: String) -> StatementKind {
        var kind = StatementKind.other
        var depth = 0
        var sawWith = false
        scan(Array(sql.utf8)) { token in
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

    /// Rewrites a leading `BEGIN READONLY` / `BEGIN TRANSACTION READONLY` (libSQL grammar, a deferred
    /// transaction there) to `BEGIN DEFERRED`, keeping the rest of the text; `nil` when there is nothing to rewrite.
    static func rewritingReadonlyBegin(_ sql: String) -> String? {
        let bytes = Array(sql.utf8)
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
                return words.count < 4
            case .symbol(UInt8(ascii: ";")):
                return false
            default:
                valid = false
                return false
            }
        }
        guard valid, words.first == "BEGIN", words.contains("READONLY") else { return nil }
        return "BEGIN DEFERRED" + String(decoding: bytes[end...], as: UTF8.self)
    }

    /// Calls `visit` for each token of `bytes` (skipping whitespace and comments) until it returns false.
    static func scan(_ bytes: [UInt8], _ visit: (Token) -> Bool) {
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
                    let word = String(decoding: bytes[start..<index], as: UTF8.self).uppercased()
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
