import Foundation
import LibSQLClient

/// A piece of SQL with its bound arguments: a condition, an ordering, a selected expression.
///
/// Build conditions from ``Column`` operators (`Column("age") >= 18 && Column("name").like("A%")`) or from a
/// fragment with `?` placeholders: `SQLExpression("age > ? AND name <> ?", 18, "Bob")`.
public struct SQLExpression: Sendable, Hashable {
    /// The SQL text with `?` placeholders.
    public let sql: String
    /// The values bound to the placeholders, in order.
    public let arguments: [SQLValue]

    /// A SQL fragment whose `?` placeholders bind `arguments` in order.
    public init(_ sql: String, _ arguments: any SQLValueConvertible...) {
        self.init(sql: sql, arguments: arguments.map(\.sqlValue))
    }

    /// A SQL fragment with already converted arguments.
    public init(sql: String, arguments: [SQLValue]) {
        self.sql = sql
        self.arguments = arguments
    }

    /// Both conditions.
    public static func && (lhs: SQLExpression, rhs: SQLExpression) -> SQLExpression {
        SQLExpression(sql: "(\(lhs.sql)) AND (\(rhs.sql))", arguments: lhs.arguments + rhs.arguments)
    }

    /// Either condition.
    public static func || (lhs: SQLExpression, rhs: SQLExpression) -> SQLExpression {
        SQLExpression(sql: "(\(lhs.sql)) OR (\(rhs.sql))", arguments: lhs.arguments + rhs.arguments)
    }

    /// The negated condition.
    public static prefix func ! (condition: SQLExpression) -> SQLExpression {
        SQLExpression(sql: "NOT (\(condition.sql))", arguments: condition.arguments)
    }
}

/// A column of a table, for typed conditions and orderings:
///
/// ```swift
/// extension User { enum Columns { static let name = Column("name"), age = Column("age") } }
/// User.where(User.Columns.age >= 18 && User.Columns.name.like("A%")).order(User.Columns.name.desc)
/// ```
public struct Column: Sendable, ExpressibleByStringLiteral {
    /// The column name, unquoted.
    public let name: String

    /// A column by name.
    public init(_ name: String) { self.name = name }
    public init(stringLiteral name: String) { self.name = name }

    /// The quoted identifier.
    public var quoted: String { SQLQuoting.identifier(name) }

    /// Ascending order on this column.
    public var asc: Ordering { Ordering(sql: quoted + " ASC") }
    /// Descending order on this column.
    public var desc: Ordering { Ordering(sql: quoted + " DESC") }

    /// `column IN (…)`; an empty list matches nothing.
    public func `in`(_ values: [any SQLValueConvertible]) -> SQLExpression {
        guard !values.isEmpty else { return SQLExpression(sql: "0", arguments: []) }
        return SQLExpression(
            sql: "\(quoted) IN (\(Array(repeating: "?", count: values.count).joined(separator: ", ")))",
            arguments: values.map(\.sqlValue))
    }

    /// `column NOT IN (…)`; an empty list matches everything.
    public func notIn(_ values: [any SQLValueConvertible]) -> SQLExpression {
        guard !values.isEmpty else { return SQLExpression(sql: "1", arguments: []) }
        return !self.in(values)
    }

    /// `column LIKE pattern` (ASCII case-insensitive in SQLite).
    public func like(_ pattern: String) -> SQLExpression {
        SQLExpression(sql: "\(quoted) LIKE ?", arguments: [.text(pattern)])
    }

    /// `column IS NULL`.
    public var isNull: SQLExpression { SQLExpression(sql: "\(quoted) IS NULL", arguments: []) }
    /// `column IS NOT NULL`.
    public var isNotNull: SQLExpression { SQLExpression(sql: "\(quoted) IS NOT NULL", arguments: []) }

    private func compare(_ op: String, _ value: some SQLValueConvertible) -> SQLExpression {
        SQLExpression(sql: "\(quoted) \(op) ?", arguments: [value.sqlValue])
    }

    /// `column = value`, or `column IS NULL` for a `nil` value.
    public static func == (lhs: Column, rhs: some SQLValueConvertible) -> SQLExpression {
        rhs.sqlValue == .null ? lhs.isNull : lhs.compare("=", rhs)
    }
    /// `column <> value`, or `column IS NOT NULL` for a `nil` value.
    public static func != (lhs: Column, rhs: some SQLValueConvertible) -> SQLExpression {
        rhs.sqlValue == .null ? lhs.isNotNull : lhs.compare("<>", rhs)
    }
    /// `column IS NULL`.
    public static func == (lhs: Column, rhs: _OptionalNilComparisonType) -> SQLExpression { lhs.isNull }
    /// `column IS NOT NULL`.
    public static func != (lhs: Column, rhs: _OptionalNilComparisonType) -> SQLExpression { lhs.isNotNull }
    /// `column < value`.
    public static func < (lhs: Column, rhs: some SQLValueConvertible) -> SQLExpression { lhs.compare("<", rhs) }
    /// `column <= value`.
    public static func <= (lhs: Column, rhs: some SQLValueConvertible) -> SQLExpression { lhs.compare("<=", rhs) }
    /// `column > value`.
    public static func > (lhs: Column, rhs: some SQLValueConvertible) -> SQLExpression { lhs.compare(">", rhs) }
    /// `column >= value`.
    public static func >= (lhs: Column, rhs: some SQLValueConvertible) -> SQLExpression { lhs.compare(">=", rhs) }
}

/// One `ORDER BY` term.
public struct Ordering: Sendable, Hashable, ExpressibleByStringLiteral {
    /// The SQL of the term.
    public let sql: String

    init(sql: String) { self.sql = sql }

    /// A column name, optionally followed by `ASC` or `DESC`: `"name"`, `"created_at DESC"`. The name is quoted.
    public init(stringLiteral text: String) { self = Ordering.parse(text) }

    /// Parses `name [ASC|DESC]`, quoting the name.
    public static func parse(_ text: String) -> Ordering {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        if parts.count == 2, ["ASC", "DESC"].contains(parts[1].uppercased()) {
            return Ordering(sql: SQLQuoting.identifier(String(parts[0])) + " " + parts[1].uppercased())
        }
        return Ordering(sql: SQLQuoting.identifier(text) + " ASC")
    }

    /// A raw SQL ordering (trusted text, never user input): `Ordering(sql: "length(name) DESC")`.
    public static func sql(_ text: String) -> Ordering { Ordering(sql: text) }

    var reversed: Ordering {
        if sql.hasSuffix(" DESC") { return Ordering(sql: String(sql.dropLast(5)) + " ASC") }
        if sql.hasSuffix(" ASC") { return Ordering(sql: String(sql.dropLast(4)) + " DESC") }
        return Ordering(sql: sql + " DESC")
    }
}
