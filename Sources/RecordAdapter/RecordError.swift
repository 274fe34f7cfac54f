import Foundation
import LibSQLClient

/// The record layer's one error type, with a ``Kind`` to match on as Rails code rescues by class:
///
/// ```swift
/// do { try await User.create(user) }
/// catch let error as RecordError where error.kind == .recordNotUnique { ... }
/// ```
/// It carries the SQL that failed (never its argument values) and the client's ``LibSQLError``; a token never
/// appears in either.
public struct RecordError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, as ActiveRecord's exception classes name it.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// `find` or `find!`-style lookups matched no row (`ActiveRecord::RecordNotFound`).
        case recordNotFound
        /// Validations failed; see ``RecordError/validationErrors`` (`RecordInvalid`).
        case recordInvalid
        /// A `UNIQUE` or `PRIMARY KEY` constraint failed (`RecordNotUnique`).
        case recordNotUnique
        /// A `NOT NULL` constraint failed (`NotNullViolation`).
        case notNullViolation
        /// A `FOREIGN KEY` constraint failed (`InvalidForeignKey`).
        case invalidForeignKey
        /// A `CHECK` constraint failed (`CheckViolation`).
        case checkViolation
        /// An optimistic-locking update or destroy matched no row: someone else changed it (`StaleObjectError`).
        case staleObject
        /// Any other database error: bad SQL, missing table, other constraints (`StatementInvalid`).
        case statementInvalid
        /// No connection is configured, or the database cannot be reached (`ConnectionNotEstablished`).
        case connectionNotEstablished
        /// A connection configuration is malformed: unknown keys, missing keys, bad values.
        case configurationInvalid
        /// A migration to roll back has no `down`, or is not known (`IrreversibleMigration`).
        case irreversibleMigration
        /// A `dependent: .restrictWithError` association has records, so the owner was not destroyed
        /// (`RecordNotDestroyed`); see ``RecordError/validationErrors``.
        case recordNotDestroyed
    }

    /// What went wrong.
    public var kind: Kind
    /// A readable explanation.
    public var message: String
    /// The SQL involved, when one statement failed.
    public var sql: String?
    /// The client's error, when the database reported the failure.
    public var underlying: LibSQLError?
    /// For ``Kind/recordInvalid``, what each attribute got wrong.
    public var validationErrors: ValidationErrors?

    /// Creates an error.
    public init(
        _ kind: Kind, _ message: String, sql: String? = nil, underlying: LibSQLError? = nil,
        validationErrors: ValidationErrors? = nil
    ) {
        self.kind = kind
        self.message = message
        self.sql = sql
        self.underlying = underlying
        self.validationErrors = validationErrors
    }

    /// Classifies a client error by its code and constraint kind (the message is only displayed).
    public init(_ error: LibSQLError, sql: String? = nil) {
        let kind: Kind
        switch error.code {
        case .sqliteConstraint:
            switch error.constraint {
            case .unique?, .primaryKey?: kind = .recordNotUnique
            case .notNull?: kind = .notNullViolation
            case .foreignKey?: kind = .invalidForeignKey
            case .check?: kind = .checkViolation
            case .other?, nil: kind = .statementInvalid
            }
        case .connectionError, .clientClosed, .unauthorized, .urlInvalid, .urlSchemeNotSupported, .timeout:
            kind = .connectionNotEstablished
        default:
            kind = .statementInvalid
        }
        self.init(kind, error.message, sql: sql ?? error.sql, underlying: error)
    }

    /// Wraps any error from the client; record errors and cancellation pass through unchanged.
    static func wrap(_ error: any Error, sql: String?) -> any Error {
        switch error {
        case let error as LibSQLError: RecordError(error, sql: sql)
        default: error
        }
    }

    public var description: String {
        var text = "\(kind.rawValue): \(message)"
        if let validationErrors, !validationErrors.isEmpty { text += " (\(validationErrors.fullMessages.joined(separator: "; ")))" }
        if let sql { text += " in \"\(sql.count > 200 ? String(sql.prefix(200)) + "…" : sql)\"" }
        return text
    }
}
