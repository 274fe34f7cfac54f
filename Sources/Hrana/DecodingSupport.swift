import Foundation

extension KeyedDecodingContainer {
    /// Decodes a JSON number into a fixed-width integer or a double, reporting a number that does not fit
    /// (negative, fractional, too large) at its key: Foundation reports those as invalid JSON without a path.
    func decodeNumber<T: Decodable & Numeric>(_ type: T.Type, forKey key: Key) throws -> T {
        do {
            return try decode(type, forKey: key)
        } catch let error as DecodingError {
            guard case .dataCorrupted(let context) = error, context.codingPath.isEmpty else { throw error }
            throw DecodingError.dataCorruptedError(
                forKey: key, in: self, debugDescription: "The number does not fit in \(Self.numberName(type))")
        } catch {
            // Foundation's internal number-conversion error, turned into "not valid JSON" at the top.
            throw DecodingError.dataCorruptedError(
                forKey: key, in: self, debugDescription: "The number does not fit in \(Self.numberName(type))")
        }
    }

    /// ``decodeNumber(_:forKey:)`` for an optional key (absent or `null` ⇒ `nil`).
    func decodeNumberIfPresent<T: Decodable & Numeric>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard contains(key), try !decodeNil(forKey: key) else { return nil }
        return try decodeNumber(type, forKey: key)
    }

    /// Decodes a `UInt64` sent either as a JSON number or as a decimal string (sqld uses both).
    func decodeFlexibleUInt64IfPresent(forKey key: Key) throws -> UInt64? {
        guard contains(key), try !decodeNil(forKey: key) else { return nil }
        if let text = try? decode(String.self, forKey: key) {
            guard let number = UInt64(text) else {
                throw DecodingError.dataCorruptedError(
                    forKey: key, in: self, debugDescription: "Not an unsigned 64-bit integer: \"\(text.prefix(40))\"")
            }
            return number
        }
        return try decodeNumber(UInt64.self, forKey: key)
    }

    /// Decodes an `Int64` sent either as a decimal string (the spec) or as a JSON number (sqld's cursor).
    func decodeFlexibleInt64IfPresent(forKey key: Key) throws -> Int64? {
        guard contains(key), try !decodeNil(forKey: key) else { return nil }
        if let text = try? decode(String.self, forKey: key) {
            guard let number = Value.parseInteger(text) else {
                throw DecodingError.dataCorruptedError(
                    forKey: key, in: self, debugDescription: "Not a 64-bit integer: \"\(text.prefix(40))\"")
            }
            return number
        }
        return try decodeNumber(Int64.self, forKey: key)
    }

    private static func numberName<T>(_ type: T.Type) -> String {
        switch type {
        case is Double.Type: "a 64-bit float"
        case is UInt32.Type: "an unsigned 32-bit integer"
        case is Int32.Type: "a 32-bit integer"
        case is UInt64.Type: "an unsigned 64-bit integer"
        case is Int64.Type: "a 64-bit integer"
        default: "\(type)"
        }
    }
}
