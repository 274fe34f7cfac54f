import LibSQLClient
import SQLiteCore

/// One side of a diff, introspected from a ``SchemaShadow`` with `sqlite_schema` and the table-valued PRAGMAs.
struct SchemaSnapshot: Sendable {
    struct Column: Sendable, Hashable {
        var name: String
        var type: String
        var notNull: Bool
        var defaultValue: String?
        var primaryKeyPosition: Int
        /// 0 normal, 1 hidden (virtual table), 2 VIRTUAL generated, 3 STORED generated.
        var hidden: Int
        var key: String { name.lowercasedASCII }
        var isGenerated: Bool { hidden == 2 || hidden == 3 }
    }

    struct Index: Sendable, Hashable {
        var name: String
        var isUnique: Bool
        /// `c` (CREATE INDEX), `u` (UNIQUE constraint) or `pk`.
        var origin: String
        var isPartial: Bool
        /// Key column names, `nil` for an expression.
        var columns: [String?]
    }

    struct ForeignKey: Sendable, Hashable {
        var parent: String
        var from: [String]
        var to: [String?]
    }

    struct Table: Sendable {
        var name: String
        var sql: String
        var form: [String]
        var definition: TableDefinition?
        var isVirtual: Bool
        var columns: [Column]
        var indexes: [Index]
        var foreignKeys: [ForeignKey]
        var hasAutoincrement: Bool
        var key: String { name.lowercasedASCII }
    }

    /// An index, view or trigger.
    struct Object: Sendable {
        var type: String
        var name: String
        var table: String
        var sql: String
        var tokens: [SQLToken]
        var form: [String]
        var key: String { name.lowercasedASCII }
        var tableKey: String { table.lowercasedASCII }
    }

    var tables: [Table] = []
    var indexes: [Object] = []
    var views: [Object] = []
    var triggers: [Object] = []
    /// Objects that could not be replayed (left alone).
    var opaque: Set<String> = []

    func table(_ key: String) -> Table? { tables.first { $0.key == key } }
    func index(_ key: String) -> Object? { indexes.first { $0.key == key } }
    func view(_ key: String) -> Object? { views.first { $0.key == key } }
    func trigger(_ key: String) -> Object? { triggers.first { $0.key == key } }

    /// Names reserved by SQLite, libSQL and common tools; never part of a diff.
    static func isInternal(_ name: String) -> Bool {
        let lowered = name.lowercasedASCII
        return ["sqlite_", "libsql_", "_litestream_", "_cf_"].contains { lowered.hasPrefix($0) }
    }

    /// Reads every object of `shadow`.
    init(_ shadow: SchemaShadow) throws(SchemaError) {
        do {
            try read(shadow)
        } catch {
            throw SchemaError(kind: .internalFailure, message: "cannot introspect the schema: \(error)")
        }
    }

    init() {}

    private mutating func read(_ shadow: SchemaShadow) throws(SQLiteError) {
        let kinds = Dictionary(
            try shadow.rows("SELECT name, type FROM pragma_table_list WHERE schema = 'main'").map { row in
                (Self.text(row[0]), Self.text(row[1]))
            }, uniquingKeysWith: { first, _ in first })
        let objects = try shadow.rows(
            "SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY rowid")
        for row in objects {
            let type = Self.text(row[0]), name = Self.text(row[1]), table = Self.text(row[2]), sql = Self.text(row[3])
            guard !Self.isInternal(name), !Self.isInternal(table) else { continue }
            let tokens = SQLTokenizer.tokenize(sql)
            let form = SQLTokenizer.normalizedForm(tokens)
            switch type {
            case "table":
                let kind = kinds[name] ?? "table"
                guard kind != "shadow" else { continue }
                tables.append(try Self.table(name: name, sql: sql, form: form, virtual: kind == "virtual", shadow))
            case "index": indexes.append(Object(type: type, name: name, table: table, sql: sql, tokens: tokens, form: form))
            case "view": views.append(Object(type: type, name: name, table: table, sql: sql, tokens: tokens, form: form))
            case "trigger":
                triggers.append(Object(type: type, name: name, table: table, sql: sql, tokens: tokens, form: form))
            default: break
            }
        }
    }

    private static func table(
        name: String, sql: String, form: [String], virtual: Bool, _ shadow: SchemaShadow
    ) throws(SQLiteError) -> Table {
        let columns = try shadow.rows(
            "SELECT name, type, \"notnull\", dflt_value, pk, hidden FROM pragma_table_xinfo(?1) ORDER BY cid", [name]
        ).map { row in
            Column(
                name: text(row[0]), type: text(row[1]), notNull: integer(row[2]) != 0,
                defaultValue: row[3] == .null ? nil : text(row[3]), primaryKeyPosition: integer(row[4]),
                hidden: integer(row[5]))
        }
        var indexes: [Index] = []
        if !virtual {
            for row in try shadow.rows("SELECT name, \"unique\", origin, partial FROM pragma_index_list(?1) ORDER BY seq", [name]) {
                let indexName = text(row[0])
                let keys = try shadow.rows(
                    "SELECT name FROM pragma_index_xinfo(?1) WHERE key = 1 ORDER BY seqno", [indexName]
                ).map { $0[0] == .null ? nil : text($0[0]) }
                indexes.append(
                    Index(name: indexName, isUnique: integer(row[1]) != 0, origin: text(row[2]),
                          isPartial: integer(row[3]) != 0, columns: keys))
            }
        }
        var foreignKeys: [Int: ForeignKey] = [:]
        for row in try shadow.rows("SELECT id, \"table\", \"from\", \"to\" FROM pragma_foreign_key_list(?1) ORDER BY id, seq", [name]) {
            let id = integer(row[0])
            var key = foreignKeys[id] ?? ForeignKey(parent: text(row[1]), from: [], to: [])
            key.from.append(text(row[2]))
            key.to.append(row[3] == .null ? nil : text(row[3]))
            foreignKeys[id] = key
        }
        let autoincrement = SQLTokenizer.tokenize(sql).contains { $0.isKeyword("autoincrement") }
        return Table(
            name: name, sql: sql, form: form, definition: virtual ? nil : TableDefinition(sql: sql), isVirtual: virtual,
            columns: columns, indexes: indexes, foreignKeys: foreignKeys.keys.sorted().compactMap { foreignKeys[$0] },
            hasAutoincrement: autoincrement)
    }

    static func text(_ value: SQLValue) -> String {
        switch value {
        case .text(let text): text
        case .integer(let number): String(number)
        case .float(let number): String(number)
        default: ""
        }
    }

    static func integer(_ value: SQLValue) -> Int {
        if case .integer(let number) = value { return Int(number) }
        return 0
    }
}
