import CSQLite
import Hrana

/// Why a statement could not be prepared, bound or run, with the code and message a Hrana server sends.
///
/// Codes follow sqld: `SQL_NO_STATEMENT`, `SQL_MANY_STATEMENTS`, `ARGS_INVALID`,
/// `ARGS_BOTH_POSITIONAL_AND_NAMED`, `SQL_INPUT_ERROR` for a located syntax or name error at prepare time,
/// `UNICODE_ERROR`, and for other SQLite errors `SQLITE_<PRIMARY>` from the **primary** result code only
/// (`SQLITE_CONSTRAINT`, never `SQLITE_CONSTRAINT_UNIQUE`), `SQLITE_UNKNOWN` for `SQLITE_ERROR` and codes
/// sqld does not name. The extended code is not part of ``code`` (Hrana has no field for it); it stays
/// available in ``sqlite`` for callers that run SQLite themselves.
package struct StatementError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The Hrana error code.
    package var code: String
    /// The message, as sqld words it.
    package var message: String
    /// The SQLite error behind it, if any.
    package var sqlite: SQLiteError?

    package init(code: String, message: String, sqlite: SQLiteError? = nil) {
        self.code = code
        self.message = message
        self.sqlite = sqlite
    }

    /// Maps a SQLite error like sqld. `atPrepare`: the error came from `sqlite3_prepare`, where a located
    /// `SQLITE_ERROR` is `SQL_INPUT_ERROR`.
    package init(_ error: SQLiteError, atPrepare: Bool) {
        if error.isInvalidUTF8 {
            self.init(code: "UNICODE_ERROR", message: "SQLite error: \(error.message)", sqlite: error)
        } else if error.code == SQLITE_ERROR {
            if atPrepare, let offset = error.offset {
                self.init(
                    code: "SQL_INPUT_ERROR", message: "SQL input error: \(error.message) (at offset \(offset))",
                    sqlite: error)
            } else {
                self.init(code: "SQLITE_UNKNOWN", message: "SQLite error: \(error.message)", sqlite: error)
            }
        } else {
            let name = error.primaryCodeName
            self.init(
                code: Self.sqldCodeNames.contains(name) ? name : "SQLITE_UNKNOWN",
                message: "SQLite error: \(error.message)", sqlite: error)
        }
    }

    /// The error in its wire form.
    package var protocolError: ProtocolError { ProtocolError(message: message, code: code) }

    package var description: String { "\(code): \(message)" }

    /// Text with no statement (empty, whitespace, comments, lone `;`).
    package static let noStatement = StatementError(
        code: "SQL_NO_STATEMENT", message: "SQL string does not contain any statement")
    /// Text with a second statement after the first.
    package static let manyStatements = StatementError(
        code: "SQL_MANY_STATEMENTS", message: "SQL string contains more than one statement")
    /// Positional and named arguments together.
    package static let argsBothKinds = StatementError(
        code: "ARGS_BOTH_POSITIONAL_AND_NAMED",
        message: "Specifying both positional and named arguments is not supported")
    /// A statement that would write, run inside a read-only transaction (`BEGIN READONLY`, a `read` batch).
    package static let writeInReadOnlyTransaction = StatementError(
        code: "SQLITE_READONLY", message: "SQLite error: attempt to write in a read-only transaction")

    /// Arguments that do not match the statement's parameters.
    package static func argsInvalid(_ detail: String) -> StatementError {
        StatementError(code: "ARGS_INVALID", message: "Arguments do not match SQL parameters: \(detail)")
    }

    /// The primary codes sqld names; the others become `SQLITE_UNKNOWN`.
    private static let sqldCodeNames: Set<String> = [
        "SQLITE_INTERNAL", "SQLITE_PERM", "SQLITE_ABORT", "SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_NOMEM",
        "SQLITE_READONLY", "SQLITE_INTERRUPT", "SQLITE_IOERR", "SQLITE_CORRUPT", "SQLITE_NOTFOUND", "SQLITE_FULL",
        "SQLITE_CANTOPEN", "SQLITE_PROTOCOL", "SQLITE_SCHEMA", "SQLITE_TOOBIG", "SQLITE_CONSTRAINT",
        "SQLITE_MISMATCH", "SQLITE_MISUSE", "SQLITE_NOLFS", "SQLITE_AUTH", "SQLITE_RANGE", "SQLITE_NOTADB",
    ]
}
