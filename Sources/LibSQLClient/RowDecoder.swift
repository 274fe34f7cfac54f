import Foundation
import Hrana

/// Decodes a `Decodable` type from one row: coding keys are column names, nested types are not supported
/// except `Data`, `Date`, `UUID` and types that are `SQLValueDecodable`; JSON text decodes into nested `Decodable`
/// values.
struct RowDecoder: Decoder {
    let row: Row
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(KeyedContainer<Key>(row: row))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw DecodingError.typeMismatch(
            [Any].self, .init(codingPath: codingPath, debugDescription: "A row decodes as a keyed container"))
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        guard row.values.count == 1 else {
            throw DecodingError.typeMismatch(
                Any.self, .init(codingPath: codingPath, debugDescription: "A single value needs a one-column row"))
        }
        return SingleValueDecoder<RowValueRules>(value: row.values[0], codingPath: codingPath)
    }

    struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let row: Row
        var codingPath: [any CodingKey] { [] }
        var allKeys: [Key] { row.columns.compactMap { Key(stringValue: $0) } }

        func contains(_ key: Key) -> Bool { row.layout.index(of: key.stringValue) != nil }

        func value(_ key: Key) throws -> Value {
            guard let value = row[key.stringValue] else {
                throw DecodingError.keyNotFound(
                    key, .init(codingPath: [key], debugDescription: "No column \"\(key.stringValue)\" in \(row.columns)"))
            }
            return value
        }

        func decodeNil(forKey key: Key) throws -> Bool {
            guard let value = row[key.stringValue] else { return true }
            return value == Value.null
        }

        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            try RowValueRules.decode(type, from: value(key), codingPath: [key])
        }

        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
            -> KeyedDecodingContainer<NestedKey>
        {
            throw DecodingError.typeMismatch(
                type, .init(codingPath: [key], debugDescription: "Nested containers are not supported in rows"))
        }

        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            throw DecodingError.typeMismatch(
                [Any].self, .init(codingPath: [key], debugDescription: "Nested containers are not supported in rows"))
        }

        func superDecoder() throws -> any Decoder { RowDecoder(row: row) }
        func superDecoder(forKey key: Key) throws -> any Decoder { RowDecoder(row: row) }
    }
}

/// The client's rules for one value: `SQLValueDecodable` types convert themselves, others decode from a single
/// value, and JSON text decodes into nested `Decodable` values.
enum RowValueRules: SQLValueDecodingRules {
    static func decode<T: Decodable>(_ type: T.Type, from value: Value, codingPath: [any CodingKey]) throws -> T {
        if let sqlType = type as? any SQLValueDecodable.Type {
            do {
                return try sqlType.init(sqlValue: value) as! T
            } catch let error as LibSQLError {
                throw DecodingError.typeMismatch(type, .init(codingPath: codingPath, debugDescription: error.message))
            }
        }
        return try SingleValueDecoder<RowValueRules>.decodeNested(type, from: value, codingPath: codingPath, json: { JSONDecoder() })
    }
}
