/// A Hrana error `code`, typed: the codes servers send are named constants, any other string is kept as is.
///
/// Codes come in two families. `SQLITE_<NAME>` codes name a SQLite result code: sqld sends the primary
/// name only (`SQLITE_CONSTRAINT`), the reference test server the extended one (`SQLITE_CONSTRAINT_UNIQUE`);
/// ``primary`` maps both to the primary code. The other codes are Hrana's own (`SQL_PARSE_ERROR`,
/// `ARGS_INVALID`, `STREAM_EXPIRED`, `AUTH_JWT_EXPIRED`...).
///
/// ```swift
/// switch error.errorCode {
/// case .sqliteConstraint?: ...
/// case let code? where code.isSQLError: ...
/// default: ...
/// }
/// ```
public struct ErrorCode: RawRepresentable, Sendable, Hashable, Codable, ExpressibleByStringLiteral,
    CustomStringConvertible
{
    /// The code exactly as the server sent it.
    public let rawValue: String

    /// Wraps a code string; unknown codes are kept verbatim.
    public init(rawValue: String) { self.rawValue = rawValue }
    /// Wraps a code string; unknown codes are kept verbatim.
    public init(_ rawValue: String) { self.rawValue = rawValue }
    /// Wraps a code string literal.
    public init(stringLiteral value: String) { self.rawValue = value }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }
}

// MARK: - SQLite primary result codes

extension ErrorCode {
    /// `SQLITE_ERROR` (1): generic SQL error; sqld reports it as ``sqliteUnknown`` or ``sqlInputError``.
    public static let sqliteError: ErrorCode = "SQLITE_ERROR"
    /// `SQLITE_INTERNAL` (2).
    public static let sqliteInternal: ErrorCode = "SQLITE_INTERNAL"
    /// `SQLITE_PERM` (3): access permission denied.
    public static let sqlitePerm: ErrorCode = "SQLITE_PERM"
    /// `SQLITE_ABORT` (4): callback requested an abort.
    public static let sqliteAbort: ErrorCode = "SQLITE_ABORT"
    /// `SQLITE_BUSY` (5): the database file is locked.
    public static let sqliteBusy: ErrorCode = "SQLITE_BUSY"
    /// `SQLITE_LOCKED` (6): a table is locked.
    public static let sqliteLocked: ErrorCode = "SQLITE_LOCKED"
    /// `SQLITE_NOMEM` (7).
    public static let sqliteNoMem: ErrorCode = "SQLITE_NOMEM"
    /// `SQLITE_READONLY` (8): attempt to write a read-only database.
    public static let sqliteReadOnly: ErrorCode = "SQLITE_READONLY"
    /// `SQLITE_INTERRUPT` (9).
    public static let sqliteInterrupt: ErrorCode = "SQLITE_INTERRUPT"
    /// `SQLITE_IOERR` (10).
    public static let sqliteIOErr: ErrorCode = "SQLITE_IOERR"
    /// `SQLITE_CORRUPT` (11).
    public static let sqliteCorrupt: ErrorCode = "SQLITE_CORRUPT"
    /// `SQLITE_NOTFOUND` (12).
    public static let sqliteNotFound: ErrorCode = "SQLITE_NOTFOUND"
    /// `SQLITE_FULL` (13).
    public static let sqliteFull: ErrorCode = "SQLITE_FULL"
    /// `SQLITE_CANTOPEN` (14).
    public static let sqliteCantOpen: ErrorCode = "SQLITE_CANTOPEN"
    /// `SQLITE_PROTOCOL` (15).
    public static let sqliteProtocol: ErrorCode = "SQLITE_PROTOCOL"
    /// `SQLITE_EMPTY` (16).
    public static let sqliteEmpty: ErrorCode = "SQLITE_EMPTY"
    /// `SQLITE_SCHEMA` (17): the schema changed.
    public static let sqliteSchema: ErrorCode = "SQLITE_SCHEMA"
    /// `SQLITE_TOOBIG` (18): string or blob too big.
    public static let sqliteTooBig: ErrorCode = "SQLITE_TOOBIG"
    /// `SQLITE_CONSTRAINT` (19): a constraint failed; see ``ProtocolError/constraint``.
    public static let sqliteConstraint: ErrorCode = "SQLITE_CONSTRAINT"
    /// `SQLITE_MISMATCH` (20): data type mismatch.
    public static let sqliteMismatch: ErrorCode = "SQLITE_MISMATCH"
    /// `SQLITE_MISUSE` (21).
    public static let sqliteMisuse: ErrorCode = "SQLITE_MISUSE"
    /// `SQLITE_NOLFS` (22).
    public static let sqliteNoLFS: ErrorCode = "SQLITE_NOLFS"
    /// `SQLITE_AUTH` (23): authorization denied.
    public static let sqliteAuth: ErrorCode = "SQLITE_AUTH"
    /// `SQLITE_FORMAT` (24).
    public static let sqliteFormat: ErrorCode = "SQLITE_FORMAT"
    /// `SQLITE_RANGE` (25): bind parameter index out of range.
    public static let sqliteRange: ErrorCode = "SQLITE_RANGE"
    /// `SQLITE_NOTADB` (26).
    public static let sqliteNotADB: ErrorCode = "SQLITE_NOTADB"
    /// `SQLITE_NOTICE` (27).
    public static let sqliteNotice: ErrorCode = "SQLITE_NOTICE"
    /// `SQLITE_WARNING` (28).
    public static let sqliteWarning: ErrorCode = "SQLITE_WARNING"
    /// `SQLITE_UNKNOWN`: sqld's name for primary `SQLITE_ERROR` and any unmapped SQLite code.
    public static let sqliteUnknown: ErrorCode = "SQLITE_UNKNOWN"

