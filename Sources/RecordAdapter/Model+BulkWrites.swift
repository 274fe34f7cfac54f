import Foundation
import LibSQLClient

/// What an upsert does with a row whose unique key already exists.
public enum ConflictAction: Sendable, Hashable {
    /// Keep the existing row (`DO NOTHING`).
    case ignore
    /// Overwrite these columns from the new row (`DO UPDATE SET c = excluded.c`).
    case update([String])
    /// Overwrite every inserted column except the conflict target.
    case updateAll
}

extension Model {
    /// Inserts many records in one statement (one round trip), without validations or callbacks, and returns the
    /// stored rows (`RETURNING *`). Above SQLite's 32,766 bound parameters the rows are split into several
    /// statements sent together in one atomic batch, still one round trip.
    @discardableResult
    public static func insertAll(_ records: [Self], on connection: RecordConnection? = nil) async throws -> [Self] {
        try await bulkInsert(records, conflict: nil, on: connection)
    }

    /// Inserts or updates many records in one statement: `ON CONFLICT (uniqueBy) DO UPDATE/NOTHING … RETURNING *`.
    /// Rows skipped by `.ignore` are not returned.
    @discardableResult
    public static func upsertAll(
        _ records: [Self], uniqueBy: [String]? = nil, onConflict action: ConflictAction = .updateAll,
        on connection: RecordConnection? = nil
    ) async throws -> [Self] {
        try await bulkInsert(records, conflict: (uniqueBy ?? [primaryKey], action), on: connection)
    }

    private static func bulkInsert(
        _ records: [Self], conflict: (target: [String], action: ConflictAction)?, on connection: RecordConnection?
    ) async throws -> [Self] {
        let connection = try connection ?? Records.connection
        guard !records.isEmpty else { return [] }
        var now: SQLValue?
        var rows = try records.map { try $0.columnValues() }
        for index in rows.indices {
            for column in ["created_at", "updated_at"] where rows[index][column] == .null {
                if now == nil { now = Date().sqlValue }
                rows[index][column] = now
            }
            if rows[index][lockingColumn] == .null { rows[index][lockingColumn] = .integer(0) }
        }
        // A column is sent when any row has a value for it; NULL in an INTEGER PRIMARY KEY still assigns a rowid.
        var columns: [String] = []
        for row in rows {
            for pair in row where pair.value != .null && !columns.contains(pair.column) { columns.append(pair.column) }
        }
        guard !columns.isEmpty else { throw RecordError(.statementInvalid, "insertAll needs at least one non-NULL column") }
        let rowsPerStatement = max(1, 32_766 / columns.count)
        var statements: [Statement] = []
        var start = 0
        while start < rows.count {
            let chunk = rows[start..<min(rows.count, start + rowsPerStatement)]
            start += chunk.count
            statements.append(insertStatement(columns: columns, rows: chunk, conflict: conflict))
        }
        let results = try await connection.batch(statements)
        return try results.flatMap(Self.decodeAll)
    }

    private static func insertStatement(
        columns: [String], rows: ArraySlice<ColumnValues>, conflict: (target: [String], action: ConflictAction)?
    ) -> Statement {
        let tuple = "(" + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
        var sql = "INSERT INTO \(quotedTable) (" + columns.map(SQLQuoting.identifier).joined(separator: ", ") + ") VALUES "
            + Array(repeating: tuple, count: rows.count).joined(separator: ", ")
        if let conflict {
            sql += " ON CONFLICT (" + conflict.target.map(SQLQuoting.identifier).joined(separator: ", ") + ") DO "
            let updated: [String]
            switch conflict.action {
            case .ignore: updated = []
            case .update(let names): updated = names
            case .updateAll: updated = columns.filter { !conflict.target.contains($0) && $0 != "created_at" }
            }
            sql += updated.isEmpty ? "NOTHING" : "UPDATE SET " + updated.map { "\(SQLQuoting.identifier($0)) = excluded.\(SQLQuoting.identifier($0))" }.joined(separator: ", ")
        }
        sql += " RETURNING *"
        var arguments: [SQLValue] = []
        arguments.reserveCapacity(columns.count * rows.count)
        for row in rows { for column in columns { arguments.append(row[column] ?? .null) } }
        return Statement(sql: sql, arguments: .positional(arguments))
    }
}
