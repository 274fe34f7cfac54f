import Foundation

/// A column type of the migration DSL, with the SQL type it declares.
public enum ColumnType: Sendable, Hashable {
    case integer, real, text, blob, boolean, datetime, decimal, json
    /// Any other declared type, written as given.
    case custom(String)

    var sql: String {
        switch self {
        case .integer: "INTEGER"
        case .real: "REAL"
        case .text, .json: "TEXT"
        case .blob: "BLOB"
        case .boolean: "BOOLEAN"
        case .datetime: "DATETIME"
        case .decimal: "DECIMAL"
        case .custom(let name): name
        }
    }
}

/// A column default in DDL, where SQLite cannot bind values; text is quoted safely.
public enum ColumnDefault: Sendable, Hashable {
    case integer(Int64), real(Double), text(String), null, currentTimestamp
    /// A trusted SQL expression, written in parentheses: `.expression("random()")`.
    case expression(String)
    /// Trusted SQL written as given, as introspection reports a default (`'text'`, `0`, `(expr)`).
    case verbatim(String)

    var sql: String {
        switch self {
        case .integer(let value): String(value)
        case .real(let value): String(value)
        case .text(let value): SQLQuoting.literal(value)
        case .null: "NULL"
        case .currentTimestamp: "(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))"
        case .expression(let sql): "(\(sql))"
        case .verbatim(let sql): sql
        }
    }
}

/// One column of a `createTable` or `addColumn`.
public struct ColumnDefinition: Sendable, Hashable {
    public var name: String
    public var type: ColumnType
    public var isNullable: Bool
    public var defaultValue: ColumnDefault?
    public var isUnique: Bool
    public var check: String?
    /// `REFERENCES table(column)`.
    public var references: (table: String, column: String, onDelete: String?)? {
        get { referencesStorage.map { ($0.table, $0.column, $0.onDelete) } }
        set { referencesStorage = newValue.map { Reference(table: $0.table, column: $0.column, onDelete: $0.onDelete) } }
    }
    var referencesStorage: Reference?

    struct Reference: Sendable, Hashable {
        var table: String
        var column: String
        var onDelete: String?
    }

    /// A column definition.
    public init(_ name: String, _ type: ColumnType, null: Bool = true, default defaultValue: ColumnDefault? = nil, unique: Bool = false, check: String? = nil) {
        self.name = name
        self.type = type
        self.isNullable = null
        self.defaultValue = defaultValue
        self.isUnique = unique
        self.check = check
    }

    var sql: String {
        var text = "\(SQLQuoting.identifier(name)) \(type.sql)"
        if !isNullable { text += " NOT NULL" }
        if let defaultValue { text += " DEFAULT \(defaultValue.sql)" }
        if isUnique { text += " UNIQUE" }
        if let check { text += " CHECK (\(check))" }
        if let reference = referencesStorage {
            text += " REFERENCES \(SQLQuoting.identifier(reference.table)) (\(SQLQuoting.identifier(reference.column)))"
            if let onDelete = reference.onDelete { text += " ON DELETE \(onDelete)" }
        }
        return text
    }
}

/// The body of ``SchemaChanges/createTable(_:primaryKey:_:)``: Rails' `t.string`, `t.references`, `t.timestamps`.
public struct TableBuilder: Sendable {
    /// The columns, in order (after the primary key).
    public private(set) var columns: [ColumnDefinition] = []

    /// Adds a column.
    public mutating func column(_ name: String, _ type: ColumnType, null: Bool = true, default value: ColumnDefault? = nil, unique: Bool = false, check: String? = nil) {
        columns.append(ColumnDefinition(name, type, null: null, default: value, unique: unique, check: check))
    }

    /// Adds a `TEXT` column.
    public mutating func string(_ name: String, null: Bool = true, default value: ColumnDefault? = nil, unique: Bool = false) {
        column(name, .text, null: null, default: value, unique: unique)
    }

    /// Adds an `INTEGER` column.
    public mutating func integer(_ name: String, null: Bool = true, default value: ColumnDefault? = nil) {
        column(name, .integer, null: null, default: value)
    }

    /// Adds `<name>_id INTEGER REFERENCES <names>(id)`.
    public mutating func references(_ name: String, null: Bool = false, foreignKey: Bool = true, onDelete: String? = nil) {
        var definition = ColumnDefinition(name + "_id", .integer, null: null)
        if foreignKey { definition.references = (Inflection.pluralize(name), "id", onDelete) }
        columns.append(definition)
    }

    /// Adds `created_at` and `updated_at` (`DATETIME NOT NULL`), which models fill in.
    public mutating func timestamps() {
        column("created_at", .datetime, null: false)
        column("updated_at", .datetime, null: false)
    }

    /// Adds `lock_version INTEGER NOT NULL DEFAULT 0` for optimistic locking.
    public mutating func lockVersion() {
        column("lock_version", .integer, null: false, default: .integer(0))
    }
}
