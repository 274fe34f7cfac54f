import Foundation
import LibSQLClient

/// Decodes models from the rows of one result. The column of each coding key is found once per result, not once
/// per row: the first row records the keys in the order the model asks for them, and later rows only compare each
/// key with the one expected at that position before reading the value by index.
final class RecordRowReader {
    private struct Slot {
        let key: String
        let index: Int?
    }

    private let columns: [String]
    private let naming: ColumnNaming
    /// Whether more than one row is read (otherwise nothing is remembered).
    private let remembers: Bool
    private var slots: [Slot] = []
    private var cursor = 0
    private var byKey: [String: Int?] = [:]

    /// A reader for rows with these column names; `rows` is how many will be read (1 remembers nothing).
    init(columns: [String], naming: ColumnNaming, rows: Int) {
        self.columns = columns
        self.naming = naming
        self.remembers = rows > 1
    }

    func decode<T: Decodable>(_ type: T.Type, from row: Row) throws -> T {
        cursor = 0
        return try T(from: RecordDecoder(row: row, reader: self))
    }

    /// The position of the column for `key` (exact name first, then case-insensitive, as `Row` looks names up).
    func index(of key: String) -> Int? {
        guard remembers else { return find(key) }
        if cursor < slots.count, slots[cursor].key == key {
            cursor += 1
            return slots[cursor - 1].index
        }
        if cursor > 0, slots[cursor - 1].key == key { return slots[cursor - 1].index }
        let index: Int?
        if let known = byKey[key] {
            index = known
        } else {
            index = find(key)
            byKey[key] = index
        }
        if cursor == slots.count {
            slots.append(Slot(key: key, index: index))
            cursor += 1
        }
        return index
    }

    private func find(_ key: String) -> Int? {
        let column = naming.column(for: key)
        return columns.firstIndex(of: column) ?? columns.firstIndex { $0.lowercased() == column.lowercased() }
    }
}

/// Decodes a model from a result row: each coding key reads the column of the same (converted) name.
struct RecordDecoder: Decoder {
    let row: Row
    let reader: RecordRowReader
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(KeyedContainer<Key>(decoder: self))
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
        return SingleValueDecoder<SQLValueCoding>(value: row.values[0], codingPath: [])
    }

    struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let decoder: RecordDecoder
        var codingPath: [any CodingKey] { [] }
        var allKeys: [Key] { decoder.row.columns.compactMap { Key(stringValue: $0) } }

        private func value(_ key: Key) -> SQLValue? {
            decoder.reader.index(of: key.stringValue).map { decoder.row.values[$0] }
        }

        private func required(_ key: Key) throws -> SQLValue {
            guard let value = value(key) else {
                throw DecodingError.keyNotFound(
                    key, .init(codingPath: [key], debugDescription: "No column for \"\(key.stringValue)\" in \(decoder.row.columns)"))
            }
            return value
        }

        /// A value read by a type's own `init(sqlValue:)`, with its failure as a `DecodingError`.
        private func read<T: SQLValueDecodable>(_ value: SQLValue, _ key: Key) throws -> T {
            do {
                return try T(sqlValue: value)
            } catch let error as LibSQLError {
                throw DecodingError.typeMismatch(T.self, .init(codingPath: [key], debugDescription: error.message))
            }
        }

        func contains(_ key: Key) -> Bool { value(key) != nil }

        func decodeNil(forKey key: Key) throws -> Bool { (value(key) ?? .null) == .null }

        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            try SQLValueCoding.decode(type, from: required(key), codingPath: [key])
        }

        func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
            guard let value = value(key), value != .null else { return nil }
            return try SQLValueCoding.decode(type, from: value, codingPath: [key])
        }

        // The common column types skip the generic path's dynamic casts.
        func decode(_ type: String.Type, forKey key: Key) throws -> String { try read(required(key), key) }
        func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try read(required(key), key) }
        func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try read(required(key), key) }
        func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try read(required(key), key) }
        func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try read(required(key), key) }

        func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { try readIfPresent(key) }
        func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try readIfPresent(key) }
        func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? { try readIfPresent(key) }
        func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? { try readIfPresent(key) }
        func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { try readIfPresent(key) }

        private func readIfPresent<T: SQLValueDecodable>(_ key: Key) throws -> T? {
            guard let value = value(key), value != .null else { return nil }
            return try read(value, key)
        }

        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
            -> KeyedDecodingContainer<NestedKey>
        {
            KeyedDecodingContainer(KeyedContainer<NestedKey>(decoder: decoder))
        }

        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            throw DecodingError.typeMismatch(
                [Any].self, .init(codingPath: [key], debugDescription: "Lists are stored as JSON text; decode the property's type"))
        }

        func superDecoder() throws -> any Decoder { decoder }
        func superDecoder(forKey key: Key) throws -> any Decoder { decoder }
    }
}
