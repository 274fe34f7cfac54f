import Foundation

/// Reads protobuf wire-format fields from a byte buffer, checking every length and wire type.
///
/// Every failure is a ``HranaCodingError`` with the byte offset where it was found and the path of the
/// message it happened in. Unknown fields of any wire type (groups included) are skipped; nesting deeper than
/// ``maxDepth`` messages is an error, so hostile input cannot exhaust the stack.
///
/// A reader is a view of bytes valid only inside ``HranaProtobuf/decode(_:from:)``, so it is not `Sendable`.
public struct ProtobufReader {
    /// The deepest nesting of embedded messages accepted (protobuf's usual limit).
    public static let maxDepth = 100

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private var end: Int
    private var depth = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        end = bytes.count
    }

    /// The read position, as an offset in the whole buffer.
    var position: Int { index }

    /// One field header: its number, its wire type and where it starts.
    struct Field {
        let number: UInt32
        let wireType: UInt8
        let offset: Int
    }

    func error(_ message: String, at offset: Int) -> HranaCodingError {
        HranaCodingError(message: message, path: "", offset: offset)
    }

    /// The next field of the current message, or `nil` at its end.
    mutating func nextField() throws(HranaCodingError) -> Field? {
        guard index < end else { return nil }
        let offset = index
        let key = try varint()
        guard key <= UInt64(UInt32.max) else { throw error("field key \(key) is out of range", at: offset) }
        let number = UInt32(key >> 3)
        let wireType = UInt8(key & 7)
        guard number != 0 else { throw error("field number 0 is invalid", at: offset) }
        guard wireType <= 5 else { throw error("invalid wire type \(wireType) for field \(number)", at: offset) }
        return Field(number: number, wireType: wireType, offset: offset)
    }

    @inline(__always)
    private mutating func varint() throws(HranaCodingError) -> UInt64 {
        let start = index
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard index < end else { throw error("truncated varint", at: start) }
            let byte = bytes[index]
            index += 1
            if shift == 63 && byte > 1 { throw error("varint longer than 64 bits", at: start) }
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
        }
    }

    private func expect(_ field: Field, _ wireType: ProtobufWriter.WireType) throws(HranaCodingError) {
        guard field.wireType == wireType.rawValue else {
            throw error(
                "field \(field.number) has wire type \(field.wireType), expected \(wireType.rawValue) (\(wireType))",
                at: field.offset)
        }
    }

    /// A varint field as `uint64`.
    mutating func uint64(_ field: Field) throws(HranaCodingError) -> UInt64 {
        try expect(field, .varint)
        return try varint()
    }

    /// A varint field as `uint32` (higher bits dropped, as protobuf parsers do).
    mutating func uint32(_ field: Field) throws(HranaCodingError) -> UInt32 {
        UInt32(truncatingIfNeeded: try uint64(field))
    }

    /// A varint field as `int32` (the 10-byte and the 5-byte form of negative values both accepted).
    mutating func int32(_ field: Field) throws(HranaCodingError) -> Int32 {
        Int32(truncatingIfNeeded: try uint64(field))
    }

    /// A zigzag varint field as `sint64`.
    mutating func sint64(_ field: Field) throws(HranaCodingError) -> Int64 {
        let raw = try uint64(field)
        return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }

    mutating func bool(_ field: Field) throws(HranaCodingError) -> Bool {
        try uint64(field) != 0
    }

    /// A fixed64 field as a little-endian `double`.
    mutating func double(_ field: Field) throws(HranaCodingError) -> Double {
        try expect(field, .fixed64)
        guard end - index >= 8 else { throw error("truncated fixed64 of field \(field.number)", at: field.offset) }
        var bits: UInt64 = 0
        for offset in 0..<8 { bits |= UInt64(bytes[index + offset]) << UInt64(offset * 8) }
        index += 8
        return Double(bitPattern: bits)
    }

    /// The body of a length-delimited field, after checking that it fits in the current message.
    private mutating func lengthDelimited(_ field: Field) throws(HranaCodingError) -> Range<Int> {
        try expect(field, .lengthDelimited)
        let length = try varint()
        guard length <= UInt64(end - index) else {
            throw error("field \(field.number) has length \(length), past the end of its message", at: field.offset)
        }
        let range = index..<(index + Int(length))
        index = range.upperBound
        return range
    }

    mutating func string(_ field: Field) throws(HranaCodingError) -> String {
        let range = try lengthDelimited(field)
        guard let string = String(validating: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self) else {
            throw error("field \(field.number) is not valid UTF-8", at: field.offset)
        }
        return string
    }

    mutating func bytes(_ field: Field) throws(HranaCodingError) -> Data {
        Data(UnsafeBufferPointer(rebasing: bytes[try lengthDelimited(field)]))
    }

    /// Reads an embedded message with `body`, which must consume it; errors get `name` (and `index`) in
    /// their path.
    @inline(__always)
    mutating func message<T>(
        _ field: Field, _ name: String, index elementIndex: Int? = nil,
        _ body: (inout ProtobufReader) throws(HranaCodingError) -> T
    ) throws(HranaCodingError) -> T {
        do throws(HranaCodingError) {
            let range = try lengthDelimited(field)
            guard depth < Self.maxDepth else {
                throw error("messages nested deeper than \(Self.maxDepth) levels", at: field.offset)
            }
            let outerEnd = end
            index = range.lowerBound
            end = range.upperBound
            depth += 1
            let value = try body(&self)
            guard index == end else { throw error("message ended inside a field", at: index) }
            depth -= 1
            end = outerEnd
            return value
        } catch {
            throw error.nested(in: name, index: elementIndex)
        }
    }

    /// Reads an embedded message of type `M`.
    mutating func message<M: ProtobufMessage>(
        _ field: Field, _ name: String, index elementIndex: Int? = nil, as type: M.Type = M.self
    ) throws(HranaCodingError) -> M {
        try message(field, name, index: elementIndex) { (reader) throws(HranaCodingError) in
            try M.decode(from: &reader)
        }
    }

    /// Reads an embedded message whose fields are all unknown to this library (`Value.Null`, empty requests).
    mutating func emptyMessage(_ field: Field, _ name: String) throws(HranaCodingError) {
        try message(field, name) { (reader) throws(HranaCodingError) in
            while let inner = try reader.nextField() { try reader.skip(inner) }
        }
    }

    /// Skips a field this library does not know.
    mutating func skip(_ field: Field) throws(HranaCodingError) {
        switch field.wireType {
        case 0: _ = try varint()
        case 1, 5:
            let size = field.wireType == 1 ? 8 : 4
            guard end - index >= size else { throw error("truncated fixed field \(field.number)", at: field.offset) }
            index += size
        case 2: _ = try lengthDelimited(field)
        case 3: try skipGroup(field)
        default: throw error("end of group \(field.number) without its start", at: field.offset)
        }
    }

    private mutating func skipGroup(_ start: Field) throws(HranaCodingError) {
        guard depth < Self.maxDepth else {
            throw error("groups nested deeper than \(Self.maxDepth) levels", at: start.offset)
        }
        depth += 1
        while let field = try nextField() {
            if field.wireType == 4 {
                guard field.number == start.number else {
                    throw error("group \(start.number) ended by end of group \(field.number)", at: field.offset)
                }
                depth -= 1
                return
            }
            try skip(field)
        }
        throw error("group \(start.number) is not terminated", at: start.offset)
    }
}

extension HranaCodingError {
    /// The same error one message further out: `name[index].` prefixed to its path.
    func nested(in name: String, index: Int?) -> HranaCodingError {
        var component = name
        if let index { component += "[\(index)]" }
        var copy = self
        if path.isEmpty {
            copy.path = component
        } else {
            copy.path = component + (path.hasPrefix("[") ? "" : ".") + path
        }
        return copy
    }
}
