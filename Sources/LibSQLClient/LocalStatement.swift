import Foundation
import Hrana
import SQLiteCore

/// Runs statements on a local connection with SQLiteCore's statement rules, the ones our server applies, so that
/// local and remote results and errors agree: one statement per `execute` (`SQL_NO_STATEMENT`,
/// `SQL_MANY_STATEMENTS`), sqld's argument binding (`ARGS_INVALID`, `ARGS_BOTH_POSITIONAL_AND_NAMED`), sqld's
/// codes (`SQL_INPUT_ERROR`, `SQLITE_UNKNOWN`, primary `SQLITE_<CODE>`), `rowsAffected` and `lastInsertRowID`
/// from the statement's kind.
enum LocalStatement {
    /// Runs a script of several statements in order, discarding rows (the server's `sequence`).
    static func runScript(_ sql: String, on connection: SQLiteConnection) throws {
        var remaining = SQLText.rewritingReadonlyBegin(sql) ?? sql
        while !remaining.isEmpty {
            let statement: SQLiteStatement?
            let tail: String
            do {
                (statement, tail) = try connection.prepare(remaining)
            } catch {
                throw Self.error(StatementError(error, atPrepare: true), sql: sql)
            }
            if let statement {
                do {
                    while try statement.step() {}
                } catch {
                    throw Self.error(StatementError(error, atPrepare: false), sql: sql)
                }
            }
            if tail.utf8.count >= remaining.utf8.count { break }
            remaining = SQLText.rewritingReadonlyBegin(tail) ?? tail
        }
    }

    /// Prepares, binds and runs one statement.
    static func run(_ statement: Statement, on connection: SQLiteConnection) throws -> ResultSet {
        try run(try prepare(statement, on: connection), statement: statement, on: connection)
    }

    /// Runs one statement if SQLite compiles it as read-only (`sqlite3_stmt_readonly`); `nil` without running
    /// it otherwise.
    static func runReadOnly(_ statement: Statement, on connection: SQLiteConnection) throws -> ResultSet? {
        let prepared = try prepare(statement, on: connection)
        guard prepared.isReadOnly else { return nil }
        return try run(prepared, statement: statement, on: connection)
    }

    private static func run(
        _ prepared: SQLiteStatement, statement: Statement, on connection: SQLiteConnection
    ) throws -> ResultSet {
        let kind = prepared.kind
        let layout = layout(of: prepared)
        var rows: [Row] = []
        do {
            while try prepared.step() {
                rows.append(Row(layout: layout, values: try prepared.row()))
            }
        } catch {
            throw Self.error(StatementError(error, atPrepare: false), sql: statement.sql)
        }
        return ResultSet(
            columns: layout.names, columnTypes: columnTypes(of: prepared), rows: rows,
            rowsAffected: kind.changesRows ? Int(connection.changes) : 0,
            lastInsertRowID: kind == .insert ? connection.lastInsertRowID : nil)
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
        do throws(StatementError) {
            let prepared = try connection.prepareSingle(statement.sql)
            switch statement.arguments {
            case .positional(let values): try prepared.bind(positional: values, named: [:])
            case .named(let values): try prepared.bind(positional: [], named: values)
            }
            return prepared
        } catch {
            throw Self.error(error, sql: statement.sql)
        }
    }

    /// The error as the server would send it, with the SQL that failed.
    static func error(_ error: StatementError, sql: String?) -> LibSQLError {
        LibSQLError(error.protocolError, sql: sql)
    }

    /// A SQLite error met while stepping a statement.
    static func error(_ error: SQLiteError, sql: String?) -> LibSQLError {
        Self.error(StatementError(error, atPrepare: false), sql: sql)
    }
}
