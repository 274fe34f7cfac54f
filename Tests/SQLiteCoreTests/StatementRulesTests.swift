import Foundation
import Hrana
import SQLiteCore
import Testing

/// The statement rules shared by the server engine and the client's local mode, on a real SQLite file.
@Suite struct StatementRulesTests {
    /// One text, and the code it must fail with (`nil`: it prepares as exactly one statement).
    static let textCases: [(sql: String, code: String?)] = [
        ("SELECT 1", nil), ("SELECT 1;", nil), ("SELECT 1; ;", nil), ("SELECT 1 -- trailing", nil),
        ("SELECT 1; /* c */ ;", nil), (" -- lead\nSELECT 1", nil), ("; SELECT 1", nil), ("SELECT 1; /* open", nil),
        ("", "SQL_NO_STATEMENT"), ("   ", "SQL_NO_STATEMENT"), ("-- c", "SQL_NO_STATEMENT"),
        ("/* block */", "SQL_NO_STATEMENT"), (";", "SQL_NO_STATEMENT"), (" ; ; ", "SQL_NO_STATEMENT"),
        ("SELECT 1; SELECT 2", "SQL_MANY_STATEMENTS"), ("SELECT 1; ; SELECT 2", "SQL_MANY_STATEMENTS"),
        ("SELECT 1; garbage", "SQL_MANY_STATEMENTS"), ("SELECT 1; SELEC 2", "SQL_MANY_STATEMENTS"),
        ("SELECT 1; -- c\nSELECT 2", "SQL_MANY_STATEMENTS"), ("SELECT 1; SELECT * FROM missing", "SQL_MANY_STATEMENTS"),
        ("SELECT foobar", "SQL_INPUT_ERROR"), ("SELEC 1", "SQL_INPUT_ERROR"),
        ("SELECT foobar; SELECT 2", "SQL_INPUT_ERROR"),
    ]

