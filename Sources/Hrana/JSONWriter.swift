import Foundation

/// A message that writes its own JSON, byte for byte the value its `Encodable` conformance produces.
///
/// ``HranaJSON/encode(_:)`` uses it when available: it is several times faster than `JSONEncoder`, and it
/// writes integral floats as `1.0` (as sqld and the reference server do) rather than `1`.
protocol JSONWritable {
    func write(to writer: inout JSONWriter) throws(JSONWriter.NonFinite)
}

/// Appends compact UTF-8 JSON to a byte buffer.
struct JSONWriter {
    /// A non-finite double was met; the caller re-encodes with `JSONEncoder` for the precise error path.
    struct NonFinite: Error {}

    var bytes: [UInt8] = []
    private var needsComma = false
    /// Writes non-finite doubles as `null` (sqld's output) instead of failing.
    var nonFiniteAsNull = false

    init(capacity: Int = 256, nonFiniteAsNull: Bool = false) {
        bytes.reserveCapacity(capacity)
        self.nonFiniteAsNull = nonFiniteAsNull
    }

    mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    mutating func beginArray() {
        separate()
        bytes.append(UInt8(ascii: "["))
        needsComma = false
    }

    mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// Writes `"name":`; `name` must need no escaping.
    mutating func key(_ name: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    mutating func null() {
        separate()
        append("null")
    }

    mutating func bool(_ value: Bool) {
        separate()
        append(value ? "true" : "false")
    }

    /// Writes a literal that needs no escaping, as a JSON string (`"close"`).
    mutating func literal(_ value: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        value.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func number(_ value: some BinaryInteger) {
        separate()
        bytes.append(contentsOf: String(value).utf8)
    }

    /// Writes an integer as a decimal JSON string (`"-42"`).
    mutating func integerString(_ value: some BinaryInteger) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: String(value).utf8)
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func number(_ value: Double) throws(NonFinite) {
        guard value.isFinite else {
            guard nonFiniteAsNull else { throw NonFinite() }
            null()
            return
        }
        separate()
        // Swift's description is the shortest round-tripping form and valid JSON for finite values.
        bytes.append(contentsOf: value.description.utf8)
    }

    mutating func string(_ value: String) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            var runStart = 0
            for index in 0..<utf8.count {
                let byte = utf8[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                if runStart < index { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index])) }
                appendEscape(byte)
                runStart = index + 1
            }
            if runStart < utf8.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...])) }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Writes `data` as a padded standard base64 JSON string.
    mutating func base64(_ data: Data) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        data.withUnsafeBytes { raw in
            let input = raw.bindMemory(to: UInt8.self)
            var index = 0
            let count = input.count
            while index + 3 <= count {
                let chunk = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
                bytes.append(Self.alphabet[Int(chunk >> 18)])
                bytes.append(Self.alphabet[Int((chunk >> 12) & 0x3F)])
                bytes.append(Self.alphabet[Int((chunk >> 6) & 0x3F)])
                bytes.append(Self.alphabet[Int(chunk & 0x3F)])
                index += 3
            }
            switch count - index {
            case 1:
                let chunk = UInt32(input[index]) << 16
                bytes.append(Self.alphabet[Int(chunk >> 18)])
                bytes.append(Self.alphabet[Int((chunk >> 12) & 0x3F)])
                bytes.append(UInt8(ascii: "="))
                bytes.append(UInt8(ascii: "="))
            case 2:
                let chunk = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8
                bytes.append(Self.alphabet[Int(chunk >> 18)])
                bytes.append(Self.alphabet[Int((chunk >> 12) & 0x3F)])
                bytes.append(Self.alphabet[Int((chunk >> 6) & 0x3F)])
                bytes.append(UInt8(ascii: "="))
            default:
                break
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func array<Element>(
        _ elements: [Element], _ body: (inout JSONWriter, Element) throws(NonFinite) -> Void
    ) throws(NonFinite) {
        beginArray()
        for element in elements { try body(&self, element) }
        endArray()
    }

    mutating func array(_ elements: [some JSONWritable]) throws(NonFinite) {
        beginArray()
        for element in elements { try element.write(to: &self) }
        endArray()
    }

    /// The optional `sql` and `sql_id` keys of `sequence` and `describe` requests.
    mutating func sqlReference(sql: String?, sqlID: Int32?) {
        if let sql {
            key("sql")
            string(sql)
        }
        if let sqlID {
            key("sql_id")
            number(sqlID)
        }
    }

    mutating func optionalString(_ value: String?) {
        if let value { string(value) } else { null() }
    }

    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        needsComma = true
    }

    private mutating func append(_ literal: StaticString) {
        literal.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    private mutating func appendEscape(_ byte: UInt8) {
        bytes.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\"))
        case 0x0A: bytes.append(UInt8(ascii: "n"))
        case 0x0D: bytes.append(UInt8(ascii: "r"))
        case 0x09: bytes.append(UInt8(ascii: "t"))
        case 0x08: bytes.append(UInt8(ascii: "b"))
        case 0x0C: bytes.append(UInt8(ascii: "f"))
        default:
            bytes.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
            bytes.append(Self.hexDigits[Int(byte >> 4)])
            bytes.append(Self.hexDigits[Int(byte & 0xF)])
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
}
