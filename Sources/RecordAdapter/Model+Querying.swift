import Foundation
import LibSQLClient

/// Class-level query methods, as in Rails: `User.where(…)`, `User.find(1)`, `User.count()`.
extension Model {
    /// A query for every row, on `connection` or the default connection.
    public static func query(on connection: RecordConnection? = nil) -> Query<Self> {
        connection.map { Query<Self>().on($0) } ?? Query<Self>()
    }

    /// Rows matching a condition.
    public static func `where`(_ condition: SQLExpression) -> Query<Self> { Query().where(condition) }
    /// Rows with these column values.
    public static func `where`(_ values: [String: any SQLValueConvertible]) -> Query<Self> { Query().where(values) }
    /// Rows matching a SQL fragment with bound `?` arguments.
    public static func `where`(_ sql: String, _ arguments: any SQLValueConvertible...) -> Query<Self> {
        Query().where(SQLExpression(sql: sql, arguments: arguments.map(\.sqlValue)))
    }
    /// Rows without these column values.
    public static func whereNot(_ values: [String: any SQLValueConvertible]) -> Query<Self> { Query().whereNot(values) }
    /// Every row, ordered.
    public static func order(_ orderings: Ordering...) -> Query<Self> { Query(orderings: orderings) }
    /// At most `count` rows.
    public static func limit(_ count: Int) -> Query<Self> { Query().limit(count) }

    /// Every record.
    public static func all(on connection: RecordConnection? = nil) async throws -> [Self] { try await query(on: connection).all() }
    /// The record with this primary key; throws ``RecordError/Kind/recordNotFound``.
    public static func find(_ id: some SQLValueConvertible, on connection: RecordConnection? = nil) async throws -> Self {
        try await query(on: connection).find(id)
    }
    /// The first record with these column values, or `nil`.
    public static func findBy(_ values: [String: any SQLValueConvertible], on connection: RecordConnection? = nil) async throws -> Self? {
        try await query(on: connection).findBy(values)
    }
    /// The first record by primary key.
    public static func first(on connection: RecordConnection? = nil) async throws -> Self? { try await query(on: connection).first() }
    /// The last record by primary key.
    public static func last(on connection: RecordConnection? = nil) async throws -> Self? { try await query(on: connection).last() }
    /// The number of rows.
    public static func count(on connection: RecordConnection? = nil) async throws -> Int { try await query(on: connection).count() }
    /// Whether the table has any row.
    public static func exists(on connection: RecordConnection? = nil) async throws -> Bool { try await query(on: connection).exists() }
    /// One column of every row.
    public static func pluck<T: Decodable>(_ column: Column, as type: T.Type = T.self, on connection: RecordConnection? = nil) async throws -> [T] {
        try await query(on: connection).pluck(column, as: type)
    }
    /// Deletes every row without callbacks; returns the count.
    @discardableResult
    public static func deleteAll(on connection: RecordConnection? = nil) async throws -> Int { try await query(on: connection).deleteAll() }
    /// Sets columns on every row without callbacks; returns the count.
    @discardableResult
    public static func updateAll(_ values: [String: any SQLValueConvertible], on connection: RecordConnection? = nil) async throws -> Int {
        try await query(on: connection).updateAll(values)
    }
}

extension Query {
    init(orderings: [Ordering]) {
        self.init()
        self.orderings = orderings
    }
}
