import Foundation
import LibSQLClient

/// How Swift property names become column names.
public enum ColumnNaming: Sendable, Hashable {
    /// `createdAt` ↔ `created_at`, as Rails names columns (the default).
    case snakeCase
    /// Property names are used unchanged.
    case verbatim

    func column(for property: String) -> String {
        switch self {
        case .snakeCase: property.utf8.contains { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") } ? Inflection.snakeCase(property) : property
        case .verbatim: property
        }
    }
}

/// A row of a table as a `Codable` struct, with ActiveRecord's conventions.
///
/// ```swift
/// struct User: Model {
///     var id: Int64?          // nil until inserted; the database assigns it
///     var name: String
///     var email: String
///     var createdAt: Date?    // column created_at, set on create
///     var updatedAt: Date?    // column updated_at, set on create and update
/// }
/// try await User.create(User(name: "Alice", email: "alice@example.com"))
/// ```
/// The table is the pluralised snake-case type name (`User` → `users`, `BlogPost` → `blog_posts`, `Person` →
/// `people`), the primary key is `id`; override ``tableName`` and ``primaryKey`` to change them.
///
/// Stored types: `Int`, `Int64`, `Double`, `Bool` (0/1), `String`, `Data` (blob), `UUID` (text), `Decimal` (exact
/// decimal text), `Date` (ISO 8601 UTC text with exactly three fractional digits, `2024-05-01T12:00:00.000Z`, which
/// sorts and compares correctly as text), optionals (`NULL`), `RawRepresentable` enums (their raw value) and any
/// other nested `Codable` value (JSON text).
public protocol Model: Codable, Sendable {
    /// The table name; by default the pluralised snake-case type name.
    static var tableName: String { get }
    /// The primary key column; `id` by default.
    static var primaryKey: String { get }
    /// How property names map to column names; `.snakeCase` by default.
    static var columnNaming: ColumnNaming { get }
    /// The column checked and incremented for optimistic locking; `lock_version` when the model has it.
    static var lockingColumn: String { get }
    /// The validations run before every save.
    static var validations: [Validation<Self>] { get }
    /// The associations whose `dependent:` action runs when a record is destroyed, in order.
    static var dependents: [Dependent<Self>] { get }

    /// Runs before validation; mutate the record to normalise it, throw to abort.
    mutating func beforeValidation() async throws
    /// Runs after validation, whether it passed or not.
    func afterValidation(_ errors: ValidationErrors) async throws
    /// Runs before every insert or update; throw to abort.
    mutating func beforeSave() async throws
    /// Runs before an insert; throw to abort.
    mutating func beforeCreate() async throws
    /// Runs before an update; throw to abort.
    mutating func beforeUpdate() async throws
    /// Runs after an insert, with the stored record.
    func afterCreate() async throws
    /// Runs after an update, with the stored record.
    func afterUpdate() async throws
    /// Runs after every insert or update.
    func afterSave() async throws
    /// Runs before a destroy; throw to abort.
    func beforeDestroy() async throws
    /// Runs after a destroy.
    func afterDestroy() async throws
    /// Runs once the change is committed: at once outside a transaction, after the outermost commit inside one.
    func afterCommit(_ action: PersistenceAction) async
    /// Runs when the transaction that made the change rolls back.
    func afterRollback(_ action: PersistenceAction) async
}

/// What a save or destroy did, passed to the commit and rollback callbacks.
public enum PersistenceAction: Sendable, Hashable {
    case create, update, destroy
}

extension Model {
    public static var tableName: String {
        Inflection.pluralize(Inflection.snakeCase(String(describing: Self.self)))
    }
    public static var primaryKey: String { "id" }
    public static var columnNaming: ColumnNaming { .snakeCase }
    public static var lockingColumn: String { "lock_version" }
    public static var validations: [Validation<Self>] { [] }
    public static var dependents: [Dependent<Self>] { [] }

