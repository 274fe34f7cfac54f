import Foundation
import LibSQLClient
import Testing

/// One table of statement cases, run against our server over HTTP and against a local file: both must give the
/// same results and the same error codes, since both apply SQLiteCore's statement rules.
@Suite struct StatementRulesTableTests {
    /// What a statement gave, in a form comparable across backends.
    enum Outcome: Equatable, CustomStringConvertible {
        case result(columns: [String], rows: [[SQLValue]], rowsAffected: Int, lastInsertRowID: Int64?)
        case failure(code: ErrorCode, constraint: ConstraintKind?)

        var description: String {
            switch self {
            case .result(let columns, let rows, let affected, let last):
                "result(\(columns), \(rows), affected: \(affected), lastInsertRowID: \(last.map(String.init) ?? "nil"))"
            case .failure(let code, let constraint):
                "failure(\(code.rawValue)\(constraint.map { ", \($0)" } ?? ""))"
            }
        }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var statement: Statement
        /// The error code both backends must give, or `nil` when the statement succeeds.
        var code: ErrorCode?
        var testDescription: String { name }
    }

    static let schema = """
        CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, n INT CHECK (n >= 0));
        INSERT INTO t (id, name, n) VALUES (1, 'one', 1);
        """

    /// Run in this order on both backends (some of them change the table).
    static let cases: [Case] = [
        Case(name: "one statement", statement: "SELECT 1 AS one, 'x' AS two", code: nil),
        Case(name: "trailing semicolons and comments", statement: "SELECT 1; ; -- done\n/* end */", code: nil),
        Case(name: "empty statements between two", statement: "SELECT 1; ; SELECT 2", code: .sqlManyStatements),
        Case(name: "two statements", statement: "SELECT 1; SELECT 2", code: .sqlManyStatements),
        Case(name: "syntax error in the second statement", statement: "SELECT 1; SELEC 2", code: .sqlManyStatements),
        Case(name: "unknown table in the second statement", statement: "SELECT 1; SELECT * FROM nope", code: .sqlManyStatements),
        Case(name: "syntax error", statement: "SELEC 1", code: .sqlInputError),
        Case(name: "unknown table (SQLite gives no offset)", statement: "SELECT * FROM nope", code: .sqliteUnknown),
        Case(name: "empty SQL", statement: "", code: .sqlNoStatement),
        Case(name: "whitespace only", statement: "  \n\t ", code: .sqlNoStatement),
        Case(name: "comment only", statement: "-- nothing here\n/* or here */", code: .sqlNoStatement),
        Case(name: "semicolons only", statement: " ; ;", code: .sqlNoStatement),
        Case(name: "insert", statement: "INSERT INTO t (name, n) VALUES ('two', 2)", code: nil),
        Case(name: "insert with a leading comment", statement: "/* add */ INSERT INTO t (name, n) VALUES ('three', 3)", code: nil),
        Case(name: "select of a literal saying INSERT", statement: "SELECT 'INSERT INTO t' AS text", code: nil),
        Case(name: "select after a comment saying INSERT", statement: "/* INSERT */ SELECT count(*) FROM t", code: nil),
        Case(name: "update with a comment saying INSERT", statement: "UPDATE t SET n = n + 1 WHERE id = 1 -- INSERT", code: nil),
        Case(name: "update with a literal saying REPLACE", statement: "UPDATE t SET name = 'REPLACE me' WHERE id = 2", code: nil),
        Case(name: "delete", statement: "DELETE FROM t WHERE id = 3", code: nil),
        Case(name: "update matching nothing", statement: "UPDATE t SET n = 0 WHERE id = 99", code: nil),
        Case(name: "CTE insert", statement: "WITH v(x) AS (SELECT 'cte') INSERT INTO t (name, n) SELECT x, 4 FROM v", code: nil),
        Case(name: "unique violation", statement: "INSERT INTO t (name, n) VALUES ('one', 1)", code: .sqliteConstraint),
        Case(name: "primary key violation", statement: "INSERT INTO t (id, name, n) VALUES (1, 'uno', 1)", code: .sqliteConstraint),
        Case(name: "not null violation", statement: "INSERT INTO t (name, n) VALUES (NULL, 1)", code: .sqliteConstraint),
        Case(name: "check violation", statement: "INSERT INTO t (name, n) VALUES ('neg', -1)", code: .sqliteConstraint),
        Case(name: "positional arguments", statement: Statement("SELECT ?, ?", [1, "a"]), code: nil),
        Case(name: "numbered arguments", statement: Statement("SELECT ?2, ?1, ?2", [1, 2]), code: nil),
        Case(name: "named arguments, with and without prefix",
             statement: Statement("SELECT :a, @b, $c", named: [":a": 1, "b": 2, "$c": 3]), code: nil),
        Case(name: "too many arguments", statement: Statement("SELECT ?", [1, 2]), code: .argsInvalid),
        Case(name: "too few arguments", statement: Statement("SELECT ?, ?", [1]), code: .argsInvalid),
        Case(name: "arguments for a statement without parameters", statement: Statement("SELECT 1", [1]), code: .argsInvalid),
        Case(name: "named arguments for positional parameters", statement: Statement("SELECT ?", named: ["a": 1]), code: .argsInvalid),
        Case(name: "positional arguments for named parameters", statement: Statement("SELECT :a", [1]), code: .argsInvalid),
        Case(name: "a named argument that is missing", statement: Statement("SELECT :a, :b", named: ["a": 1]), code: .argsInvalid),
        Case(name: "EXPLAIN without arguments", statement: "EXPLAIN SELECT ?", code: nil),
    ]

