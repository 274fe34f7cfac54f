import Foundation
import LibSQLClient

/// Reads a database's schema: tables, columns, indexes and foreign keys, and dumps it as SQL.
///
/// ```swift
/// let inspector = SchemaInspector(connection)
/// for column in try await inspector.columns(of: "users") { print(column.name, column.type) }
/// ```
public struct SchemaInspector: Sendable {
    /// A column of a table (`PRAGMA table_xinfo`).
    public struct ColumnInfo: Sendable, Hashable {
        /// The column name.
        public var name: String
        /// The declared type, as written (`TEXT`, `INTEGER`, `DATETIME`…).
        public var type: String
        /// Whether `NULL` is allowed.
        public var isNullable: Bool
        /// The default expression as SQL text, or `nil`.
        public var defaultSQL: String?
        /// The 1-based position in the primary key, 0 when not part of it.
        public var primaryKeyPosition: Int
    }

    /// An index of a table.
    public struct IndexInfo: Sendable, Hashable {
        /// The index name.
        public var name: String
        /// The indexed columns, in order (empty names for expressions).
        public var columns: [String]
        /// Whether the index is unique.
        public var isUnique: Bool
        /// `c` for `CREATE INDEX`, `u` for a `UNIQUE` constraint, `pk` for the primary key.
        public var origin: String
        /// Whether the index is partial (`WHERE …`).
        public var isPartial: Bool
        /// The `CREATE INDEX` statement, `nil` for automatic indexes.
        public var sql: String?
    }

    /// A foreign key of a table.
    public struct ForeignKeyInfo: Sendable, Hashable {
        /// The referencing columns.
        public var columns: [String]
        /// The referenced table.
        public var referencedTable: String
        /// The referenced columns (empty: the referenced table's primary key).
        public var referencedColumns: [String]
        /// `ON UPDATE` action (`NO ACTION`, `CASCADE`…).
        public var onUpdate: String
        /// `ON DELETE` action.
        public var onDelete: String
    }

    let connection: RecordConnection

    /// An inspector over a connection.
    public init(_ connection: RecordConnection) { self.connection = connection }

    /// The user tables, by name (internal `sqlite_`, `_litestream` and `libsql_` tables excluded).
    public func tables() async throws -> [String] {
        let result = try await connection.execute(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_litestream%' ESCAPE '\\' AND name NOT LIKE 'libsql\\_%' ESCAPE '\\' ORDER BY name")
        return try result.rows.map { try $0.get(0, as: String.self) }
    }

    /// The columns of a table, in order; empty when it does not exist.
    public func columns(of table: String) async throws -> [ColumnInfo] {
        let result = try await connection.execute("SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_xinfo(\(table)) WHERE hidden = 0")
        return try result.rows.map { row in
            ColumnInfo(
                name: try row.get(0), type: try row.get(1), isNullable: try row.get(2, as: Int.self) == 0,
                defaultSQL: try row.get(3), primaryKeyPosition: try row.get(4))
        }
    }

    /// The indexes of a table, including those behind `UNIQUE` and `PRIMARY KEY` constraints.
    public func indexes(of table: String) async throws -> [IndexInfo] {
        let list = try await connection.execute(
            "SELECT l.name, l.\"unique\", l.origin, l.partial, s.sql FROM pragma_index_list(\(table)) AS l LEFT JOIN sqlite_schema AS s ON s.type = 'index' AND s.name = l.name ORDER BY l.name")
        var indexes: [IndexInfo] = []
        for row in list.rows {
            let name: String = try row.get(0)
            let columns = try await connection.execute("SELECT name FROM pragma_index_info(\(name)) ORDER BY seqno")
            indexes.append(IndexInfo(
                name: name, columns: try columns.rows.map { try $0.get(0, as: String?.self) ?? "" },
                isUnique: try row.get(1, as: Int.self) == 1, origin: try row.get(2), isPartial: try row.get(3, as: Int.self) == 1,
                sql: try row.get(4)))
        }
        return indexes
    }

    /// The foreign keys of a table.
    public func foreignKeys(of table: String) async throws -> [ForeignKeyInfo] {
        let result = try await connection.execute(
            "SELECT id, \"table\", \"from\", \"to\", on_update, on_delete FROM pragma_foreign_key_list(\(table)) ORDER BY id, seq")
        var keys: [Int: ForeignKeyInfo] = [:]
        var order: [Int] = []
        for row in result.rows {
            let id: Int = try row.get(0)
            if keys[id] == nil {
                order.append(id)
                keys[id] = ForeignKeyInfo(columns: [], referencedTable: try row.get(1), referencedColumns: [], onUpdate: try row.get(4), onDelete: try row.get(5))
            }
            keys[id]?.columns.append(try row.get(2))
            if let to = try row.get(3, as: String?.self) { keys[id]?.referencedColumns.append(to) }
        }
        return order.compactMap { keys[$0] }
    }

    /// The schema as SQL: every table, index, view and trigger, tables first, each statement ending in `;`.
    public func dumpSchema() async throws -> String {
        let result = try await connection.execute(
            "SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE 'libsql\\_%' ESCAPE '\\' ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 WHEN 'view' THEN 2 ELSE 3 END, name")
        return try result.rows.map { try $0.get(0, as: String.self) + ";\n" }.joined()
    }
}