    public mutating func beforeValidation() async throws {}
    public func afterValidation(_ errors: ValidationErrors) async throws {}
    public mutating func beforeSave() async throws {}
    public mutating func beforeCreate() async throws {}
    public mutating func beforeUpdate() async throws {}
    public func afterCreate() async throws {}
    public func afterUpdate() async throws {}
    public func afterSave() async throws {}
    public func beforeDestroy() async throws {}
    public func afterDestroy() async throws {}
    public func afterCommit(_ action: PersistenceAction) async {}
    public func afterRollback(_ action: PersistenceAction) async {}

    /// The record's columns and their SQL values, in declaration order.
    public func columnValues() throws -> ColumnValues {
        try RecordEncoder.encode(self, naming: Self.columnNaming)
    }

    /// The value of the primary key column, `NULL` before the first insert.
    public func primaryKeyValue() throws -> SQLValue {
        try columnValues()[Self.primaryKey] ?? .null
    }

    /// The columns whose values differ between `original` and this record, with both values (Rails' `changes`).
    public func changes(from original: Self) throws -> [String: (old: SQLValue, new: SQLValue)] {
        let before = try original.columnValues()
        var result: [String: (old: SQLValue, new: SQLValue)] = [:]
        for (column, value) in try columnValues() where before[column] != value {
            result[column] = (before[column] ?? .null, value)
        }
        return result
    }

    /// Decodes a record from a result row whose columns are named like the model's.
    public init(row: Row) throws {
        self = try Self.decode(row, with: RecordRowReader(columns: row.columns, naming: Self.columnNaming, rows: 1))
    }

    /// Decodes every row of a result, finding each property's column once for all of them.
    static func decodeAll(_ result: ResultSet) throws -> [Self] {
        let reader = RecordRowReader(columns: result.columns, naming: columnNaming, rows: result.rows.count)
        return try result.rows.map { try decode($0, with: reader) }
    }

    private static func decode(_ row: Row, with reader: RecordRowReader) throws -> Self {
        do {
            return try reader.decode(Self.self, from: row)
        } catch let error as DecodingError {
            throw RecordError(.statementInvalid, "Cannot read a \(Self.self) from the row: \(error.readable)")
        }
    }

    static var quotedTable: String { SQLQuoting.identifier(tableName) }
}

/// A record's columns and values in declaration order.
public struct ColumnValues: Sendable, Hashable, Sequence {
    /// The column names and values, in order.
    public private(set) var pairs: [(column: String, value: SQLValue)]

    init(_ pairs: [(String, SQLValue)]) { self.pairs = pairs.map { (column: $0.0, value: $0.1) } }

    /// The value of a column, or `nil` when the record has no such column.
    public subscript(column: String) -> SQLValue? {
        get { pairs.first { $0.column == column }?.value }
        set {
            if let index = pairs.firstIndex(where: { $0.column == column }) {
                if let newValue { pairs[index].value = newValue } else { pairs.remove(at: index) }
            } else if let newValue {
                pairs.append((column: column, value: newValue))
            }
        }
    }

    /// The column names, in order.
    public var columns: [String] { pairs.map(\.column) }

    public func makeIterator() -> IndexingIterator<[(column: String, value: SQLValue)]> { pairs.makeIterator() }

    public static func == (lhs: ColumnValues, rhs: ColumnValues) -> Bool {
        lhs.pairs.elementsEqual(rhs.pairs) { $0.column == $1.column && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        for pair in pairs {
            hasher.combine(pair.column)
            hasher.combine(pair.value)
        }
    }
}

/// Enums with a raw value bind as that value: `enum Status: String, Codable, SQLValueConvertible { ... }`.
extension SQLValueConvertible where Self: RawRepresentable, RawValue: SQLValueConvertible {
    public var sqlValue: SQLValue { rawValue.sqlValue }
}

extension DecodingError {
    var readable: String {
        switch self {
        case .keyNotFound(let key, _): "no column \"\(key.stringValue)\""
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            (context.codingPath.last.map { "column \"\($0.stringValue)\": " } ?? "") + context.debugDescription
        @unknown default: "\(self)"
        }
    }
}
