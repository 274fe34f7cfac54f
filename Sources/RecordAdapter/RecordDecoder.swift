import Foundation
import LibSQLClient

/// Decodes a model from a result row: each coding key reads the column of the same (converted) name.
struct RecordDecoder: Decoder {
    let row: Row
    let naming: ColumnNaming
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    static func decode<T: Decodable>(_ type: T.Type, from row: Row, naming: ColumnNaming) throws -> T {
        try T(from: RecordDecoder(row: row, naming: naming))
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(KeyedContainer<Key>(row: row, naming: naming))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw DecodingError.typeMismatch(
            [Any].self, .init(codingPath: [], debugDescription: "A model decodes from a row as a keyed container"))
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        guard row.values.count == 1 else {
            throw DecodingError.typeMismatch(
                Any.self, .init(codingPath: [], debugDescription: "A single value needs a one-column row"))
        }
        return ValueDecoder(value: row.values[0], codingPath: [])
    }

    struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let row: Row
        let naming: ColumnNaming
        var codingPath: [any CodingKey] { [] }
        var allKeys: [Key] { row.columns.compactMap { Key(stringValue: $0) } }

        func column(_ key: Key) -> String { naming.column(for: key.stringValue) }

        func contains(_ key: Key) -> Bool { row[column(key)] != nil }

        func decodeNil(forKey key: Key) throws -> Bool {
            (row[column(key)] ?? .null) == .null
        }

        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            guard let value = row[column(key)] else {
                throw DecodingError.keyNotFound(
                    key, .init(codingPath: [key], debugDescription: "No column \"\(column(key))\" in \(row.columns)"))
            }
            return try SQLValueCoding.decode(type, from: value, codingPath: [key])
        }

        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
            -> KeyedDecodingContainer<NestedKey>
        {
            KeyedDecodingContainer(KeyedContainer<NestedKey>(row: row, naming: naming))
        }

        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            throw DecodingError.typeMismatch(
                [Any].self, .init(codingPath: [key], debugDescription: "Lists are stored as JSON text; decode the property's type"))
        }

        func superDecoder() throws -> any Decoder { RecordDecoder(row: row, naming: naming) }
        func superDecoder(forKey key: Key) throws -> any Decoder { RecordDecoder(row: row, naming: naming) }
    }
}
