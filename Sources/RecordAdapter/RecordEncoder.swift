import Foundation
import LibSQLClient

/// Encodes a model into its columns: one SQL value per stored property, `NULL` for `nil` optionals.
struct RecordEncoder: Encoder {
    final class Storage {
        var pairs: [(String, SQLValue)] = []
    }

    let storage = Storage()
    let naming: ColumnNaming
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    static func encode<T: Encodable>(_ value: T, naming: ColumnNaming) throws -> ColumnValues {
        let encoder = RecordEncoder(naming: naming)
        try value.encode(to: encoder)
        return ColumnValues(encoder.storage.pairs)
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(KeyedContainer<Key>(storage: storage, naming: naming))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer { Unsupported() }
    func singleValueContainer() -> any SingleValueEncodingContainer { Unsupported() }

    struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let storage: Storage
        let naming: ColumnNaming
        var codingPath: [any CodingKey] { [] }

        func set(_ key: Key, _ value: SQLValue) {
            let column = naming.column(for: key.stringValue)
            if let index = storage.pairs.firstIndex(where: { $0.0 == column }) {
                storage.pairs[index].1 = value
            } else {
                storage.pairs.append((column, value))
            }
        }

        mutating func encodeNil(forKey key: Key) throws { set(key, .null) }

        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            set(key, try SQLValueCoding.encode(value))
        }

        mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
            if let value { set(key, try SQLValueCoding.encode(value)) } else { set(key, .null) }
        }
        // The common column types skip the generic path's dynamic casts.
        mutating func encode(_ value: Bool, forKey key: Key) throws { set(key, value.sqlValue) }
        mutating func encode(_ value: String, forKey key: Key) throws { set(key, .text(value)) }
        mutating func encode(_ value: Double, forKey key: Key) throws { set(key, .float(value)) }
        mutating func encode(_ value: Int, forKey key: Key) throws { set(key, .integer(Int64(value))) }
        mutating func encode(_ value: Int64, forKey key: Key) throws { set(key, .integer(value)) }
        mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws { set(key, value.sqlValue) }
        mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws { set(key, value.sqlValue) }
        mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws { set(key, value.sqlValue) }
        mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws { set(key, value.sqlValue) }
        mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws { set(key, value.sqlValue) }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
            -> KeyedEncodingContainer<NestedKey>
        {
            KeyedEncodingContainer(KeyedContainer<NestedKey>(storage: storage, naming: naming))
        }

        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer { Unsupported() }
        mutating func superEncoder() -> any Encoder { RecordEncoder(naming: naming) }
        mutating func superEncoder(forKey key: Key) -> any Encoder { RecordEncoder(naming: naming) }
    }

    /// A model must encode as a keyed container (a struct); anything else fails clearly.
    struct Unsupported: UnkeyedEncodingContainer, SingleValueEncodingContainer {
        var codingPath: [any CodingKey] { [] }
        var count: Int { 0 }

        private func fail() -> EncodingError {
            EncodingError.invalidValue(
                (), .init(codingPath: [], debugDescription: "A model encodes as a struct of columns (a keyed container)"))
        }

        mutating func encodeNil() throws { throw fail() }
        mutating func encode<T: Encodable>(_ value: T) throws { throw fail() }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            KeyedEncodingContainer(KeyedContainer<NestedKey>(storage: Storage(), naming: .verbatim))
        }
        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer { self }
        mutating func superEncoder() -> any Encoder { RecordEncoder(naming: .verbatim) }
    }
}
