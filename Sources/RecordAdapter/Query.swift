import Foundation
import LibSQLClient

/// A query on a model's table: an immutable value that can be stored, extended and run later (a scope).
///
/// ```swift
/// extension User {
///     static var adults: Query<User> { User.where(Column("age") >= 18) }
/// }
/// let names = try await User.adults.order("name").limit(10).pluck("name", as: String.self)
/// ```
/// Each method returns a new query; nothing runs until a fetching method (`all`, `first`, `count`…) is awaited.
public struct Query<Record: Model>: Sendable {
    var conditions: [SQLExpression] = []
    var orderings: [Ordering] = []
    var limitCount: Int?
    var offsetCount: Int?
    var connection: RecordConnection?

    /// A query for every row of the table.
    public init() {}

    /// The query run on `connection` instead of the default one.
    public func on(_ connection: RecordConnection) -> Query {
        var copy = self
        copy.connection = connection
        return copy
    }

    /// Adds a condition (`AND`).
    public func `where`(_ condition: SQLExpression) -> Query {
        var copy = self
        copy.conditions.append(condition)
        return copy
    }

    /// Adds column equalities: `["name": "Alice", "deleted_at": nil as Date?]`; a `NULL` value matches with
    /// `IS NULL`.
    public func `where`(_ values: [String: any SQLValueConvertible]) -> Query {
        values.sorted { $0.key < $1.key }.reduce(self) { query, pair in query.where(Column(pair.key) == SQLValue(sqlValue: pair.value.sqlValue)) }
    }

    /// Adds a SQL fragment whose `?` placeholders bind `arguments`: `where("age > ?", 18)`.
    public func `where`(_ sql: String, _ arguments: any SQLValueConvertible...) -> Query {
        self.where(SQLExpression(sql: sql, arguments: arguments.map(\.sqlValue)))
    }

    /// Adds the negation of column equalities (Rails' `where.not`).
    public func whereNot(_ values: [String: any SQLValueConvertible]) -> Query {
        let equalities = values.sorted { $0.key < $1.key }.map { Column($0.key) == SQLValue(sqlValue: $0.value.sqlValue) }
        guard let first = equalities.first else { return self }
        return self.where(!equalities.dropFirst().reduce(first, &&))
    }

    /// Matches rows of this query or of `other` (their conditions joined by `OR`).
    public func or(_ other: Query) -> Query {
        var copy = self
        copy.conditions = []
        if let mine = combinedCondition, let theirs = other.combinedCondition {
            copy.conditions = [mine || theirs]
        }
        return copy
    }

    /// Appends orderings: `order("name")`, `order("created_at DESC")`, `order(Column("age").desc)`.
    public func order(_ orderings: Ordering...) -> Query {
        var copy = self
        copy.orderings += orderings
        return copy
    }

    /// Replaces the orderings.
    public func reorder(_ orderings: Ordering...) -> Query {
        var copy = self
        copy.orderings = orderings
        return copy
    }

    /// At most `count` rows.
    public func limit(_ count: Int) -> Query {
        var copy = self
        copy.limitCount = count
        return copy
    }

    /// Skips `count` rows.
    public func offset(_ count: Int) -> Query {
        var copy = self
        copy.offsetCount = count
        return copy
    }

    var combinedCondition: SQLExpression? {
        guard let first = conditions.first else { return nil }
        return conditions.dropFirst().reduce(first, &&)
    }

    func resolvedConnection() throws -> RecordConnection {
        if let connection { return connection }
        return try Records.connection
    }

    /// `WHERE … ORDER BY … LIMIT … OFFSET …` with its arguments.
    func clauses(orderings: [Ordering]? = nil, limit: Int?? = nil) -> (sql: String, arguments: [SQLValue]) {
        var sql = ""
        var arguments: [SQLValue] = []
        if let condition = combinedCondition {
            sql += " WHERE " + condition.sql
            arguments += condition.arguments
        }
        let order = orderings ?? self.orderings
        if !order.isEmpty { sql += " ORDER BY " + order.map(\.sql).joined(separator: ", ") }
        let limit = limit ?? limitCount
        if let limit {
            sql += " LIMIT ?"
            arguments.append(.integer(Int64(limit)))
        }
        if let offsetCount {
            if limit == nil { sql += " LIMIT -1" }
            sql += " OFFSET ?"
            arguments.append(.integer(Int64(offsetCount)))
        }
        return (sql, arguments)
    }

    func whereClause() -> (sql: String, arguments: [SQLValue]) {
        guard let condition = combinedCondition else { return ("", []) }
        return (" WHERE " + condition.sql, condition.arguments)
    }

    func statement(select: String, orderings: [Ordering]? = nil, limit: Int?? = nil) -> Statement {
        let tail = clauses(orderings: orderings, limit: limit)
        return Statement(sql: "SELECT \(select) FROM \(Record.quotedTable)" + tail.sql, arguments: .positional(tail.arguments))
    }
}
