import Foundation

/// Appends protobuf wire-format fields to a byte buffer (proto3; the subset Hrana uses).
///
/// Length-delimited fields are written in one pass: one byte is reserved for the length and the body is
/// moved only when it turns out to be 128 bytes or longer.
public struct ProtobufWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8] = []
    /// Whether a `Stmt` without `wantRows` is written with `want_rows: true` (see ``HranaProtobuf/encode(_:explicitWantRows:)``).
    var explicitWantRows = false

    init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    enum WireType: UInt8 {
        case varint = 0, fixed64 = 1, lengthDelimited = 2, startGroup = 3, endGroup = 4, fixed32 = 5
    }

    @inline(__always)
    mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    @inline(__always)
    mutating func tag(_ field: UInt32, _ wireType: WireType) {
        varint(UInt64(field) << 3 | UInt64(wireType.rawValue))
    }

    /// An `int32`, `uint32`, `uint64` or `bool` value (negative `int32` as the standard 10-byte varint).
    mutating func varintField(_ field: UInt32, _ value: UInt64) {
        tag(field, .varint)
        varint(value)
    }

    mutating func int32Field(_ field: UInt32, _ value: Int32) {
        varintField(field, UInt64(bitPattern: Int64(value)))
    }

    mutating func sint64Field(_ field: UInt32, _ value: Int64) {
        varintField(field, UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    mutating func boolField(_ field: UInt32, _ value: Bool) {
        varintField(field, value ? 1 : 0)
    }

    mutating func doubleField(_ field: UInt32, _ value: Double) {
        tag(field, .fixed64)
        let bits = value.bitPattern
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift))) }
    }

    mutating func stringField(_ field: UInt32, _ value: String) {
        tag(field, .lengthDelimited)
        var value = value
        value.withUTF8 { utf8 in
            varint(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    mutating func bytesField(_ field: UInt32, _ value: Data) {
        tag(field, .lengthDelimited)
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    /// An embedded message, written by `body`.
    @inline(__always)
    mutating func messageField(_ field: UInt32, _ body: (inout ProtobufWriter) -> Void) {
        tag(field, .lengthDelimited)
        let lengthAt = bytes.count
        bytes.append(0)
        body(&self)
        patchLength(at: lengthAt)
    }

    /// An embedded message field holding `message`.
    mutating func messageField(_ field: UInt32, _ message: some ProtobufMessage) {
        messageField(field) { message.encode(to: &$0) }
    }

    /// An empty embedded message (`Value.Null`, `CloseStreamReq`...): the tag and a zero length.
    mutating func emptyMessageField(_ field: UInt32) {
        tag(field, .lengthDelimited)
        bytes.append(0)
    }

    /// A whole message preceded by its length, as items of a protobuf cursor body are framed.
    mutating func lengthDelimited(_ message: some ProtobufMessage) {
        let lengthAt = bytes.count
        bytes.append(0)
        message.encode(to: &self)
        patchLength(at: lengthAt)
    }

    /// Writes the length of the bytes after the one reserved at `lengthAt` there, widening it when needed.
    private mutating func patchLength(at lengthAt: Int) {
        let length = bytes.count - lengthAt - 1
        if length < 0x80 {
            bytes[lengthAt] = UInt8(length)
            return
        }
        var prefix: [UInt8] = []
        var value = UInt64(length)
        while value >= 0x80 {
            prefix.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        prefix.append(UInt8(value))
        bytes.replaceSubrange(lengthAt..<(lengthAt + 1), with: prefix)
    }
}
