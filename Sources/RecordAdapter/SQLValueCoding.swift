import Foundation
import LibSQLClient

/// The one place where Swift values become SQL values and back, for records and query arguments alike.
enum SQLValueCoding {
    /// Nested values are JSON with sorted keys (stable for dirty tracking) and dates in the record format.
    static func jsonEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(formatDate(date))
        }
        return encoder
    }

    static func jsonDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            return try Date(sqlValue: .text(text))
        }
        return decoder
    }

    /// `2024-05-01T12:00:00.000Z`: UTC, always three fractional digits, so text order is time order.
    static func formatDate(_ date: Date) -> String {
        if case .text(let text) = date.sqlValue { return text }
        return date.ISO8601Format()
    }

    static func encode<T: Encodable>(_ value: T) throws -> SQLValue {
        switch value {
        case let decimal as Decimal: return .text(decimal.description)
        case let convertible as any SQLValueConvertible: return convertible.sqlValue
        default: break
        }
        let data = try jsonEncoder().encode(value)
        guard let text = String(data: data, encoding: .utf8) else { return .blob(data) }
        switch text.first {
        case "\"": return .text(try JSONDecoder().decode(String.self, from: data))
        case "t" where text == "true": return .integer(1)
        case "f" where text == "false": return .integer(0)
        case "n" where text == "null": return .null
        case "{", "[": return .text(text)
        default:
            if let integer = Int64(text) { return .integer(integer) }
            if let double = Double(text) { return .float(double) }
            return .text(text)
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, from value: SQLValue, codingPath: [any CodingKey]) throws -> T {
        do {
            if type == Decimal.self { return try decodeDecimal(value) as! T }
            if let sqlType = type as? any SQLValueDecodable.Type { return try sqlType.init(sqlValue: value) as! T }
            if let integerType = type as? any FixedWidthInteger.Type {
                let wide = try Int64(sqlValue: value)
                guard let integer = integerType.init(exactly: wide) else {
                    throw LibSQLError(code: .typeMismatch, message: "\(wide) does not fit in \(type)")
                }
                return integer as! T
            }
        } catch let error as LibSQLError {
            throw DecodingError.typeMismatch(type, .init(codingPath: codingPath, debugDescription: error.message))
        }
        return try SingleValueDecoder<SQLValueCoding>.decodeNested(type, from: value, codingPath: codingPath, json: jsonDecoder)
    }

    static func decodeDecimal(_ value: SQLValue) throws -> Decimal {
        switch value {
        case .integer(let integer): return Decimal(integer)
        case .float(let double): if let decimal = Decimal(string: String(double)) { return decimal }
        case .text(let text): if let decimal = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) { return decimal }
        default: break
        }
        throw LibSQLError(code: .typeMismatch, message: "Cannot read \(value.typeName) value as Decimal")
    }
}

extension SQLValueCoding: SQLValueDecodingRules {}
