import Foundation
import LibSQLClient
import SQLiteCore

/// A private in-memory SQLite database holding one side of a diff (the desired file, or a replay of the
/// current schema), so both sides are introspected by the same SQLite with the same PRAGMAs.
final class SchemaShadow {
    let connection: SQLiteConnection

    init() throws(SchemaError) {
        do {
            connection = try SQLiteConnection(path: ":memory:")
            try connection.execute(script: "PRAGMA foreign_keys=ON")
        } catch {
            throw SchemaError(kind: .internalFailure, message: "cannot open an in-memory SQLite database: \(error)")
        }
    }

    deinit { connection.close() }

    /// All rows of a query, with positional text arguments.
    func rows(_ sql: String, _ arguments: [String] = []) throws(SQLiteError) -> [[SQLValue]] {
        let (prepared, _) = try connection.prepare(sql)
        guard let statement = prepared else { return [] }
        for (index, argument) in arguments.enumerated() {
            try statement.bind(.text(argument), at: Int32(index + 1))
        }
        var rows: [[SQLValue]] = []
        while try statement.step() { rows.append(try statement.row()) }
        return rows
    }

    /// Runs one statement, discarding rows.
    func run(_ sql: String) throws(SQLiteError) {
        let (prepared, _) = try connection.prepare(sql)
        guard let statement = prepared else { return }
        while try statement.step() {}
    }

    /// Loads a schema file statement by statement, with SQLite finding each statement's end (its tail
    /// pointer), so semicolons inside trigger bodies, literals and comments are never mistaken for ends.
    ///
    /// Throws ``SchemaError/Kind/invalidDesiredSchema`` naming the statement, its line and column; only
    /// `CREATE` statements are accepted.
    func load(script: String) throws(SchemaError) {
        let bytes = Array(script.utf8)
        var offset = 0
        var number = 0
        while offset < bytes.count {
            let prepared: SQLiteStatement?
            let consumed: Int
            do {
                (prepared, consumed) = try bytes.withUnsafeBufferPointer { (buffer) throws(SQLiteError) in
                    try connection.prepare(UnsafeBufferPointer(rebasing: buffer[offset...]))
                }
            } catch {
                let start = Self.firstSignificantByte(bytes, from: offset)
                throw Self.invalid(
                    number: number + 1, bytes: bytes, at: error.offset.map { offset + $0 } ?? start,
                    statementStart: start, message: error.message)
            }
            guard let statement = prepared else {
                // Only whitespace, comments or a lone ";" before the tail.
                if consumed == 0 { break }
                offset += consumed
                continue
            }
            number += 1
            let text = String(decoding: bytes[offset..<(offset + consumed)], as: UTF8.self)
            let start = Self.firstSignificantByte(bytes, from: offset)
            let keyword = SQLTokenizer.tokenize(text).first { $0.isSignificant && $0.text != ";" }
            guard keyword?.isKeyword("create") == true else {
                throw Self.invalid(
                    number: number, bytes: bytes, at: start, statementStart: start,
                    message: "only CREATE TABLE, INDEX, VIEW and TRIGGER statements belong in a schema file")
            }
            do {
                while try statement.step() {}
            } catch {
                throw Self.invalid(number: number, bytes: bytes, at: start, statementStart: start, message: error.message)
            }
            offset += max(consumed, 1)
        }
    }

    private static func firstSignificantByte(_ bytes: [UInt8], from offset: Int) -> Int {
        let rest = String(decoding: bytes[offset...], as: UTF8.self)
        var position = offset
        for token in SQLTokenizer.tokenize(rest) {
            if token.isSignificant, token.text != ";" { return position }
            position += token.text.utf8.count
        }
        return offset
    }

    private static func invalid(
        number: Int, bytes: [UInt8], at position: Int, statementStart: Int, message: String
    ) -> SchemaError {
        let clamped = min(max(position, 0), bytes.count)
        let before = bytes[..<clamped]
        let line = before.count(where: { $0 == 0x0A }) + 1
        let lineStart = before.lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
        let column = String(decoding: bytes[lineStart..<clamped], as: UTF8.self).count + 1
        let lineEnd = bytes[clamped...].firstIndex(of: 0x0A) ?? bytes.count
        let excerpt = String(decoding: bytes[lineStart..<lineEnd], as: UTF8.self)
        return SchemaError(
            kind: .invalidDesiredSchema,
            message: "statement \(number) (line \(line), column \(column)): \(message)\n    \(excerpt)",
            statementNumber: number, line: line, column: column)
    }

    /// Replays the current schema's stored statements, in creation order.
    ///
    /// Returns a warning for every object that cannot be replayed (for example libSQL-only syntax); such
    /// objects are left alone by the plan.
    func replay(_ objects: [StoredObject]) -> (warnings: [String], opaque: Set<String>) {
        var warnings: [String] = []
        var opaque: Set<String> = []
        var pending = objects.filter { !SchemaSnapshot.isInternal($0.name) }
        var progress = true
        var failures: [String: String] = [:]
        while progress, !pending.isEmpty {
            progress = false
            var next: [StoredObject] = []
            for object in pending {
                do {
                    try run(object.sql)
                    progress = true
                } catch {
                    // A virtual table's shadow tables already exist once the virtual table is replayed.
                    if object.type == "table", isShadowTable(object.name) {
                        progress = true
                        continue
                    }
                    failures[object.name] = error.message
                    next.append(object)
                }
            }
            pending = next
        }
        for object in pending {
            opaque.insert(object.name.lowercasedASCII)
            warnings.append(
                "the current \(object.type) \(object.name) cannot be read by this SQLite "
                    + "(\(failures[object.name] ?? "unknown error")); it is left as it is")
        }
        return (warnings, opaque)
    }

    func isShadowTable(_ name: String) -> Bool {
        let rows = (try? rows("SELECT type FROM pragma_table_list WHERE schema = 'main' AND name = ?1", [name])) ?? []
        return rows.first?.first == .text("shadow")
    }
}

/// One row of `sqlite_schema`.
struct StoredObject: Sendable, Hashable {
    var type: String
    var name: String
    var tableName: String
    var sql: String
}
