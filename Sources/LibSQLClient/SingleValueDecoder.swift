import Foundation
import Hrana

/// How one SQL value becomes a `Decodable` value. The client's row decoding and the record layer each have
/// their rules; ``SingleValueDecoder`` is shared by both.
package protocol SQLValueDecodingRules {
    /// Decodes `type` from `value`, throwing a `DecodingError` at `codingPath` when it does not fit.
    static func decode<T: Decodable>(_ type: T.Type, from value: Value, codingPath: [any CodingKey]) throws -> T
}

/// A decoder over one SQL value, for enums and wrappers that decode from a single value.
package struct SingleValueDecoder<Rules: SQLValueDecodingRules>: Decoder, SingleValueDecodingContainer {
    package let value: Value
    package let codingPath: [any CodingKey]
    package var userInfo: [CodingUserInfoKey: Any] { [:] }

    /// A decoder over `value`, reporting failures at `codingPath`.
    package init(value: Value, codingPath: [any CodingKey]) {
        self.value = value
        self.codingPath = codingPath
    }

    package func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        throw DecodingError.typeMismatch(
            type, .init(codingPath: codingPath, debugDescription: "Cannot decode a keyed value from a \(value.typeName) column"))
    }

    package func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw DecodingError.typeMismatch(
            [Any].self, .init(codingPath: codingPath, debugDescription: "Cannot decode a list from a \(value.typeName) column"))
    }

    package func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

    package func decodeNil() -> Bool { value == .null }

    package func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try Rules.decode(type, from: value, codingPath: codingPath)
    }

    /// Decodes a type that is not a SQL value itself: from the single value (an enum, a wrapper), or else from
    /// JSON text (a nested struct, array or dictionary).
    package static func decodeNested<T: Decodable>(
        _ type: T.Type, from value: Value, codingPath: [any CodingKey], json: () -> JSONDecoder
    ) throws -> T {
        do {
            return try T(from: SingleValueDecoder(value: value, codingPath: codingPath))
        } catch {
            guard case .text(let text) = value, let decoded = try? json().decode(type, from: Data(text.utf8)) else {
                throw error
            }
            return decoded
        }
    }
}
