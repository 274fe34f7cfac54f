import Foundation

/// A SQLite value as it travels in Hrana messages.
///
/// The JSON form follows the Hrana spec exactly: integers are decimal strings (so every `Int64`
/// survives), floats are JSON numbers, and blobs are standard base64 under the `base64` key.
public enum Value: Sendable, Hashable {
    /// SQL `NULL`.
    case null
    /// A 64-bit signed integer.
    case integer(Int64)
    /// A double. A non-finite float that a server sent as JSON `null` decodes as `.nan`; as with `Double`,
    /// `.float(.nan)` is not equal to itself, so test it with `isNaN`.
    case float(Double)
    /// UTF-8 text.
    case text(String)
    /// Bytes.
    case blob(Data)
}

extension Value: Codable {
    private enum CodingKeys: String, CodingKey {
        case type, value, base64
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        switch type {
        case "null":
            self = .null
        case "integer":
            let text: String
            do {
                text = try container.decode(String.self, forKey: .value)
            } catch DecodingError.typeMismatch {
                throw DecodingError.dataCorruptedError(
                    forKey: .value, in: container,
                    debugDescription: "An integer value must be a decimal string, not a JSON number")
            }
            guard let integer = Value.parseInteger(text) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .value, in: container,
                    debugDescription: "Not a 64-bit integer: \"\(text.prefix(40))\"")
            }
            self = .integer(integer)
        case "float":
            if try container.decodeNil(forKey: .value) {
                self = .float(.nan)
            } else {
                self = .float(try container.decodeNumber(Double.self, forKey: .value))
            }
        case "text":
            self = .text(try container.decode(String.self, forKey: .value))
        case "blob":
            let encoded = try container.decode(String.self, forKey: .base64)
            guard let data = Base64.decode(encoded) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .base64, in: container, debugDescription: "Invalid base64 in a blob value")
            }
            self = .blob(data)
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .type, in: container, debugDescription: "Unknown value type \"\(type)\"")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .null:
            try container.encode("null", forKey: .type)
        case .integer(let integer):
            try container.encode("integer", forKey: .type)
            try container.encode(String(integer), forKey: .value)
        case .float(let double):
            guard double.isFinite else {
                throw EncodingError.invalidValue(
                    double, .init(codingPath: container.codingPath + [CodingKeys.value],
                                  debugDescription: "A non-finite float cannot be sent in JSON"))
            }
            try container.encode("float", forKey: .type)
            try container.encode(double, forKey: .value)
        case .text(let text):
            try container.encode("text", forKey: .type)
            try container.encode(text, forKey: .value)
        case .blob(let data):
            try container.encode("blob", forKey: .type)
            try container.encode(data.base64EncodedString(), forKey: .base64)
        }
    }

    /// Parses a decimal `Int64` the way sqld does: an optional sign, digits only, no overflow.
    static func parseInteger(_ text: String) -> Int64? {
        if text.utf8.first == UInt8(ascii: "+") {
            let unsigned = text.dropFirst()
            guard let first = unsigned.utf8.first, first >= UInt8(ascii: "0"), first <= UInt8(ascii: "9") else { return nil }
            return Int64(unsigned)
        }
        return Int64(text)
    }
}

extension Value: CustomStringConvertible {
    public var description: String {
        switch self {
        case .null: "NULL"
        case .integer(let value): String(value)
        case .float(let value): String(value)
        case .text(let value): value.debugDescription
        case .blob(let data): "x'\(data.map { String(format: "%02x", $0) }.joined())'"
        }
    }
}
