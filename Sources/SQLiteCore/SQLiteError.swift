import CSQLite

/// An error reported by SQLite: its result codes, message and, for SQL text errors, the byte offset.
package struct SQLiteError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The primary result code (`SQLITE_CONSTRAINT` = 19...), the low 8 bits of ``extendedCode``.
    package var code: Int32 { extendedCode & 0xFF }
    /// The extended result code (`SQLITE_CONSTRAINT_UNIQUE` = 2067...).
    package var extendedCode: Int32
    /// The message (`sqlite3_errmsg` when the error came from a connection).
    package var message: String
    /// The byte offset in the SQL text the error refers to (`sqlite3_error_offset`), or `nil`.
    package var offset: Int?
    /// True when the error is not SQLite's own but a column holding text that is not valid UTF-8.
    package var isInvalidUTF8: Bool

    /// Creates an error.
    package init(extendedCode: Int32, message: String, offset: Int? = nil, isInvalidUTF8: Bool = false) {
        self.extendedCode = extendedCode
        self.message = message
        self.offset = offset
        self.isInvalidUTF8 = isInvalidUTF8
    }

    /// Reads the error state of a connection after a call returned `result`.
    init(result: Int32, connection: OpaquePointer?) {
        let extended = connection.map { sqlite3_extended_errcode($0) } ?? result
        // The connection's code can be stale for errors raised outside of it (bind/misuse); prefer the call's.
        let code = (extended & 0xFF) == (result & 0xFF) ? extended : result
        let message: String
        if let connection, let text = sqlite3_errmsg(connection), (extended & 0xFF) == (result & 0xFF) {
            message = String(cString: text)
        } else {
            message = String(cString: sqlite3_errstr(result))
        }
        let rawOffset = connection.map { sqlite3_error_offset($0) } ?? -1
        self.init(extendedCode: code, message: message, offset: rawOffset >= 0 ? Int(rawOffset) : nil)
    }

    /// The name of the primary code, e.g. `SQLITE_CONSTRAINT`.
    package var primaryCodeName: String { SQLiteCodeNames.primary[code] ?? "SQLITE_UNKNOWN" }

    /// The name of the extended code, e.g. `SQLITE_CONSTRAINT_UNIQUE`; the primary name when it has no extension.
    package var extendedCodeName: String { SQLiteCodeNames.extended[extendedCode] ?? primaryCodeName }

    package var description: String { "\(extendedCodeName): \(message)" }
}
