import Foundation
import Hrana

/// A Swift type that can be bound as a SQL argument.
///
/// `Int`, `Int64`, `Int32`, `Double`, `Float`, `String`, `Bool`, `Data`, `[UInt8]`, `Date`, `UUID`, optionals of
/// those and ``SQLValue`` conform. A `nil` optional binds as SQL `NULL`; in an argument array write `SQLValue.null`.
public protocol SQLValueConvertible: Sendable {
    /// The value as it is sent to the database.
    var sqlValue: Value { get }
}

/// A Swift type that can be read from a SQL value.
public protocol SQLValueDecodable {
    /// Converts a database value, throwing ``LibSQLError`` (code `TYPE_MISMATCH`) when it does not fit.
    init(sqlValue: Value) throws
}

/// A type that is both bound as an argument and read from a result.
public typealias SQLValueCodable = SQLValueConvertible & SQLValueDecodable

func typeMismatch(_ value: Value, _ type: Any.Type) -> LibSQLError {
    LibSQLError(code: .typeMismatch, message: "Cannot read \(value.typeName) value as \(type)")
}

extension Value {
    /// The SQL type name of the value: `null`, `integer`, `float`, `text` or `blob`.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .integer: "integer"
        case .float: "float"
        case .text: "text"
        case .blob: "blob"
        }
    }
}

extension Value: SQLValueConvertible, SQLValueDecodable {
    public var sqlValue: Value { self }
    public init(sqlValue: Value) { self = sqlValue }
}

extension Int64: SQLValueConvertible, SQLValueDecodable {
    public var sqlValue: Value { .integer(self) }
    public init(sqlValue: Value) throws {
        switch sqlValue {
        case .integer(let value): self = value
        case .float(let value) where value.rounded() == value && abs(value) < 9.2e18: self = Int64(value)
        default: throw typeMismatch(sqlValue, Int64.self)
        }
    }
}

extension Int: SQLValueConvertible, SQLValueDecodable {
    public var sqlValue: Value { .integer(Int64(self)) }
    public init(sqlValue: Value) throws {
        let wide = try Int64(sqlValue: sqlValue)
        guard let value = Int(exactly: wide) else { throw typeMismatch(sqlValue, Int.self) }
        self = value
    }
}

extension Int32: SQLValueConvertible, SQLValueDecodable {
    public var sqlValue: Value { .integer(Int64(self)) }
    public init(sqlValue: Value) throws {
        guard let value = Int32(exactly: try Int64(sqlValue: sqlValue)) else { throw typeMismatch(sqlValue, Int32.self) }
        self = value
    }
}

extension Double: SQLValueConvertible, SQLValueDecodable {
    public var sqlValue: Value { .float(self) }
    public init(sqlValue: Value) throws {
        switch sqlValue {
        case .float(let value): self = value
        case .integer(let value): self = Double(value)
        default: throw typeMismatch(sqlValue, Double.self)
        }
    }
}

extension Float: SQLValueConvertible, SQLValueDecodable {
    public var sqlValue: Value { .float(Double(self)) }
    public init(sqlValue: Value) throws { self = Float(try Double(sqlValue: sqlValue)) }
}

extension String: SQLValueConvertible, SQLValueDecodable {
    public var sqlValue: Value { .text(self) }
    public init(sqlValue: Value) throws {
        switch sqlValue {
        case .text(let value): self = value
        case .integer(let value): self = String(value)
        case .float(let value): self = String(value)
        default: throw typeMismatch(sqlValue, String.self)
        }
    }
}

extension Bool: SQLValueConvertible, SQLValueDecodable {
    public var sqlValue: Value { .integer(self ? 1 : 0) }
    public init(sqlValue: Value) throws {
        switch sqlValue {
        case .integer(let value): self = value != 0
        case .float(let value): self = value != 0
        default: throw typeMismatch(sqlValue, Bool.self)
        }
    }
}

extension Data: SQLValueConvertible, SQLValueDecodable {
    public var sqlValue: Value { .blob(self) }
    public init(sqlValue: Value) throws {
        switch sqlValue {
        case .blob(let value): self = value
        case .text(let value): self = Data(value.utf8)
        default: throw typeMismatch(sqlValue, Data.self)
        }
    }
}

extension Array: SQLValueConvertible where Element == UInt8 {
    public var sqlValue: Value { .blob(Data(self)) }
}

extension Array: SQLValueDecodable where Element == UInt8 {
    public init(sqlValue: Value) throws { self = [UInt8](try Data(sqlValue: sqlValue)) }
}

extension UUID: SQLValueConvertible, SQLValueDecodable {
    public var sqlValue: Value { .text(uuidString) }
    public init(sqlValue: Value) throws {
        switch sqlValue {
        case .text(let text):
            guard let uuid = UUID(uuidString: text) else { throw typeMismatch(sqlValue, UUID.self) }
            self = uuid
        case .blob(let data) where data.count == 16:
            let bytes = [UInt8](data)
            self = UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                               bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
        default: throw typeMismatch(sqlValue, UUID.self)
        }
    }
}

/// Dates are stored as ISO 8601 text in UTC with milliseconds (`2024-05-01T12:00:00.000Z`), which SQLite's date
/// functions understand. Reading also accepts SQLite's `YYYY-MM-DD HH:MM:SS` text and numbers as Unix seconds.
extension Date: SQLValueConvertible, SQLValueDecodable {
    public var sqlValue: Value {
        .text(self.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
    }

    public init(sqlValue: Value) throws {
        switch sqlValue {
        case .integer(let seconds): self = Date(timeIntervalSince1970: TimeInterval(seconds))
        case .float(let seconds): self = Date(timeIntervalSince1970: seconds)
        case .text(let text):
            if let date = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text) {
                self = date
            } else if let date = try? Date.ISO8601FormatStyle().parse(text) {
                self = date
            } else if let date = Date.parseSQLite(text) {
                self = date
            } else {
                throw typeMismatch(sqlValue, Date.self)
            }
        default: throw typeMismatch(sqlValue, Date.self)
        }
    }

    private static func parseSQLite(_ text: String) -> Date? {
        let normalized = text.replacingOccurrences(of: " ", with: "T")
        let withZone = normalized.hasSuffix("Z") ? normalized : normalized + "Z"
        if let date = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(withZone) { return date }
        return try? Date.ISO8601FormatStyle().parse(withZone)
    }
}

extension Optional: SQLValueConvertible where Wrapped: SQLValueConvertible {
    public var sqlValue: Value { self?.sqlValue ?? Value.null }
}

extension Optional: SQLValueDecodable where Wrapped: SQLValueDecodable {
    public init(sqlValue: Value) throws {
        if case .null = sqlValue { self = nil } else { self = try Wrapped(sqlValue: sqlValue) }
    }
}