    /// Every SQLite primary error code name (excluding the non-error `SQLITE_OK`, `SQLITE_ROW`, `SQLITE_DONE`).
    public static let sqlitePrimaryCodes: [ErrorCode] = [
        .sqliteError, .sqliteInternal, .sqlitePerm, .sqliteAbort, .sqliteBusy, .sqliteLocked, .sqliteNoMem,
        .sqliteReadOnly, .sqliteInterrupt, .sqliteIOErr, .sqliteCorrupt, .sqliteNotFound, .sqliteFull,
        .sqliteCantOpen, .sqliteProtocol, .sqliteEmpty, .sqliteSchema, .sqliteTooBig, .sqliteConstraint,
        .sqliteMismatch, .sqliteMisuse, .sqliteNoLFS, .sqliteAuth, .sqliteFormat, .sqliteRange, .sqliteNotADB,
        .sqliteNotice, .sqliteWarning,
    ]
}

// MARK: - Extended constraint codes

extension ErrorCode {
    /// `SQLITE_CONSTRAINT_UNIQUE` (2067).
    public static let sqliteConstraintUnique: ErrorCode = "SQLITE_CONSTRAINT_UNIQUE"
    /// `SQLITE_CONSTRAINT_PRIMARYKEY` (1555).
    public static let sqliteConstraintPrimaryKey: ErrorCode = "SQLITE_CONSTRAINT_PRIMARYKEY"
    /// `SQLITE_CONSTRAINT_NOTNULL` (1299).
    public static let sqliteConstraintNotNull: ErrorCode = "SQLITE_CONSTRAINT_NOTNULL"
    /// `SQLITE_CONSTRAINT_FOREIGNKEY` (787).
    public static let sqliteConstraintForeignKey: ErrorCode = "SQLITE_CONSTRAINT_FOREIGNKEY"
    /// `SQLITE_CONSTRAINT_CHECK` (275).
    public static let sqliteConstraintCheck: ErrorCode = "SQLITE_CONSTRAINT_CHECK"
}

// MARK: - Hrana codes

