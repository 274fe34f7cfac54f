import Foundation
import LibSQLClient

extension Query {
    /// Every matching record.
    public func all() async throws -> [Record] {
        try Record.decodeAll(try await resolvedConnection().execute(statement(select: "*")))
    }

    /// The first record in the query's order (by primary key when it has none), or `nil`.
    public func first() async throws -> Record? {
        let order = orderings.isEmpty ? [Ordering.parse(Record.primaryKey)] : orderings
        let result = try await resolvedConnection().execute(statement(select: "*", orderings: order, limit: .some(1)))
        return try result.rows.first.map(Record.init(row:))
    }

    /// The last record: the query's order reversed (primary key descending when it has none), or `nil`.
    public func last() async throws -> Record? {
        let order = orderings.isEmpty ? [Ordering.parse(Record.primaryKey + " DESC")] : orderings.map(\.reversed)
        let result = try await resolvedConnection().execute(statement(select: "*", orderings: order, limit: .some(1)))
        return try result.rows.first.map(Record.init(row:))
    }

    /// The record with this primary key; throws ``RecordError/Kind/recordNotFound`` when there is none.
    public func find(_ id: some SQLValueConvertible) async throws -> Record {
        let query = self.where(Column(Record.primaryKey) == SQLValue(sqlValue: id.sqlValue))
        let result = try await resolvedConnection().execute(query.statement(select: "*", orderings: [], limit: .some(1)))
        guard let row = result.rows.first else {
            throw RecordError(.recordNotFound, "Couldn't find \(Record.self) with \(Record.primaryKey) = \(id.sqlValue)", sql: query.statement(select: "*").sql)
        }
        return try Record(row: row)
    }

    /// The first record matching the column values, or `nil`.
    public func findBy(_ values: [String: any SQLValueConvertible]) async throws -> Record? {
        try await self.where(values).limit(1).all().first
    }

    /// Whether any row matches (`SELECT 1 … LIMIT 1`).
    public func exists() async throws -> Bool {
        let result = try await resolvedConnection().execute(statement(select: "1", orderings: [], limit: .some(1)))
        return !result.rows.isEmpty
    }

    /// The number of matching rows (respecting `limit` and `offset`).
    public func count() async throws -> Int {
        let sql: String
        let arguments: [SQLValue]
        if limitCount != nil || offsetCount != nil {
            let inner = clauses()
            sql = "SELECT COUNT(*) FROM (SELECT 1 FROM \(Record.quotedTable)\(inner.sql))"
            arguments = inner.arguments
        } else {
            let filter = whereClause()
            sql = "SELECT COUNT(*) FROM \(Record.quotedTable)\(filter.sql)"
            arguments = filter.arguments
        }
        let result = try await resolvedConnection().execute(Statement(sql: sql, arguments: .positional(arguments)))
        return try result.rows.first?.get(0, as: Int.self) ?? 0
    }

    /// One column of every matching row: `pluck("email", as: String.self)`.
    public func pluck<T: Decodable>(_ column: Column, as type: T.Type = T.self) async throws -> [T] {
        let result = try await resolvedConnection().execute(statement(select: column.quoted))
        return try result.rows.map { try SQLValueCoding.decode(type, from: $0[0], codingPath: []) }
    }

    /// The integer primary keys of the matching rows.
    public func ids() async throws -> [Int64] {
        try await pluck(Column(Record.primaryKey), as: Int64.self)
    }

    /// The primary keys of the matching rows, read as `T` (for text or UUID keys).
    public func ids<T: Decodable>(as type: T.Type) async throws -> [T] {
        try await pluck(Column(Record.primaryKey), as: type)
    }

    /// `SUM(column)`; `nil` when no row matches.
    public func sum(_ column: Column) async throws -> Double? { try await aggregate("SUM", column) }
    /// `AVG(column)`; `nil` when no row matches.
    public func average(_ column: Column) async throws -> Double? { try await aggregate("AVG", column) }

    /// `MIN(column)` read as `T`; `nil` when no row matches.
    public func minimum<T: Decodable>(_ column: Column, as type: T.Type = T.self) async throws -> T? {
        try await aggregate("MIN", column)
    }

    /// `MAX(column)` read as `T`; `nil` when no row matches.
    public func maximum<T: Decodable>(_ column: Column, as type: T.Type = T.self) async throws -> T? {
        try await aggregate("MAX", column)
    }

    private func aggregate<T: Decodable>(_ function: String, _ column: Column) async throws -> T? {
        let filter = whereClause()
        let statement = Statement(
            sql: "SELECT \(function)(\(column.quoted)) FROM \(Record.quotedTable)\(filter.sql)", arguments: .positional(filter.arguments))
        let result = try await resolvedConnection().execute(statement)
        guard let value = result.rows.first?[0], value != .null else { return nil }
        return try SQLValueCoding.decode(T.self, from: value, codingPath: [])
    }

    /// Sets columns on every matching row in one statement, without callbacks or validations; returns the count.
    @discardableResult
    public func updateAll(_ values: [String: any SQLValueConvertible]) async throws -> Int {
        guard !values.isEmpty else { return 0 }
        let pairs = values.sorted { $0.key < $1.key }
        let filter = whereClause()
        let sql = "UPDATE \(Record.quotedTable) SET " + pairs.map { "\(SQLQuoting.identifier($0.key)) = ?" }.joined(separator: ", ") + filter.sql
        let statement = Statement(sql: sql, arguments: .positional(pairs.map(\.value.sqlValue) + filter.arguments))
        return try await resolvedConnection().execute(statement).rowsAffected
    }

    /// Deletes every matching row in one statement, without callbacks; returns the count.
    @discardableResult
    public func deleteAll() async throws -> Int {
        let filter = whereClause()
        let statement = Statement(sql: "DELETE FROM \(Record.quotedTable)" + filter.sql, arguments: .positional(filter.arguments))
        return try await resolvedConnection().execute(statement).rowsAffected
    }

    /// Loads and destroys every matching record, running each one's destroy callbacks; returns them.
    @discardableResult
    public func destroyAll() async throws -> [Record] {
        let connection = try resolvedConnection()
        let records = try await all()
        for record in records { try await record.destroy(on: connection) }
        return records
    }
}
