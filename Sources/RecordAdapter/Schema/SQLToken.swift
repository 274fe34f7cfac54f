/// One lexical token of SQLite SQL, following SQLite's tokenizer rules (`tokenize.c`).
///
/// Used only to *compare* and *re-assemble* statements SQLite has already accepted; SQLite itself validates
/// everything the schema tools run.
struct SQLToken: Sendable, Hashable {
    enum Kind: Sendable, Hashable {
        case whitespace, comment
        /// A bare word (keyword or identifier) or a quoted identifier (`"x"`, `[x]`, `` `x` ``).
        case word
        case string, blob, number, parameter, symbol
    }

    var kind: Kind
    /// The text exactly as written.
    var text: String
    /// Whether a word was quoted.
    var isQuoted = false

    /// Whether the token carries meaning (not whitespace or a comment).
    var isSignificant: Bool { kind != .whitespace && kind != .comment }

    /// The comparable form: words unquoted and ASCII-lowercased, literals exact.
    var normalized: String {
        switch kind {
        case .word: SQLToken.unquote(text).lowercasedASCII
        case .number: text.lowercased()
        case .symbol:
            switch text {
            case "==": "="
            case "<>": "!="
            default: text
            }
        default: text
        }
    }

    /// Whether this is the bare (unquoted) keyword `keyword` (given lower-case).
    func isKeyword(_ keyword: String) -> Bool {
        kind == .word && !isQuoted && text.lowercasedASCII == keyword
    }

    static func unquote(_ text: String) -> String {
        guard let first = text.first, text.count >= 2 else { return text }
        switch first {
        case "\"": return String(text.dropFirst().dropLast()).replacingOccurrences(of: "\"\"", with: "\"")
        case "`": return String(text.dropFirst().dropLast()).replacingOccurrences(of: "``", with: "`")
        case "[": return String(text.dropFirst().dropLast())
        default: return text
        }
    }
}

extension String {
    /// ASCII-only lower-casing, as SQLite compares identifiers.
    var lowercasedASCII: String {
        String(decoding: utf8.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }, as: UTF8.self)
    }
}

