import Foundation
import Hrana
import Logging
import SQLiteCore

/// The SQLite connection of a local client, used by one task at a time.
///
/// Runs statements with the server's rules, so local and remote results and error codes agree: one statement
/// per `execute` (`SQL_NO_STATEMENT`, `SQL_MANY_STATEMENTS`), sqld's argument binding (`ARGS_INVALID`),
/// `SQL_INPUT_ERROR` / `SQLITE_UNKNOWN` / `SQLITE_<PRIMARY>` codes, `rowsAffected` only when rows changed,
/// and `lastInsertRowID` only after an INSERT.
actor LocalDatabase {
    let connection: SQLiteConnection

    init(path: String, access: LocalAccess) throws {
        do {
            switch access {
            case .readWrite: connection = try SQLiteConnection(path: path)
            case .readOnly: connection = try SQLiteConnection(path: path, mode: .readOnly, create: false)
            }
        } catch {
            throw LibSQLError(code: .sqliteCantOpen, message: "Could not open the database file: \(error.message)")
        }
        connection.setBusyTimeout(access.busyTimeout)
    }

    func close() {
        connection.close()
    }

    func execute(_ statement: Statement) throws -> ResultSet {
        try Self.run(statement, on: connection)
    }

    func executeScript(_ sql: String) throws {
        do {
            try connection.execute(script: sql)
        } catch {
            throw Self.error(error, sql: sql, atPrepare: false)
        }
    }

    var isAutocommit: Bool { connection.isAutocommit }

    /// Runs `BEGIN`, the statements and `COMMIT`, rolling back at the first failure; with
    /// `disablingForeignKeys`, between `PRAGMA foreign_keys=off` and `on` (SQLite ignores the pragma inside a
    /// transaction, so it must come first).
    func batch(_ statements: [Statement], mode: TransactionMode, disablingForeignKeys: Bool) throws -> [ResultSet] {
        guard disablingForeignKeys else { return try batch(statements, mode: mode) }
        _ = try Self.run("PRAGMA foreign_keys=off", on: connection)
        defer { _ = try? Self.run("PRAGMA foreign_keys=on", on: connection) }
        return try batch(statements, mode: mode)
    }

    private func batch(_ statements: [Statement], mode: TransactionMode) throws -> [ResultSet] {
        _ = try Self.run(Statement(mode.localBeginSQL), on: connection)
        var results: [ResultSet] = []
        results.reserveCapacity(statements.count)
        for (index, statement) in statements.enumerated() {
            do {
                results.append(try Self.run(statement, on: connection))
            } catch var error as LibSQLError {
                rollback()
                error.statementIndex = index
                throw error
            }
        }
        do {
            _ = try Self.run("COMMIT", on: connection)
        } catch {
            rollback()
            throw error
        }
        return results
    }

    func rollback() {
        if !connection.isAutocommit { _ = try? Self.run("ROLLBACK", on: connection) }
    }

    /// Runs all rows of a query, for in-memory databases that cannot open a second connection.
    func rows(_ statement: Statement) throws -> [Row] {
        try Self.run(statement, on: connection).rows
    }

    // MARK: Running one statement

    static func run(_ statement: Statement, on connection: SQLiteConnection) throws -> ResultSet {
        let prepared = try prepare(statement, on: connection)
        var rows: [Row] = []
        let changesBefore = connection.totalChanges
        do {
            let layout = layout(of: prepared)
            while try prepared.step() {
                rows.append(Row(layout: layout, values: try prepared.row()))
            }
            let changed = connection.totalChanges != changesBefore
            return ResultSet(
                columns: layout.names, columnTypes: columnTypes(of: prepared), rows: rows,
                rowsAffected: changed ? Int(connection.changes) : 0,
                lastInsertRowID: isInsert(statement.sql) ? connection.lastInsertRowID : nil)
        } catch {
            throw Self.error(error, sql: statement.sql, atPrepare: false)
        }
    }

    static func layout(of statement: SQLiteStatement) -> RowLayout {
        RowLayout((0..<statement.columnCount).map {
            Column(name: statement.columnName($0), decltype: statement.columnDeclaredType($0))
        })
    }

    static func columnTypes(of statement: SQLiteStatement) -> [String] {
        (0..<statement.columnCount).map { statement.columnDeclaredType($0) ?? "" }
    }

    /// Compiles exactly one statement and binds its arguments.
    static func prepare(_ statement: Statement, on connection: SQLiteConnection) throws -> SQLiteStatement {
        let prepared: SQLiteStatement
        do {
            let (first, tail) = try connection.prepare(statement.sql)
            guard let first else {
                throw LibSQLError(code: .sqlNoStatement, message: "SQL string does not contain any statement", sql: statement.sql)
            }
            if !tail.allSatisfy({ $0.isWhitespace || $0 == ";" }), try connection.prepare(tail).statement != nil {
                throw LibSQLError(code: .sqlManyStatements, message: "SQL string contains more than one statement", sql: statement.sql)
            }
            prepared = first
        } catch let error as SQLiteError {
            throw Self.error(error, sql: statement.sql, atPrepare: true)
        }
        try bind(statement, to: prepared)
        return prepared
    }

    /// Binds arguments with sqld's rules: positional xor named, no extra arguments, every parameter needs a value.
    static func bind(_ statement: Statement, to prepared: SQLiteStatement) throws {
        let parameterCount = Int(prepared.parameterCount)
        func invalid(_ detail: String) -> LibSQLError {
            LibSQLError(code: .argsInvalid, message: "Arguments do not match SQL parameters: \(detail)", sql: statement.sql)
        }
        var positional: [Value] = []
        var named: [String: Value] = [:]
        switch statement.arguments {
        case .positional(let values): positional = values
        case .named(let values): named = values
        }
        let provided = max(positional.count, named.count)
        guard provided <= parameterCount else {
            throw invalid("too many parameters, expected \(parameterCount) found \(provided)")
        }
        guard parameterCount > 0 else { return }
        for index in 1...parameterCount {
            let name = prepared.parameterName(Int32(index))
            var value: Value?
            if let name, let prefix = name.first {
                if prefix == "?" {
                    if let position = Int(name.dropFirst()), position >= 1, position <= positional.count {
                        value = positional[position - 1]
                    }
                } else {
                    value = named[name] ?? named[String(name.dropFirst())]
                }
            } else if index <= positional.count {
                value = positional[index - 1]
            }
            guard let value else {
                if prepared.isExplain { continue }
                throw invalid("value for parameter \(name ?? String(index)) not found")
            }
            do {
                try prepared.bind(value, at: Int32(index))
            } catch {
                throw Self.error(error, sql: statement.sql, atPrepare: false)
            }
        }
    }

    /// Maps a SQLite error to the code the server would send.
    static func error(_ error: SQLiteError, sql: String?, atPrepare: Bool) -> LibSQLError {
        if error.isInvalidUTF8 {
            return LibSQLError(code: .unicodeError, message: "SQLite error: \(error.message)", sql: sql)
        }
        let extended = ErrorCode(error.extendedCodeName)
        if error.code == 1 {
            if atPrepare, let offset = error.offset {
                return LibSQLError(code: .sqlInputError, message: "SQL input error: \(error.message) (at offset \(offset))", sql: sql)
            }
            return LibSQLError(code: .sqliteUnknown, message: "SQLite error: \(error.message)", sql: sql)
        }
        let primary = ErrorCode(error.primaryCodeName)
        let protocolError = ProtocolError(message: error.message, code: extended.rawValue)
        return LibSQLError(
            code: primary, message: "SQLite error: \(error.message)", extendedCode: extended == primary ? nil : extended,
            constraint: protocolError.constraint, sql: sql)
    }

    static func isInsert(_ sql: String) -> Bool {
        var words = sql.split(whereSeparator: { !$0.isLetter && $0 != "_" }).prefix(40).makeIterator()
        guard let first = words.next()?.uppercased() else { return false }
        if first == "INSERT" || first == "REPLACE" { return true }
        guard first == "WITH" else { return false }
        while let word = words.next()?.uppercased() {
            if word == "INSERT" || word == "REPLACE" { return true }
            if word == "SELECT" || word == "UPDATE" || word == "DELETE" { continue }
        }
        return false
    }
}

/// How a local client opens its file.
enum LocalAccess: Sendable {
    /// The public `file:` mode: read-write, created when missing.
    case readWrite
    /// ``Database/init(readOnlyLocalPath:busyTimeout:logger:)``: read-only, never created, journal mode untouched.
    case readOnly(busyTimeout: Duration)

    var busyTimeout: Duration {
        switch self {
        case .readWrite: .seconds(5)
        case .readOnly(let timeout): timeout
        }
    }
}

extension TransactionMode {
    /// Stock SQLite has no `BEGIN TRANSACTION READONLY`; a local read transaction is deferred.
    var localBeginSQL: String {
        switch self {
        case .write: "BEGIN IMMEDIATE"
        case .read, .deferred: "BEGIN DEFERRED"
        }
    }
}
