import Foundation

/// A result column: its name and declared type (`nil` for expressions).
public struct Column: Sendable, Hashable, Codable {
    /// The column name as SQLite reports it (the alias when there is one).
    public var name: String?
    /// The declared type, verbatim from `sqlite3_column_decltype`, or `nil` for an expression.
    public var decltype: String?

    /// Creates a column description.
    public init(name: String?, decltype: String?) {
        self.name = name
        self.decltype = decltype
    }

    private enum CodingKeys: String, CodingKey { case name, decltype }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(decltype, forKey: .decltype)
    }
}

/// The result of executing one statement.
///
/// Every spec key is always encoded (`last_insert_rowid` as a string or `null`); sqld's extras
/// (`rows_read`, `rows_written`, `query_duration_ms`, `replication_index`) only when set.
public struct StmtResult: Sendable, Hashable, Codable {
    /// The result columns.
    public var cols: [Column]
    /// The rows, each with one value per column.
    public var rows: [[Value]]
    /// Rows changed by an INSERT, UPDATE or DELETE.
    public var affectedRowCount: UInt64
    /// The rowid of the last inserted row, when the server reports it.
    public var lastInsertRowID: Int64?
    /// sqld extension: rows read by the statement.
    public var rowsRead: UInt64?
    /// sqld extension: rows written by the statement.
    public var rowsWritten: UInt64?
    /// sqld extension: the statement's run time in milliseconds.
    public var queryDurationMS: Double?
    /// sqld extension: the replication index after the statement.
    public var replicationIndex: UInt64?

    /// Creates a statement result.
    public init(
        cols: [Column] = [], rows: [[Value]] = [], affectedRowCount: UInt64 = 0, lastInsertRowID: Int64? = nil,
        rowsRead: UInt64? = nil, rowsWritten: UInt64? = nil, queryDurationMS: Double? = nil,
        replicationIndex: UInt64? = nil
    ) {
        self.cols = cols
        self.rows = rows
        self.affectedRowCount = affectedRowCount
        self.lastInsertRowID = lastInsertRowID
        self.rowsRead = rowsRead
        self.rowsWritten = rowsWritten
        self.queryDurationMS = queryDurationMS
        self.replicationIndex = replicationIndex
    }

    private enum CodingKeys: String, CodingKey {
        case cols, rows, affectedRowCount = "affected_row_count", lastInsertRowID = "last_insert_rowid"
        case rowsRead = "rows_read", rowsWritten = "rows_written", queryDurationMS = "query_duration_ms"
        case replicationIndex = "replication_index"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        cols = try container.decode([Column].self, forKey: .cols)
        rows = try container.decode([[Value]].self, forKey: .rows)
        affectedRowCount = try container.decodeNumber(UInt64.self, forKey: .affectedRowCount)
        lastInsertRowID = try container.decodeFlexibleInt64IfPresent(forKey: .lastInsertRowID)
        rowsRead = try container.decodeNumberIfPresent(UInt64.self, forKey: .rowsRead)
        rowsWritten = try container.decodeNumberIfPresent(UInt64.self, forKey: .rowsWritten)
        queryDurationMS = try container.decodeNumberIfPresent(Double.self, forKey: .queryDurationMS)
        replicationIndex = try container.decodeFlexibleUInt64IfPresent(forKey: .replicationIndex)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(cols, forKey: .cols)
        try container.encode(rows, forKey: .rows)
        try container.encode(affectedRowCount, forKey: .affectedRowCount)
        try container.encode(lastInsertRowID.map(String.init), forKey: .lastInsertRowID)
        try container.encodeIfPresent(rowsRead, forKey: .rowsRead)
        try container.encodeIfPresent(rowsWritten, forKey: .rowsWritten)
        try container.encodeIfPresent(queryDurationMS, forKey: .queryDurationMS)
        try container.encodeIfPresent(replicationIndex.map(String.init), forKey: .replicationIndex)
    }
}