extension ErrorCode {
    /// sqld's own parser rejected the SQL.
    public static let sqlParseError: ErrorCode = "SQL_PARSE_ERROR"
    /// SQLite rejected the SQL at a known offset (`no such column`...).
    public static let sqlInputError: ErrorCode = "SQL_INPUT_ERROR"
    /// The SQL text holds no statement.
    public static let sqlNoStatement: ErrorCode = "SQL_NO_STATEMENT"
    /// The SQL text holds more than one statement.
    public static let sqlManyStatements: ErrorCode = "SQL_MANY_STATEMENTS"
    /// The arguments do not match the statement's parameters.
    public static let argsInvalid: ErrorCode = "ARGS_INVALID"
    /// Both positional and named arguments were given.
    public static let argsBothPositionalAndNamed: ErrorCode = "ARGS_BOTH_POSITIONAL_AND_NAMED"
    /// The server rolled back a transaction that held the write lock too long.
    public static let transactionTimeout: ErrorCode = "TRANSACTION_TIMEOUT"
    /// The server cannot take more transactions.
    public static let transactionBusy: ErrorCode = "TRANSACTION_BUSY"
    /// The response would exceed the server's size limit.
    public static let responseTooLarge: ErrorCode = "RESPONSE_TOO_LARGE"
    /// The stream already stores the maximum number of SQL texts.
    public static let sqlStoreTooMany: ErrorCode = "SQL_STORE_TOO_MANY"
    /// The SQL text is too large to be stored.
    public static let sqlStoreTooLarge: ErrorCode = "SQL_STORE_TOO_LARGE"
    /// The stream expired after being idle; its transaction was rolled back.
    public static let streamExpired: ErrorCode = "STREAM_EXPIRED"
    /// WebSocket: the stream failed to open.
    public static let streamNotOpen: ErrorCode = "STREAM_NOT_OPEN"
    /// WebSocket: the cursor failed to open.
    public static let cursorNotOpen: ErrorCode = "CURSOR_NOT_OPEN"
    /// The operation was blocked by the server.
    public static let blocked: ErrorCode = "BLOCKED"
    /// A replica failed to forward the request to its primary.
    public static let proxyError: ErrorCode = "PROXY_ERROR"
    /// A shared-schema migration failed.
    public static let schemaMigrationError: ErrorCode = "SCHEMA_MIGRATION_ERROR"
    /// Reference test server: text that is not valid UTF-8.
    public static let unicodeError: ErrorCode = "UNICODE_ERROR"
    /// Reference test server: a value it cannot convert.
    public static let valueError: ErrorCode = "VALUE_ERROR"

    /// `Authorization` header missing.
    public static let authHTTPHeaderMissing: ErrorCode = "AUTH_HTTP_HEADER_MISSING"
    /// `Authorization` header unreadable.
    public static let authHTTPHeaderInvalid: ErrorCode = "AUTH_HTTP_HEADER_INVALID"
    /// `Authorization` scheme not supported.
    public static let authHTTPHeaderUnsupportedScheme: ErrorCode = "AUTH_HTTP_HEADER_UNSUPPORTED_SCHEME"
    /// Basic auth is not enabled.
    public static let authBasicNotAllowed: ErrorCode = "AUTH_BASIC_NOT_ALLOWED"
    /// Basic auth credentials rejected.
    public static let authBasicRejected: ErrorCode = "AUTH_BASIC_REJECTED"
    /// A JWT is required.
    public static let authJWTMissing: ErrorCode = "AUTH_JWT_MISSING"
    /// JWT auth is not enabled.
    public static let authJWTNotAllowed: ErrorCode = "AUTH_JWT_NOT_ALLOWED"
    /// The JWT is invalid.
    public static let authJWTInvalid: ErrorCode = "AUTH_JWT_INVALID"
    /// The JWT expired.
    public static let authJWTExpired: ErrorCode = "AUTH_JWT_EXPIRED"
    /// The JWT is not valid yet.
    public static let authJWTImmature: ErrorCode = "AUTH_JWT_IMMATURE"
    /// The auth header is malformed.
    public static let authHeaderMalformed: ErrorCode = "AUTH_HEADER_MALFORMED"
    /// No auth header was found.
    public static let authHeaderNotFound: ErrorCode = "AUTH_HEADER_NOT_FOUND"
    /// Authentication failed.
    public static let authFailed: ErrorCode = "AUTH_FAILED"

    /// Every non-SQLite code this library knows.
    public static let hranaCodes: [ErrorCode] = [
        .sqlParseError, .sqlInputError, .sqlNoStatement, .sqlManyStatements, .argsInvalid,
        .argsBothPositionalAndNamed, .transactionTimeout, .transactionBusy, .responseTooLarge, .sqlStoreTooMany,
        .sqlStoreTooLarge, .streamExpired, .streamNotOpen, .cursorNotOpen, .blocked, .proxyError,
        .schemaMigrationError, .unicodeError, .valueError, .sqliteUnknown,
        .authHTTPHeaderMissing, .authHTTPHeaderInvalid, .authHTTPHeaderUnsupportedScheme, .authBasicNotAllowed,
        .authBasicRejected, .authJWTMissing, .authJWTNotAllowed, .authJWTInvalid, .authJWTExpired,
        .authJWTImmature, .authHeaderMalformed, .authHeaderNotFound, .authFailed,
    ]
}

// MARK: - Classification

extension ErrorCode {
    /// The SQLite primary code of a `SQLITE_*` code, primary or extended (`SQLITE_CONSTRAINT_UNIQUE` ⇒
    /// `SQLITE_CONSTRAINT`); `nil` for Hrana codes, `SQLITE_UNKNOWN` and unknown strings.
    public var primary: ErrorCode? {
        guard rawValue.hasPrefix("SQLITE_") else { return nil }
        var best: ErrorCode?
        for code in Self.sqlitePrimaryCodes
        where rawValue == code.rawValue || rawValue.hasPrefix(code.rawValue + "_") {
            if best == nil || code.rawValue.count > best!.rawValue.count { best = code }
        }
        return best
    }