    @Test(arguments: textCases)
    func oneStatementPerText(sql: String, code: String?) throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let connection = try SQLiteConnection(path: database.path)
        if let code {
            let error = #expect(throws: StatementError.self) { try connection.prepareSingle(sql) }
            #expect(error?.code == code)
        } else {
            let statement = try connection.prepareSingle(sql)
            #expect(try statement.step())
            #expect(try statement.value(at: 0) == .integer(1))
        }
    }

    @Test func messagesAreSqlds() throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let connection = try SQLiteConnection(path: database.path)
        let none = #expect(throws: StatementError.self) { try connection.prepareSingle("-- c") }
        #expect(none?.message == "SQL string does not contain any statement")
        let many = #expect(throws: StatementError.self) { try connection.prepareSingle("SELECT 1; SELECT 2") }
        #expect(many?.message == "SQL string contains more than one statement")
        let input = #expect(throws: StatementError.self) { try connection.prepareSingle("SELECT foobar") }
        #expect(input?.message == "SQL input error: no such column: foobar (at offset 7)")
        #expect(input?.protocolError == ProtocolError(message: input?.message ?? "", code: "SQL_INPUT_ERROR"))
    }

    @Test func runtimeErrorsKeepOnlyThePrimaryCode() throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let connection = try SQLiteConnection(path: database.path)
        try connection.execute(script: "CREATE TABLE t(a UNIQUE); INSERT INTO t VALUES (1);")
        func stepError(_ sql: String) throws -> StatementError? {
            let statement = try connection.prepareSingle(sql)
            return #expect(throws: SQLiteError.self) { while try statement.step() {} }
                .map { StatementError($0, atPrepare: false) }
        }
        let unique = try stepError("INSERT INTO t VALUES (1)")
        #expect(unique?.code == "SQLITE_CONSTRAINT")
        #expect(unique?.message == "SQLite error: UNIQUE constraint failed: t.a")
        #expect(unique?.sqlite?.extendedCodeName == "SQLITE_CONSTRAINT_UNIQUE")
        let commit = try stepError("COMMIT")
        #expect(commit?.code == "SQLITE_UNKNOWN")
        #expect(commit?.message == "SQLite error: cannot commit - no transaction is active")
        #expect(try stepError("SELECT abs(-9223372036854775808)")?.code == "SQLITE_UNKNOWN")
    }

    /// SQL, and the kind SQLite's facts plus the statement's own text give it.
    static let kindCases: [(sql: String, kind: SQLText.StatementKind)] = [
        ("SELECT 1", .query), ("/* INSERT */ SELECT 1", .query), ("SELECT 'INSERT INTO t'", .query),
        ("-- DELETE FROM t\nSELECT 2", .query), ("VALUES (1)", .query), ("EXPLAIN INSERT INTO t VALUES (1)", .query),
        ("WITH x AS (SELECT 'DELETE') SELECT * FROM x", .query), ("SELECT \"insert\" FROM (SELECT 1 AS \"insert\")", .query),
        ("INSERT INTO t VALUES (1)", .insert), ("REPLACE INTO t VALUES (1)", .insert),
        ("/* SELECT */ INSERT INTO t VALUES (1) RETURNING a", .insert),
        ("WITH x(a) AS (SELECT 1) INSERT INTO t SELECT a FROM x", .insert),
        ("UPDATE t SET a = 'DELETE'", .update), ("-- INSERT\nDELETE FROM t", .delete),
        ("WITH x(a) AS (SELECT 'INSERT') DELETE FROM t WHERE a IN (SELECT a FROM x)", .delete),
        ("BEGIN", .other), ("CREATE TABLE u(b)", .other), ("PRAGMA user_version", .other),
    ]

    @Test(arguments: kindCases)
    func statementKindIsNotFooledByCommentsOrLiterals(sql: String, kind: SQLText.StatementKind) throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let connection = try SQLiteConnection(path: database.path)
        try connection.execute(script: "CREATE TABLE t(a)")
        #expect(try connection.prepareSingle(sql).kind == kind)
    }

    @Test func bindsLikeSqld() throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let connection = try SQLiteConnection(path: database.path)
        func row(_ sql: String, _ args: [Value] = [], named: [String: Value] = [:]) throws -> [Value] {
            let statement = try connection.prepareSingle(sql)
            try statement.bind(positional: args, named: named)
            #expect(try statement.step())
            return try statement.row()
        }
        #expect(try row("SELECT ?, ?", [.text("a"), .integer(2)]) == [.text("a"), .integer(2)])
        #expect(try row("SELECT ?2, ?1", [.text("a"), .integer(2)]) == [.integer(2), .text("a")])
        #expect(try row("SELECT :a, @b, $c", named: ["a": .integer(1), "@b": .integer(2), "c": .integer(3)])
            == [.integer(1), .integer(2), .integer(3)])
        #expect(try row("SELECT :a, $a", named: [":a": .text("exact"), "a": .text("bare")]) == [.text("exact"), .text("bare")])

        func bindError(_ sql: String, _ args: [Value] = [], named: [String: Value] = [:]) throws -> StatementError? {
            let statement = try connection.prepareSingle(sql)
            return #expect(throws: StatementError.self) { try statement.bind(positional: args, named: named) }
        }
        let tooMany = try bindError("SELECT ?", [.integer(1), .integer(2)])
        #expect(tooMany?.code == "ARGS_INVALID")
        #expect(tooMany?.message == "Arguments do not match SQL parameters: too many parameters, expected 1 found 2")
        let missing = try bindError("SELECT ?, ?", [.integer(1)])
        #expect(missing?.code == "ARGS_INVALID")
        #expect(missing?.message == "Arguments do not match SQL parameters: value for parameter 2 not found")
        #expect(try bindError("SELECT :a", named: ["b": .integer(1)])?.message
            == "Arguments do not match SQL parameters: value for parameter :a not found")
        #expect(try bindError("SELECT 1", [.integer(1)])?.code == "ARGS_INVALID")
        #expect(try bindError("SELECT ?, :a", [.integer(1)], named: ["a": .integer(2)])?.code
            == "ARGS_BOTH_POSITIONAL_AND_NAMED")

        let explain = try connection.prepareSingle("EXPLAIN SELECT ?")
        try explain.bind(positional: [], named: [:])
    }

    @Test func readOnlyBeginIsLibSQLsDeferredBegin() throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let connection = try SQLiteConnection(path: database.path)
        for sql in ["BEGIN TRANSACTION READONLY", "begin readonly", "BEGIN READONLY TRANSACTION;", "/* c */ BEGIN READONLY"] {
            #expect(SQLText.beginsReadOnlyTransaction(sql), "\(sql)")
            let statement = try connection.prepareSingle(sql)
            #expect(try !statement.step())
            #expect(!connection.isAutocommit)
            try connection.execute(script: "ROLLBACK")
        }
        for sql in ["BEGIN", "BEGIN IMMEDIATE", "BEGIN TRANSACTION", "SELECT 'BEGIN READONLY'", "BEGIN; READONLY"] {
            #expect(!SQLText.beginsReadOnlyTransaction(sql), "\(sql)")
        }
    }
}
