import CSQLite
import Foundation
import Hrana

// The rules every Hrana statement follows, wherever it runs (our server, the client's local mode):
// exactly one statement per text, sqld's argument binding, and the statement's kind from SQLite's facts.

extension SQLiteConnection {
    /// Compiles the one statement of `sql`, like sqld: `SQL_NO_STATEMENT` when there is none,
    /// `SQL_MANY_STATEMENTS` when anything but whitespace, comments and empty statements (`;`) follows it
    /// (`"SELECT 1; ;"` is one statement, `"SELECT 1; ; SELECT 2"` two). Empty statements before it are
    /// skipped. libSQL's `BEGIN [TRANSACTION] READONLY` is accepted as a deferred `BEGIN`.
    package func prepareSingle(_ sql: String) throws(StatementError) -> SQLiteStatement {
        let text = SQLText.rewritingReadonlyBegin(sql) ?? sql
        return try withUTF8(text) { (buffer) throws(StatementError) -> SQLiteStatement in
            var offset = 0
            while offset < buffer.count {
                let prepared: (statement: SQLiteStatement?, consumed: Int)
                do throws(SQLiteError) {
                    prepared = try prepare(UnsafeBufferPointer(rebasing: buffer[offset...]))
                } catch {
                    throw StatementError(error, atPrepare: true)
                }
                offset += prepared.consumed
                if let statement = prepared.statement {
                    guard SQLText.isBlank(UnsafeBufferPointer(rebasing: buffer[offset...])) else {
                        throw .manyStatements
                    }
                    return statement
                }
                if prepared.consumed == 0 { break }
            }
            throw .noStatement
        }
    }
}

extension SQLiteStatement {
    /// Binds arguments like sqld's `Params::bind`.
    ///
    /// Positional xor named (`ARGS_BOTH_POSITIONAL_AND_NAMED`); more arguments than parameters is
    /// `ARGS_INVALID`. For each parameter: `?NNN` takes positional argument NNN, a named parameter takes
    /// the argument with its exact name (prefix included) or else its name without the prefix, an
    /// anonymous `?` takes the positional argument at its index. A parameter without a value is
    /// `ARGS_INVALID`, except in `EXPLAIN` statements.
    package func bind(positional args: [Value], named: [String: Value]) throws(StatementError) {
        if !args.isEmpty && !named.isEmpty { throw .argsBothKinds }
        let parameterCount = Int(self.parameterCount)
        let provided = max(args.count, named.count)
        guard parameterCount >= provided else {
            throw .argsInvalid("too many parameters, expected \(parameterCount) found \(provided)")
        }
        guard parameterCount > 0 else { return }
        for index in 1...parameterCount {
            let name = parameterName(Int32(index))
            let value: Value?
            if let name, let prefix = name.first {
                let rest = name.dropFirst()
                if prefix == "?" {
                    guard let position = Int(rest), position >= 1 else {
                        throw .argsInvalid("invalid parameter position \(name)")
                    }
                    value = position <= args.count ? args[position - 1] : nil
                } else {
                    value = named[name] ?? named[String(rest)]
                }
            } else {
                value = index <= args.count ? args[index - 1] : nil
            }
            guard let value else {
                if isExplain { continue }
                throw .argsInvalid("value for parameter \(name ?? String(index)) not found")
            }
            do {
                try bind(value, at: Int32(index))
            } catch {
                throw StatementError(error, atPrepare: false)
            }
        }
    }

    /// What the statement does, from SQLite's own facts: an `EXPLAIN` is a query, a read-only statement
    /// (`sqlite3_stmt_readonly`) changes no rows, and otherwise the main verb of the statement's own text
    /// (`sqlite3_sql`, comments and literals skipped) says whether it inserts, updates or deletes.
    package var kind: SQLText.StatementKind {
        if isExplain { return .query }
        guard let text = sqlite3_sql(handle) else { return .other }
        let kind = text.withMemoryRebound(to: UInt8.self, capacity: 1) { bytes in
            SQLText.statementKind(UnsafeBufferPointer(start: bytes, count: strlen(text)))
        }
        if isReadOnly { return kind == .query ? .query : .other }
        return kind
    }
}
