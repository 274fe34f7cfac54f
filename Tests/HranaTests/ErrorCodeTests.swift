import Foundation
import Hrana
import Testing

/// The typed error-code model and constraint classification.
@Suite("Error codes")
struct ErrorCodeTests {
    @Test("every SQLite primary code is its own primary; extended codes map to theirs")
    func primaries() {
        for code in ErrorCode.sqlitePrimaryCodes {
            #expect(code.primary == code)
            #expect(code.isKnown)
            #expect(ErrorCode(code.rawValue + "_SOMETHING").primary == code)
        }
        #expect(ErrorCode.sqlitePrimaryCodes.count == 28)
        #expect(ErrorCode("SQLITE_CONSTRAINT_UNIQUE").primary == .sqliteConstraint)
        #expect(ErrorCode("SQLITE_IOERR_SHORT_READ").primary == .sqliteIOErr)
        #expect(ErrorCode("SQLITE_ERROR_MISSING_COLLSEQ").primary == .sqliteError)
        #expect(ErrorCode("SQLITE_NOTADB").primary == .sqliteNotADB)
        #expect(ErrorCode("SQLITE_UNKNOWN").primary == nil)
        #expect(ErrorCode("SQLITE_CONSTRAINTX").primary == nil)
        #expect(ErrorCode("SQLITE_").primary == nil)
        #expect(ErrorCode("ARGS_INVALID").primary == nil)
    }

    @Test("Hrana codes are known; unknown codes are kept verbatim")
    func knownAndUnknown() throws {
        let names = [
            "SQLITE_UNKNOWN", "SQL_PARSE_ERROR", "SQL_INPUT_ERROR", "SQL_NO_STATEMENT", "SQL_MANY_STATEMENTS",
            "ARGS_INVALID", "ARGS_BOTH_POSITIONAL_AND_NAMED", "TRANSACTION_TIMEOUT", "TRANSACTION_BUSY",
            "RESPONSE_TOO_LARGE", "SQL_STORE_TOO_MANY", "SQL_STORE_TOO_LARGE", "STREAM_EXPIRED", "BLOCKED",
            "AUTH_JWT_EXPIRED", "AUTH_HTTP_HEADER_MISSING", "AUTH_FAILED", "SCHEMA_MIGRATION_ERROR", "PROXY_ERROR",
        ]
        for name in names { #expect(ErrorCode(name).isKnown, "\(name)") }
        let unknown = ErrorCode("SOMETHING_NEW")
        #expect(!unknown.isKnown)
        #expect(unknown.rawValue == "SOMETHING_NEW")
        let error = try HranaJSON.decode(ProtocolError.self, from: json(#"{"message":"m","code":"SOMETHING_NEW"}"#))
        #expect(error.errorCode == unknown)
        #expect(error.errorCode?.description == "SOMETHING_NEW")
        #expect(try HranaJSON.decode(ErrorCode.self, from: try HranaJSON.encode(ErrorCode.streamExpired)) == .streamExpired)
        #expect(ErrorCode.authJWTInvalid.isAuth)
        #expect(!ErrorCode.argsInvalid.isAuth)
    }

    @Test("SQL error class in every server's spelling")
    func sqlErrors() {
        for code: ErrorCode in [.sqliteError, .sqliteUnknown, .sqlInputError, .sqlParseError, "SQLITE_ERROR_RETRY"] {
            #expect(code.isSQLError, "\(code)")
        }
        for code: ErrorCode in [.sqliteConstraint, .argsInvalid, .sqlNoStatement, "SQLITE_ERRORS", .streamExpired] {
            #expect(!code.isSQLError, "\(code)")
        }
        #expect(!ProtocolError(message: "no code", code: nil).isSQLError)
    }

    @Test("constraint classification from extended codes and messages", arguments: [
        ("SQLite error: UNIQUE constraint failed: t.x", "SQLITE_CONSTRAINT", ConstraintKind?.some(.unique)),
        ("SQLite error: UNIQUE constraint failed: t.id", "SQLITE_CONSTRAINT_PRIMARYKEY", .primaryKey),
        ("UNIQUE constraint failed: t.id", nil, .unique),
        ("NOT NULL constraint failed: t.a", "SQLITE_CONSTRAINT", .notNull),
        ("FOREIGN KEY constraint failed", "SQLITE_CONSTRAINT", .foreignKey),
        ("CHECK constraint failed: a > 0", "SQLITE_CONSTRAINT", .check),
        ("CHECK constraint failed: a > 0", "SQLITE_CONSTRAINT_CHECK", .check),
        ("anything", "SQLITE_CONSTRAINT_NOTNULL", .notNull),
        ("anything", "SQLITE_CONSTRAINT_FOREIGNKEY", .foreignKey),
        ("anything", "SQLITE_CONSTRAINT_UNIQUE", .unique),
        ("raised by trigger", "SQLITE_CONSTRAINT_TRIGGER", .other),
        ("constraint failed", "SQLITE_CONSTRAINT", .other),
        ("no such table: t", "SQLITE_ERROR", nil),
        ("no such table: t", nil, nil),
        ("migration failed: UNIQUE constraint failed: t.c", "SCHEMA_MIGRATION_ERROR", nil),
    ])
    func constraints(message: String, code: String?, expected: ConstraintKind?) {
        #expect(ProtocolError(message: message, code: code).constraint == expected)
    }

    @Test("extended constraint codes")
    func extended() {
        #expect(ErrorCode.sqliteConstraint.extendedConstraint == nil)
        #expect(ErrorCode.sqliteConstraintPrimaryKey.extendedConstraint == .primaryKey)
        #expect(ErrorCode("SQLITE_CONSTRAINT_ROWID").extendedConstraint == .other)
        #expect(ErrorCode.sqliteBusy.extendedConstraint == nil)
        #expect(ErrorCode.sqliteConstraintCheck.isConstraint)
    }

    @Test("switching over codes")
    func switching() {
        func describe(_ error: ProtocolError) -> String {
            switch error.errorCode {
            case .streamExpired?: "expired"
            case let code? where code.isConstraint: "constraint"
            case let code? where code.isSQLError: "sql"
            case .some: "other"
            case nil: "none"
            }
        }
        #expect(describe(ProtocolError(message: "", code: "STREAM_EXPIRED")) == "expired")
        #expect(describe(ProtocolError(message: "", code: "SQLITE_CONSTRAINT_UNIQUE")) == "constraint")
        #expect(describe(ProtocolError(message: "", code: "SQL_INPUT_ERROR")) == "sql")
        #expect(describe(ProtocolError(message: "", code: "X")) == "other")
        #expect(describe(ProtocolError(message: "", code: nil)) == "none")
    }
}
