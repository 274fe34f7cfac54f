import Hrana
import SQLiteCore

/// The request-level errors of the engine, with sqld's codes and messages (statement errors: ``StatementError``).
enum EngineError {
    static let transactionTimeout = ProtocolError(message: "Transaction timed out", code: "TRANSACTION_TIMEOUT")
    static let responseTooLarge = ProtocolError(message: "Response is too large", code: "RESPONSE_TOO_LARGE")

    static func storeTooMany(_ count: Int) -> ProtocolError {
        ProtocolError(
            message: "The server already stores \(count) SQL texts, it cannot store more", code: "SQL_STORE_TOO_MANY")
    }

    static func storeTooLarge(size: Int, limit: Int) -> ProtocolError {
        ProtocolError(
            message: "The statement is too large to be stored: \(size) bytes, the limit is \(limit) bytes",
            code: "SQL_STORE_TOO_LARGE")
    }

    /// Maps a SQLite error like sqld (see ``StatementError``).
    static func sqlite(_ error: SQLiteError, atPrepare: Bool) -> ProtocolError {
        StatementError(error, atPrepare: atPrepare).protocolError
    }
}
