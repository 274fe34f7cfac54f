import Foundation
import Hrana

/// The one error type of the client: what failed, with the server's code, where, and the SQL involved.
///
/// ```swift
/// catch let error as LibSQLError where error.constraint == .unique { ... }
/// ```
/// The auth token never appears in an error.
public struct LibSQLError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The code: the server's (`SQLITE_CONSTRAINT`, `STREAM_EXPIRED`...) with SQLite codes reduced to their
    /// primary name, or one of the client's own (``Hrana/ErrorCode/connectionError``...).
    public var code: ErrorCode
    /// The extended SQLite code when the server or SQLite reported one (`SQLITE_CONSTRAINT_PRIMARYKEY`).
    public var extendedCode: ErrorCode?
    /// The human-readable message.
    public var message: String
    /// For constraint failures, which kind of constraint.
    public var constraint: ConstraintKind?
    /// In a batch, the index of the failing statement (0 = the first statement you passed).
    public var statementIndex: Int?
    /// The HTTP status, when the error came with one.
    public var httpStatus: Int?
    /// The SQL that failed, when the error belongs to one statement.
    public var sql: String?

    /// Creates an error.
    public init(
        code: ErrorCode, message: String, extendedCode: ErrorCode? = nil, constraint: ConstraintKind? = nil,
        statementIndex: Int? = nil, httpStatus: Int? = nil, sql: String? = nil
    ) {
        self.code = code
        self.message = message
        self.extendedCode = extendedCode
        self.constraint = constraint
        self.statementIndex = statementIndex
        self.httpStatus = httpStatus
        self.sql = sql
    }

    /// Whether the code means "the SQL is wrong" in any server's spelling (`SQLITE_ERROR`, `SQLITE_UNKNOWN`,
    /// `SQL_INPUT_ERROR`, `SQL_PARSE_ERROR`).
    public var isSQLError: Bool { code.isSQLError }

    public var description: String {
        var text = "\(code.rawValue): \(message)"
        if let statementIndex { text += " (statement \(statementIndex))" }
        if let httpStatus { text += " [HTTP \(httpStatus)]" }
        if let sql { text += " in \"\(sql.count > 200 ? String(sql.prefix(200)) + "…" : sql)\"" }
        return text
    }
}

extension ErrorCode {
    /// Client code: the transaction is no longer active (rolled back by the server, or already finished).
    public static let transactionClosed: ErrorCode = "TRANSACTION_CLOSED"
    /// Client code: the server answered with an HTTP error that carries no Hrana error.
    public static let serverError: ErrorCode = "SERVER_ERROR"
    /// Client code: the server rejected the credentials (HTTP 401 or 403 without a Hrana error).
    public static let unauthorized: ErrorCode = "UNAUTHORIZED"
    /// Client code: the connection failed or was reset, or the body ended early.
    public static let connectionError: ErrorCode = "CONNECTION_ERROR"
    /// Client code: TLS failed: the server's certificate is not trusted or does not match the host name, the
    /// handshake failed, or the configured trust roots (``Database/Configuration/TLS``) could not be loaded.
    public static let tlsError: ErrorCode = "TLS_ERROR"
    /// Client code: the request did not finish within the configured timeout.
    public static let timeout: ErrorCode = "TIMEOUT"
    /// Client code: the server's answer does not follow the Hrana protocol.
    public static let hranaProtocolError: ErrorCode = "HRANA_PROTO_ERROR"
    /// Client code: the server speaks no protocol version this client supports.
    public static let protocolVersionError: ErrorCode = "PROTOCOL_VERSION_ERROR"
    /// Client code: the URL is invalid.
    public static let urlInvalid: ErrorCode = "URL_INVALID"
    /// Client code: the URL scheme is not supported.
    public static let urlSchemeNotSupported: ErrorCode = "URL_SCHEME_NOT_SUPPORTED"
    /// Client code: a URL query parameter is not supported.
    public static let urlParamNotSupported: ErrorCode = "URL_PARAM_NOT_SUPPORTED"
    /// Client code: the client was closed.
    public static let clientClosed: ErrorCode = "CLIENT_CLOSED"
    /// Client code: a value could not be converted to the requested Swift type.
    public static let typeMismatch: ErrorCode = "TYPE_MISMATCH"
    /// Client code: a column was not found in a row.
    public static let columnNotFound: ErrorCode = "COLUMN_NOT_FOUND"
    /// Client code: a required setting is missing (for example `TURSO_DATABASE_URL`).
    public static let configurationMissing: ErrorCode = "CONFIGURATION_MISSING"
    /// Client code: the operation was cancelled.
    public static let cancelled: ErrorCode = "CANCELLED"
}

extension LibSQLError {
    /// Builds an error from a Hrana error, reducing an extended SQLite code to its primary name.
    init(_ error: ProtocolError, sql: String? = nil, statementIndex: Int? = nil, httpStatus: Int? = nil) {
        let raw = error.errorCode ?? ErrorCode.sqliteUnknown
        let primary = raw.primary ?? raw
        self.init(
            code: primary, message: error.message, extendedCode: primary == raw ? nil : raw,
            constraint: error.constraint, statementIndex: statementIndex, httpStatus: httpStatus, sql: sql)
    }

    /// The error of every call after ``Database/close()``.
    static var clientClosed: LibSQLError {
        LibSQLError(code: .clientClosed, message: "The client was closed")
    }

    /// The error of a call whose task was cancelled.
    static var cancelled: LibSQLError {
        LibSQLError(code: .cancelled, message: "The operation was cancelled")
    }

    /// `error` with task cancellation (`CancellationError`) reported as ``cancelled``.
    static func mapped(_ error: any Error) -> any Error {
        error is CancellationError ? LibSQLError.cancelled : error
    }

    /// Runs a call of the client's API, so that it throws ``LibSQLError`` for cancellation too.
    static func guarding<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw mapped(error)
        }
    }

    func with(sql: String?, statementIndex: Int? = nil) -> LibSQLError {
        var copy = self
        if copy.sql == nil { copy.sql = sql }
        if copy.statementIndex == nil { copy.statementIndex = statementIndex }
        return copy
    }
}
