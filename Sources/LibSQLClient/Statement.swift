import Foundation
import Hrana

/// One SQL statement and its arguments.
///
/// Build it from a string literal; interpolated values become bound arguments, never SQL text:
/// ```swift
/// let stmt: Statement = "SELECT * FROM users WHERE id = \(id) AND name = \(name)"
/// // sql: "SELECT * FROM users WHERE id = ? AND name = ?", arguments: [id, name]
/// ```
/// Use `\(raw: identifier)` only for trusted SQL fragments such as table names.
public struct Statement: Sendable, Hashable, ExpressibleByStringInterpolation {
    /// The arguments of a statement: positional (`?`, `?NNN`) or named (`:name`, `@name`, `$name`).
    public enum Arguments: Sendable, Hashable {
        /// Values for `?` and `?NNN` parameters, in order.
        case positional([Value])
        /// Values by parameter name; the name may include its prefix (`:id`) or not (`id`).
        case named([String: Value])
    }

    /// The SQL text.
    public var sql: String
    /// The bound arguments.
    public var arguments: Arguments

    /// Creates a statement with positional arguments.
    public init(_ sql: String, _ arguments: [any SQLValueConvertible] = []) {
        self.sql = sql
        self.arguments = .positional(arguments.map(\.sqlValue))
    }

    /// Creates a statement with named arguments.
    public init(_ sql: String, named arguments: [String: any SQLValueConvertible]) {
        self.sql = sql
        self.arguments = .named(arguments.mapValues(\.sqlValue))
    }

    /// Creates a statement from SQL text and already converted arguments.
    public init(sql: String, arguments: Arguments) {
        self.sql = sql
        self.arguments = arguments
    }

    public init(stringLiteral value: String) {
        self.init(sql: value, arguments: .positional([]))
    }

    public init(stringInterpolation: StringInterpolation) {
        self.init(sql: stringInterpolation.sql, arguments: .positional(stringInterpolation.values))
    }

    /// Builds SQL text from a literal, turning each interpolated value into a `?` parameter.
    public struct StringInterpolation: StringInterpolationProtocol {
        var sql = ""
        var values: [Value] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            sql.reserveCapacity(literalCapacity + interpolationCount)
            values.reserveCapacity(interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) {
            sql += literal
        }

        /// Appends a `?` placeholder and binds the value to it.
        public mutating func appendInterpolation(_ value: some SQLValueConvertible) {
            sql += "?"
            values.append(value.sqlValue)
        }

        /// Appends trusted SQL text verbatim (identifiers, keywords). Never use it for values.
        public mutating func appendInterpolation(raw text: String) {
            sql += text
        }
    }

    /// The statement with more positional arguments appended; a statement with named arguments takes none.
    func appending(_ extra: [any SQLValueConvertible]) throws -> Statement {
        guard !extra.isEmpty else { return self }
        switch arguments {
        case .positional(let values): return Statement(sql: sql, arguments: .positional(values + extra.map(\.sqlValue)))
        case .named:
            throw LibSQLError(
                code: .argsBothPositionalAndNamed,
                message: "Specifying both positional and named arguments is not supported: the statement already has named arguments",
                sql: sql)
        }
    }

    /// The statement with named arguments; interpolated (positional) values cannot be mixed with them.
    func naming(_ named: [String: any SQLValueConvertible]) throws -> Statement {
        if case .positional(let values) = arguments, !values.isEmpty {
            throw LibSQLError(
                code: .argsBothPositionalAndNamed,
                message: "Specifying both positional (interpolated) and named arguments is not supported", sql: sql)
        }
        return Statement(sql, named: named)
    }

    /// The Hrana form of the statement.
    func hranaStmt(wantRows: Bool = true) -> Stmt {
        switch arguments {
        case .positional(let values):
            return Stmt(sql: sql, args: values, wantRows: wantRows ? nil : false)
        case .named(let values):
            let named = values.sorted { $0.key < $1.key }.map { NamedArg(name: $0.key, value: $0.value) }
            return Stmt(sql: sql, namedArgs: named, wantRows: wantRows ? nil : false)
        }
    }
}

extension Statement: CustomStringConvertible {
    /// The SQL text only; argument values are left out so that logs never carry data.
    public var description: String { sql }
}
