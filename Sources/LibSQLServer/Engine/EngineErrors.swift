import CSQLite
import Hrana
import SQLiteCore

/// The statement- and request-level errors of the engine, with sqld's codes and messages.
enum EngineError {
    static let noStatement = ProtocolError(
        message: "SQL string does not contain any statement", code: "SQL_NO_STATEMENT")
    static let manyStatements = ProtocolError(
        message: "SQL string contains more than one statement", code: "SQL_MANY_STATEMENTS")
    static let argsBothKinds = ProtocolError(
        message: "Specifying both positional and named arguments is not supported",
        code: "ARGS_BOTH_POSITIONAL_AND_NAMED")
    static let transactionTimeout = ProtocolError(message: "Transaction timed out", code: "TRANSACTION_TIMEOUT")
    static let responseTooLarge = ProtocolError(message: "Response is too large", code: "RESPONSE_TOO_LARGE")

    static func argsInvalid(_ detail: String) -> ProtocolError {
        ProtocolError(message: "Arguments do not match SQL parameters: \(detail)", code: "ARGS_INVALID")
    }

    static func storeTooMany(_ count: Int) -> ProtocolError {
        ProtocolError(
            message: "The server already stores \(count) SQL texts, it cannot store more", code: "SQL_STORE_TOO_MANY")
    }

    static func storeTooLarge(size: Int, limit: Int) -> ProtocolError {
        ProtocolError(
            message: "The statement is too large to be stored: \(size) bytes, the limit is \(limit) bytes",
            code: "SQL_STORE_TOO_LARGE")
    }

    /// Maps a SQLite error like sqld: `SQL_INPUT_ERROR` for a located SQLITE_ERROR while preparing,
    /// `SQLITE_UNKNOWN` for other SQLITE_ERRORs, else `SQLITE_<PRIMARY>`.
    static func sqlite(_ error: SQLiteError, atPrepare: Bool) -> ProtocolError {
        if error.isInvalidUTF8 {
            return ProtocolError(message: "SQLite error: \(error.message)", code: "UNICODE_ERROR")
        }
        if error.code == SQLITE_ERROR {
            if atPrepare, let offset = error.offset {
                return ProtocolError(
                    message: "SQL input error: \(error.message) (at offset \(offset))", code: "SQL_INPUT_ERROR")
            }
            return ProtocolError(message: "SQLite error: \(error.message)", code: "SQLITE_UNKNOWN")
        }
        let name = error.primaryCodeName
        return ProtocolError(message: "SQLite error: \(error.message)", code: sqldCodeNames.contains(name) ? name : "SQLITE_UNKNOWN")
    }

    /// The primary codes sqld names; the others become `SQLITE_UNKNOWN`.
    private static let sqldCodeNames: Set<String> = [
        "SQLITE_INTERNAL", "SQLITE_PERM", "SQLITE_ABORT", "SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_NOMEM",
        "SQLITE_READONLY", "SQLITE_INTERRUPT", "SQLITE_IOERR", "SQLITE_CORRUPT", "SQLITE_NOTFOUND", "SQLITE_FULL",
        "SQLITE_CANTOPEN", "SQLITE_PROTOCOL", "SQLITE_SCHEMA", "SQLITE_TOOBIG", "SQLITE_CONSTRAINT",
        "SQLITE_MISMATCH", "SQLITE_MISUSE", "SQLITE_NOLFS", "SQLITE_AUTH", "SQLITE_RANGE", "SQLITE_NOTADB",
    ]
}