    static func outcome(of statement: Statement, on db: Database) async -> Outcome {
        do {
            let rs = try await db.execute(statement)
            return .result(
                columns: rs.columns, rows: rs.rows.map(\.values), rowsAffected: rs.rowsAffected,
                lastInsertRowID: rs.lastInsertRowID)
        } catch let error as LibSQLError {
            return .failure(code: error.code, constraint: error.constraint)
        } catch {
            return .failure(code: "NOT_A_LIBSQL_ERROR", constraint: nil)
        }
    }

    static func outcomes(on db: Database) async throws -> [Outcome] {
        try await db.executeMultiple(schema)
        var outcomes: [Outcome] = []
        for item in cases { outcomes.append(await outcome(of: item.statement, on: db)) }
        return outcomes
    }

    @Test func remoteAndLocalAgree() async throws {
        let remote = try await withServer { server in
            let db = try Database(url: server.url.absoluteString)
            let outcomes = try await Self.outcomes(on: db)
            await db.close()
            return outcomes
        }
        let local = try await withTemporaryDirectory { directory in
            let db = try Database(url: "file:" + directory.appendingPathComponent("rules.db").path)
            let outcomes = try await Self.outcomes(on: db)
            await db.close()
            return outcomes
        }
        for (index, item) in Self.cases.enumerated() {
            #expect(remote[index] == local[index], "\(item.name): remote \(remote[index]), local \(local[index])")
            for (backend, outcome) in [("remote", remote[index]), ("local", local[index])] {
                switch outcome {
                case .failure(let code, _):
                    #expect(code == item.code, "\(item.name) (\(backend)): \(outcome)")
                case .result:
                    #expect(item.code == nil, "\(item.name) (\(backend)): \(outcome)")
                }
            }
        }
    }

    @Test("a write in a read batch or read transaction fails alike remote and local")
    func readModeWritesAgree() async throws {
        func codes(_ db: Database) async throws -> [ErrorCode?] {
            try await db.execute("CREATE TABLE r (x INT)")
            let batch = await expectLibSQLError { try await db.batch(["SELECT 1", "INSERT INTO r VALUES (1)"], mode: .read) }
            let transaction = await expectLibSQLError {
                try await db.transaction(.read) { tx in _ = try await tx.execute("INSERT INTO r VALUES (1)") }
            }
            let count = try await db.execute("SELECT count(*) FROM r").rows[0][0]
            #expect(count == .integer(0))
            return [batch?.code, transaction?.code]
        }
        let remote = try await withServer { server in
            let db = try Database(url: server.url.absoluteString)
            defer { Task { await db.close() } }
            return try await codes(db)
        }
        let local = try await withTemporaryDirectory { directory in
            let db = try Database(url: "file:" + directory.appendingPathComponent("read.db").path)
            defer { Task { await db.close() } }
            return try await codes(db)
        }
        #expect(remote == local)
        #expect(local == [.sqliteReadOnly, .sqliteReadOnly])
    }
}
