import Foundation
import Hrana

/// The result of one statement: columns, rows, and the write counters.
public struct ResultSet: Sendable, Hashable {
    /// The column names, in order (empty name for an unnamed column).
    public let columns: [String]
    /// The declared column types (`""` for expressions), as in libsql-client-ts.
    public let columnTypes: [String]
    /// The rows.
    public let rows: [Row]
    /// Rows changed by an INSERT, UPDATE or DELETE.
    public let rowsAffected: Int
    /// The rowid of the last inserted row, when the server reports one.
    public let lastInsertRowID: Int64?

    /// Creates a result set.
    public init(columns: [String], columnTypes: [String], rows: [Row], rowsAffected: Int, lastInsertRowID: Int64?) {
        self.columns = columns
        self.columnTypes = columnTypes
        self.rows = rows
        self.rowsAffected = rowsAffected
        self.lastInsertRowID = lastInsertRowID
    }

    /// Creates a result set from rows of values sharing `columns` (for layers that step SQLite themselves).
    package init(
        columns: [String], columnTypes: [String], values: [[SQLValue]], rowsAffected: Int, lastInsertRowID: Int64?
    ) {
        let layout = RowLayout(names: columns)
        self.init(
            columns: columns, columnTypes: columnTypes, rows: values.map { Row(layout: layout, values: $0) },
            rowsAffected: rowsAffected, lastInsertRowID: lastInsertRowID)
    }

    init(_ result: StmtResult) {
        let layout = RowLayout(result.cols)
        self.init(
            columns: layout.names, columnTypes: result.cols.map { $0.decltype ?? "" },
            rows: result.rows.map { Row(layout: layout, values: $0) },
            rowsAffected: Int(clamping: result.affectedRowCount), lastInsertRowID: result.lastInsertRowID)
    }

    /// Decodes every row as `T`, matching coding keys to column names.
    public func decode<T: Decodable>(_ type: T.Type = T.self) throws -> [T] {
        try rows.map { try $0.decode(type) }
    }
}

/// Column names of a result, shared by all its rows, with a name lookup table.
final class RowLayout: Sendable {
    let names: [String]
    let indexByName: [String: Int]

    convenience init(_ columns: [Column]) {
        self.init(names: columns.map { $0.name ?? "" })
    }

    init(names: [String]) {
        self.names = names
        var index: [String: Int] = [:]
        for (position, name) in names.enumerated().reversed() {
            index[name] = position
        }
        for (position, name) in names.enumerated().reversed() where index[name.lowercased()] == nil {
            index[name.lowercased()] = position
        }
        indexByName = index
    }

    func index(of name: String) -> Int? {
        indexByName[name] ?? indexByName[name.lowercased()]
    }
}

/// One result row, readable by position and by column name.
public struct Row: Sendable, Hashable, RandomAccessCollection {
    let layout: RowLayout
    /// The values, one per column.
    public let values: [Value]

    init(layout: RowLayout, values: [Value]) {
        self.layout = layout
        self.values = values
    }

    /// Creates a row; rows of one result should share a layout (``ResultSet/init(columns:columnTypes:values:rowsAffected:lastInsertRowID:)``).
    package init(columns: [String], values: [SQLValue]) {
        self.init(layout: RowLayout(names: columns), values: values)
    }

    /// The column names of the row.
    public var columns: [String] { layout.names }

    public var startIndex: Int { values.startIndex }
    public var endIndex: Int { values.endIndex }

    /// The value at a column position.
    public subscript(position: Int) -> Value { values[position] }

    /// The value of a named column (exact name first, then case-insensitive), or `nil` if there is no such column.
    public subscript(column: String) -> Value? {
        layout.index(of: column).map { values[$0] }
    }

    /// The value at a column position converted to `T`.
    public subscript<T: SQLValueDecodable>(position: Int) -> T {
        get throws { try get(position, as: T.self) }
    }

    /// The value of a named column converted to `T`.
    public subscript<T: SQLValueDecodable>(column: String) -> T {
        get throws { try get(column, as: T.self) }
    }

    /// The value at a column position converted to `T`.
    public func get<T: SQLValueDecodable>(_ position: Int, as type: T.Type = T.self) throws -> T {
        guard values.indices.contains(position) else {
            throw LibSQLError(code: .columnNotFound, message: "No column at index \(position) (row has \(values.count))")
        }
        return try T(sqlValue: values[position])
    }

    /// The value of a named column converted to `T`.
    public func get<T: SQLValueDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        guard let position = layout.index(of: column) else {
            throw LibSQLError(code: .columnNotFound, message: "No column named \"\(column)\" in \(layout.names)")
        }
        do {
            return try T(sqlValue: values[position])
        } catch var error as LibSQLError {
            error.message += " (column \"\(column)\")"
            throw error
        }
    }

    /// Decodes the row as `T`, matching coding keys to column names.
    public func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        try T(from: RowDecoder(row: self))
    }

    public static func == (lhs: Row, rhs: Row) -> Bool {
        lhs.values == rhs.values && lhs.layout.names == rhs.layout.names
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(values)
        hasher.combine(layout.names)
    }
}

extension Row: CustomStringConvertible {
    public var description: String {
        "[" + zip(layout.names, values).map { "\($0): \($1)" }.joined(separator: ", ") + "]"
    }
}