/// SQLite's lexical rules over UTF-8.
enum SQLTokenizer {
    static func tokenize(_ sql: String) -> [SQLToken] {
        let bytes = Array(sql.utf8)
        var tokens: [SQLToken] = []
        var index = 0
        func text(_ start: Int, _ end: Int) -> String {
            String(decoding: bytes[start..<min(end, bytes.count)], as: UTF8.self)
        }
        func isIdentifierByte(_ byte: UInt8) -> Bool {
            byte >= 0x80 || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "$")
                || (byte >= 48 && byte <= 57) || (byte | 0x20 >= 97 && byte | 0x20 <= 122)
        }
        /// The end of a quoted run starting at `start`, where a doubled `close` is an escape.
        func quoted(_ start: Int, close: UInt8, doubling: Bool) -> Int {
            var position = start + 1
            while position < bytes.count {
                if bytes[position] == close {
                    if doubling, position + 1 < bytes.count, bytes[position + 1] == close {
                        position += 2
                        continue
                    }
                    return position + 1
                }
                position += 1
            }
            return bytes.count
        }
        while index < bytes.count {
            let start = index
            let byte = bytes[index]
            let next: UInt8? = index + 1 < bytes.count ? bytes[index + 1] : nil
            var kind: SQLToken.Kind
            var isQuoted = false
            switch byte {
            case 0x20, 0x09, 0x0A, 0x0C, 0x0D:
                kind = .whitespace
                while index < bytes.count, [0x20, 0x09, 0x0A, 0x0C, 0x0D].contains(bytes[index]) { index += 1 }
            case UInt8(ascii: "-") where next == UInt8(ascii: "-"):
                kind = .comment
                while index < bytes.count, bytes[index] != 0x0A { index += 1 }
            case UInt8(ascii: "/") where next == UInt8(ascii: "*"):
                kind = .comment
                index += 2
                while index < bytes.count, !(bytes[index] == UInt8(ascii: "*") && index + 1 < bytes.count
                    && bytes[index + 1] == UInt8(ascii: "/")) { index += 1 }
                index = min(index + 2, bytes.count)
            case UInt8(ascii: "'"):
                kind = .string
                index = quoted(index, close: UInt8(ascii: "'"), doubling: true)
            case UInt8(ascii: "\""), UInt8(ascii: "`"):
                kind = .word
                isQuoted = true
                index = quoted(index, close: byte, doubling: true)
            case UInt8(ascii: "["):
                kind = .word
                isQuoted = true
                index = quoted(index, close: UInt8(ascii: "]"), doubling: false)
            case UInt8(ascii: "x") where next == UInt8(ascii: "'"), UInt8(ascii: "X") where next == UInt8(ascii: "'"):
                kind = .blob
                index = quoted(index + 1, close: UInt8(ascii: "'"), doubling: false)
            case _ where (byte >= 48 && byte <= 57) || (byte == UInt8(ascii: ".") && (next.map { $0 >= 48 && $0 <= 57 } ?? false)):
                kind = .number
                index += 1
                while index < bytes.count {
                    let current = bytes[index]
                    if isIdentifierByte(current) || current == UInt8(ascii: ".") {
                        index += 1
                    } else if (current == UInt8(ascii: "+") || current == UInt8(ascii: "-")),
                        bytes[index - 1] | 0x20 == UInt8(ascii: "e"),
                        !(index - start >= 2 && bytes[start] == 48 && bytes[start + 1] | 0x20 == UInt8(ascii: "x"))
                    {
                        index += 1
                    } else {
                        break
                    }
                }
            case UInt8(ascii: "?"), UInt8(ascii: ":"), UInt8(ascii: "@"), UInt8(ascii: "$"), UInt8(ascii: "#"):
                kind = .parameter
                index += 1
                while index < bytes.count, isIdentifierByte(bytes[index]) { index += 1 }
            default:
                if isIdentifierByte(byte) {
                    kind = .word
                    while index < bytes.count, isIdentifierByte(bytes[index]) { index += 1 }
                } else {
                    kind = .symbol
                    let pair = next == nil ? "" : text(start, start + 2)
                    if ["||", "<=", ">=", "==", "!=", "<>", "<<", ">>", "->"].contains(pair) {
                        index += 2
                        if pair == "->", index < bytes.count, bytes[index] == UInt8(ascii: ">") { index += 1 }
                    } else {
                        index += 1
                    }
                }
            }
            tokens.append(SQLToken(kind: kind, text: text(start, index), isQuoted: isQuoted))
        }
        return tokens
    }

    /// The comparable form of a statement: significant tokens, normalised, without `IF NOT EXISTS` and
    /// `TEMP`/`TEMPORARY`, and with `GENERATED ALWAYS AS` read as `AS`.
    static func normalizedForm(_ tokens: [SQLToken]) -> [String] {
        let significant = tokens.filter(\.isSignificant)
        var result: [String] = []
        var index = 0
        while index < significant.count {
            let token = significant[index]
            if token.isKeyword("if"), index + 2 < significant.count, significant[index + 1].isKeyword("not"),
                significant[index + 2].isKeyword("exists")
            {
                index += 3
                continue
            }
            if index == 1, token.isKeyword("temp") || token.isKeyword("temporary") {
                index += 1
                continue
            }
            if token.isKeyword("generated"), index + 2 < significant.count, significant[index + 1].isKeyword("always"),
                significant[index + 2].isKeyword("as")
            {
                index += 2
                continue
            }
            result.append(token.normalized)
            index += 1
        }
        return result
    }

    /// Re-assembles tokens into text.
    static func text(_ tokens: some Sequence<SQLToken>) -> String {
        tokens.map(\.text).joined()
    }

    /// Double-quotes an identifier for SQL text.
    static func quote(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Whether `tokens` mention `name` (already normalised) as a word.
    static func mentions(_ tokens: [SQLToken], _ name: String) -> Bool {
        tokens.contains { $0.kind == .word && $0.normalized == name }
    }
}