    /// Whether the code is a SQLite code or a Hrana code this library knows.
    public var isKnown: Bool { primary != nil || Self.hranaCodes.contains(self) }

    /// Whether the code means "the SQL is wrong" in any server's spelling: `SQLITE_ERROR` (and its extended
    /// codes), `SQLITE_UNKNOWN`, `SQL_INPUT_ERROR` or `SQL_PARSE_ERROR`.
    public var isSQLError: Bool {
        self == .sqliteUnknown || self == .sqlInputError || self == .sqlParseError || primary == .sqliteError
    }

    /// Whether the code is `SQLITE_CONSTRAINT` or one of its extended codes.
    public var isConstraint: Bool { primary == .sqliteConstraint }

    /// Whether the code is an authentication failure (`AUTH_*`).
    public var isAuth: Bool { rawValue.hasPrefix("AUTH_") }

    /// The constraint kind an extended constraint code names (`SQLITE_CONSTRAINT_UNIQUE` ⇒ `.unique`);
    /// `nil` for the bare primary `SQLITE_CONSTRAINT` and for other codes.
    public var extendedConstraint: ConstraintKind? {
        guard isConstraint, self != .sqliteConstraint else { return nil }
        switch self {
        case .sqliteConstraintUnique: return .unique
        case .sqliteConstraintPrimaryKey: return .primaryKey
        case .sqliteConstraintNotNull: return .notNull
        case .sqliteConstraintForeignKey: return .foreignKey
        case .sqliteConstraintCheck: return .check
        default: return .other
        }
    }
}

/// Which kind of constraint a statement violated.
public enum ConstraintKind: String, Sendable, Hashable, CaseIterable {
    /// A `UNIQUE` constraint or unique index.
    case unique
    /// A `PRIMARY KEY`. Only an extended code (`SQLITE_CONSTRAINT_PRIMARYKEY`) can say so: SQLite's message
    /// for a primary-key conflict is `UNIQUE constraint failed: t.id`, so message-only errors classify as `.unique`.
    case primaryKey
    /// A `NOT NULL` constraint.
    case notNull
    /// A `FOREIGN KEY` constraint.
    case foreignKey
    /// A `CHECK` constraint.
    case check
    /// Another constraint (trigger `RAISE`, rowid, datatype, virtual table...), or one the message does not name.
    case other
}

extension ProtocolError {
    /// The typed ``code``, or `nil` when the server sent none.
    public var errorCode: ErrorCode? { code.map(ErrorCode.init(rawValue:)) }

    /// Whether this is a "the SQL is wrong" error in any server's spelling (see ``ErrorCode/isSQLError``).
    public var isSQLError: Bool { errorCode?.isSQLError ?? false }

    /// The violated constraint, or `nil` when this is not a constraint failure.
    ///
    /// An extended code (`SQLITE_CONSTRAINT_PRIMARYKEY`) decides when present. Otherwise, for the primary
    /// code `SQLITE_CONSTRAINT` or no code at all, the SQLite message decides (`UNIQUE constraint failed`,
    /// `NOT NULL constraint failed`, `FOREIGN KEY constraint failed`, `CHECK constraint failed`). A message
    /// cannot tell a primary-key conflict from a unique one (SQLite says `UNIQUE constraint failed` for
    /// both), so sqld's primary-only codes report primary-key conflicts as `.unique`. Errors with any other
    /// code (such as `SCHEMA_MIGRATION_ERROR` wrapping a constraint message) are not classified.
    public var constraint: ConstraintKind? {
        if let code = errorCode {
            guard code.isConstraint else { return nil }
            if let kind = code.extendedConstraint { return kind }
        }
        if let kind = Self.constraintKind(inMessage: message) { return kind }
        return errorCode == nil ? nil : .other
    }

    /// Classifies a SQLite constraint message; `nil` when the message names no known constraint.
    public static func constraintKind(inMessage message: String) -> ConstraintKind? {
        if message.contains("UNIQUE constraint failed") { return .unique }
        if message.contains("NOT NULL constraint failed") { return .notNull }
        if message.contains("FOREIGN KEY constraint failed") { return .foreignKey }
        if message.contains("CHECK constraint failed") { return .check }
        if message.contains("PRIMARY KEY constraint failed") { return .primaryKey }
        return nil
    }
}
