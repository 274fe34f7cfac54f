import Foundation
import LibSQLClient

/// What a validation sees besides the record: its column values, whether it is new, and the connection.
public struct ValidationContext: Sendable {
    /// The connection the save runs on (used by uniqueness checks).
    public let connection: RecordConnection
    /// The record's columns as they will be stored.
    public let values: ColumnValues
    /// Whether the save is an insert.
    public let isNewRecord: Bool
}

/// One validation of a model, declared by column name as Rails' `validates` does:
///
/// ```swift
/// static let validations: [Validation<User>] = [
///     .presence("name"),
///     .length("name", in: 1...50),
///     .format("email", #"^[^@\s]+@[^@\s]+$"#),
///     .uniqueness("email"),
///     .numericality("age", greaterThanOrEqualTo: 0, onlyInteger: true, allowNil: true),
///     .inclusion("role", in: ["admin", "member"]),
///     .custom { user, errors in if user.name == "root" { errors.add("name", "is reserved") } },
/// ]
/// ```
public struct Validation<Record: Model>: Sendable {
    let check: @Sendable (Record, ValidationContext, inout ValidationErrors) async throws -> Void

    /// A validation from a closure that adds to the errors.
    public init(_ check: @escaping @Sendable (Record, ValidationContext, inout ValidationErrors) async throws -> Void) {
        self.check = check
    }

    /// A custom check: add to `errors` what is wrong.
    public static func custom(_ check: @escaping @Sendable (Record, inout ValidationErrors) -> Void) -> Validation {
        Validation { record, _, errors in check(record, &errors) }
    }

    /// Not `NULL`, and not empty or only whitespace when text.
    public static func presence(_ column: String, message: String = "can't be blank") -> Validation {
        Validation { _, context, errors in
            switch context.values[column] ?? .null {
            case .null: errors.add(column, message)
            case .text(let text) where text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty: errors.add(column, message)
            case .blob(let data) where data.isEmpty: errors.add(column, message)
            default: break
            }
        }
    }

    /// Text length (in characters) within `range`; `NULL` passes when `allowNil`.
    public static func length(_ column: String, in range: ClosedRange<Int>, allowNil: Bool = false) -> Validation {
        Validation { _, context, errors in
            switch context.values[column] ?? .null {
            case .null: if !allowNil { errors.add(column, "is too short (minimum is \(range.lowerBound) characters)") }
            case .text(let text):
                if text.count < range.lowerBound { errors.add(column, "is too short (minimum is \(range.lowerBound) characters)") }
                if text.count > range.upperBound { errors.add(column, "is too long (maximum is \(range.upperBound) characters)") }
            default: errors.add(column, "is not text")
            }
        }
    }

    /// Text that matches a regular expression (`NSRegularExpression` syntax); `NULL` passes when `allowNil`.
    public static func format(_ column: String, _ pattern: String, allowNil: Bool = false, message: String = "is invalid") -> Validation {
        Validation { _, context, errors in
            let value = context.values[column] ?? .null
            if value == .null, allowNil { return }
            guard case .text(let text) = value else { return errors.add(column, message) }
            let regex = try NSRegularExpression(pattern: pattern)
            if regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil { errors.add(column, message) }
        }
    }

    /// A number (or numeric text), optionally whole and within bounds; `NULL` passes when `allowNil`.
    public static func numericality(
        _ column: String, greaterThan: Double? = nil, greaterThanOrEqualTo: Double? = nil, lessThan: Double? = nil,
        lessThanOrEqualTo: Double? = nil, onlyInteger: Bool = false, allowNil: Bool = false
    ) -> Validation {
        Validation { _, context, errors in
            let number: Double
            switch context.values[column] ?? .null {
            case .null:
                if !allowNil { errors.add(column, "is not a number") }
                return
            case .integer(let value): number = Double(value)
            case .float(let value): number = value
            case .text(let text):
                guard let value = Double(text.trimmingCharacters(in: .whitespaces)) else { return errors.add(column, "is not a number") }
                number = value
            case .blob: return errors.add(column, "is not a number")
            }
            if onlyInteger, number.rounded() != number { errors.add(column, "must be an integer") }
            if let bound = greaterThan, !(number > bound) { errors.add(column, "must be greater than \(bound.formatted())") }
            if let bound = greaterThanOrEqualTo, !(number >= bound) { errors.add(column, "must be greater than or equal to \(bound.formatted())") }
            if let bound = lessThan, !(number < bound) { errors.add(column, "must be less than \(bound.formatted())") }
            if let bound = lessThanOrEqualTo, !(number <= bound) { errors.add(column, "must be less than or equal to \(bound.formatted())") }
        }
    }

    /// One of the listed values; `NULL` passes when `allowNil`.
    public static func inclusion(_ column: String, in allowed: [any SQLValueConvertible], allowNil: Bool = false) -> Validation {
        let values = allowed.map(\.sqlValue)
        return Validation { _, context, errors in
            let value = context.values[column] ?? .null
            if value == .null, allowNil { return }
            if !values.contains(value) { errors.add(column, "is not included in the list") }
        }
    }

    /// No other row has the same value (in the same `scope` columns); one `SELECT 1 … LIMIT 1`. A `UNIQUE` index is
    /// still needed against races: its violation is thrown as ``RecordError/Kind/recordNotUnique``.
    public static func uniqueness(_ column: String, scope: [String] = [], message: String = "has already been taken") -> Validation {
        Validation { _, context, errors in
            let value = context.values[column] ?? .null
            if value == .null { return }
            var query = Query<Record>().on(context.connection).where(Column(column) == value)
            for other in scope { query = query.where(Column(other) == (context.values[other] ?? .null)) }
            let key = context.values[Record.primaryKey] ?? .null
            if !context.isNewRecord, key != .null { query = query.where(Column(Record.primaryKey) != key) }
            if try await query.exists() { errors.add(column, message) }
        }
    }
}
