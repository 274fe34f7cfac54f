import Foundation

/// A message that can read itself from JSON without `JSONDecoder`, for the hot decoding paths.
///
/// The reader is strict (RFC 8259, UTF-8, shallow nesting) and gives up (``JSONReader/Bail``) on anything
/// unusual: invalid or unexpected input, numbers it does not parse exactly like Foundation, duplicate keys.
/// ``HranaJSON/decode(_:from:)`` then decodes the same bytes with `JSONDecoder`, so errors, their paths and
/// every edge case behave exactly as with the `Decodable` conformances.
protocol JSONReadable {
    static func read(from reader: inout JSONReader) throws(JSONReader.Bail) -> Self
}

extension JSONReadable {
    /// Reads a whole document, or `nil` when the fast path gave up.
    static func fastDecode(_ data: Data) -> Self? {
        data.withUnsafeBytes { raw in fastDecode(bytes: raw.bindMemory(to: UInt8.self)) }
    }

    /// Reads a whole document from raw bytes, or `nil` when the fast path gave up.
    static func fastDecode(bytes: UnsafeBufferPointer<UInt8>) -> Self? {
        var reader = JSONReader(bytes)
        do {
            let value = try read(from: &reader)
            reader.skipWhitespace()
            return reader.isAtEnd ? value : nil
        } catch {
            return nil
        }
    }
}

/// A strict pull reader over UTF-8 JSON bytes.
struct JSONReader {
    /// The fast path gave up; decode with `JSONDecoder` instead.
    struct Bail: Error {}

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private var depth = 0
    private static let maxDepth = 128

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    var isAtEnd: Bool { index == bytes.count }

    /// The read position, to come back to.
    var position: Int {
        get { index }
        set { index = newValue }
    }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    private mutating func peek() throws(Bail) -> UInt8 {
        skipWhitespace()
        guard index < bytes.count else { throw Bail() }
        return bytes[index]
    }

    private mutating func expect(_ byte: UInt8) throws(Bail) {
        guard try peek() == byte else { throw Bail() }
        index += 1
    }

    // MARK: Objects

    /// A key of the object being read, as raw bytes (keys with escapes make the reader give up).
    struct Key {
        let bytes: UnsafeBufferPointer<UInt8>

        static func == (key: Key, name: StaticString) -> Bool {
            guard key.bytes.count == name.utf8CodeUnitCount else { return false }
            return name.withUTF8Buffer { memcmp($0.baseAddress!, key.bytes.baseAddress!, key.bytes.count) == 0 }
        }
    }

    /// Reads an object, calling `field` for each key with the reader placed at its value, which `field`
    /// must consume (or ``skipValue()``).
    mutating func readObject(_ field: (inout JSONReader, Key) throws(Bail) -> Void) throws(Bail) {
        try expect(UInt8(ascii: "{"))
        depth += 1
        guard depth <= Self.maxDepth else { throw Bail() }
        if try peek() == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return
        }
        while true {
            let key = try readKey()
            try expect(UInt8(ascii: ":"))
            try field(&self, key)
            switch try peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"):
                index += 1
                depth -= 1
                return
            default: throw Bail()
            }
        }
    }

    /// Reads a tagged object (`{"type": ..., ...}` with `type` anywhere): finds the tag first, then reads
    /// the other fields knowing it.
    mutating func readTaggedObject(
        _ field: (inout JSONReader, _ type: Key, _ key: Key) throws(Bail) -> Void
    ) throws(Bail) -> Key {
        let start = index
        if let tag = try readTagFirst(field) { return tag }
        index = start
        var tag: Key?
        try readObject { (reader, key) throws(Bail) in
            if key == "type" {
                guard tag == nil else { throw Bail() }
                tag = try reader.readRawString()
            } else {
                try reader.skipValue()
            }
        }
        guard let tag else { throw Bail() }
        index = start
        try readObject { (reader, key) throws(Bail) in
            if key == "type" { try reader.skipValue() } else { try field(&reader, tag, key) }
        }
        return tag
    }

    /// The common case in one pass: `type` is the first key. Returns `nil` (position undefined) otherwise.
    private mutating func readTagFirst(
        _ field: (inout JSONReader, _ type: Key, _ key: Key) throws(Bail) -> Void
    ) throws(Bail) -> Key? {
        try expect(UInt8(ascii: "{"))
        guard try peek() == UInt8(ascii: "\""), try readKey() == "type" else { return nil }
        depth += 1
        guard depth <= Self.maxDepth else { throw Bail() }
        try expect(UInt8(ascii: ":"))
        let tag = try readRawString()
        while true {
            switch try peek() {
            case UInt8(ascii: ","):
                index += 1
                let key = try readKey()
                guard !(key == "type") else { throw Bail() }
                try expect(UInt8(ascii: ":"))
                try field(&self, tag, key)
            case UInt8(ascii: "}"):
                index += 1
                depth -= 1
                return tag
            default: throw Bail()
            }
        }
    }

    private mutating func readKey() throws(Bail) -> Key {
        try readRawString()
    }

    /// A string without escapes, as raw bytes.
    mutating func readRawString() throws(Bail) -> Key {
        try expect(UInt8(ascii: "\""))
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let key = Key(bytes: UnsafeBufferPointer(rebasing: bytes[start..<index]))
                index += 1
                return key
            }
            guard byte >= 0x20, byte != UInt8(ascii: "\\"), byte < 0x80 else { throw Bail() }
            index += 1
        }
        throw Bail()
    }

    // MARK: Arrays

    mutating func readArray<T>(_ element: (inout JSONReader) throws(Bail) -> T) throws(Bail) -> [T] {
        try expect(UInt8(ascii: "["))
        depth += 1
        guard depth <= Self.maxDepth else { throw Bail() }
        var result: [T] = []
        if try peek() == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return result
        }
        while true {
            result.append(try element(&self))
            switch try peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"):
                index += 1
                depth -= 1
                return result
            default: throw Bail()
            }
        }
    }

    mutating func readArray<T: JSONReadable>(of type: T.Type) throws(Bail) -> [T] {
        try readArray { (reader) throws(Bail) in try T.read(from: &reader) }
    }

    // MARK: Scalars

    /// Whether a string comes next.
    mutating func peekIsString() throws(Bail) -> Bool { try peek() == UInt8(ascii: "\"") }

    /// Consumes `null` if it comes next.
    mutating func readNull() throws(Bail) -> Bool {
        guard try peek() == UInt8(ascii: "n") else { return false }
        try literal("null")
        return true
    }

    mutating func readBool() throws(Bail) -> Bool {
        switch try peek() {
        case UInt8(ascii: "t"):
            try literal("true")
            return true
        case UInt8(ascii: "f"):
            try literal("false")
            return false
        default: throw Bail()
        }
    }

    private mutating func literal(_ text: StaticString) throws(Bail) {
        let count = text.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw Bail() }
        let same = text.withUTF8Buffer { memcmp($0.baseAddress!, bytes.baseAddress! + index, count) == 0 }
        guard same else { throw Bail() }
        index += count
    }

    mutating func readString() throws(Bail) -> String {
        try expect(UInt8(ascii: "\""))
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let slice = UnsafeBufferPointer(rebasing: bytes[start..<index])
                index += 1
                guard let string = String(validating: slice, as: UTF8.self) else { throw Bail() }
                return string
            }
            if byte == UInt8(ascii: "\\") { return try readEscapedString(from: start) }
            guard byte >= 0x20 else { throw Bail() }
            index += 1
        }
        throw Bail()
    }

    private mutating func readEscapedString(from start: Int) throws(Bail) -> String {
        var buffer = Array(UnsafeBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let string = String(validating: buffer, as: UTF8.self) else { throw Bail() }
                return string
            case UInt8(ascii: "\\"):
                guard index < bytes.count else { throw Bail() }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): buffer.append(escape)
                case UInt8(ascii: "b"): buffer.append(0x08)
                case UInt8(ascii: "f"): buffer.append(0x0C)
                case UInt8(ascii: "n"): buffer.append(0x0A)
                case UInt8(ascii: "r"): buffer.append(0x0D)
                case UInt8(ascii: "t"): buffer.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try readHex4()
                    if (0xD800..<0xDC00).contains(scalar) {
                        guard index + 2 <= bytes.count, bytes[index] == UInt8(ascii: "\\"),
                            bytes[index + 1] == UInt8(ascii: "u")
                        else { throw Bail() }
                        index += 2
                        let low = try readHex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw Bail() }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { throw Bail() }
                    buffer.append(contentsOf: UTF8.encode(unicode)!)
                default: throw Bail()
                }
            default:
                guard byte >= 0x20 else { throw Bail() }
                buffer.append(byte)
            }
        }
        throw Bail()
    }

    private mutating func readHex4() throws(Bail) -> UInt32 {
        guard index + 4 <= bytes.count else { throw Bail() }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            index += 1
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw Bail()
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    /// The bytes of a number and whether it is a plain integer (no fraction, no exponent).
    private mutating func readNumberToken() throws(Bail) -> (UnsafeBufferPointer<UInt8>, isInteger: Bool) {
        _ = try peek()
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count else { throw Bail() }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            guard try digits() > 0 else { throw Bail() }
        }
        var isInteger = true
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard try digits() > 0 else { throw Bail() }
            isInteger = false
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard try digits() > 0 else { throw Bail() }
            isInteger = false
        }
        return (UnsafeBufferPointer(rebasing: bytes[start..<index]), isInteger)
    }

    private mutating func digits() throws(Bail) -> Int {
        let start = index
        while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") { index += 1 }
        return index - start
    }

    /// A JSON number that is a plain integer within `T`'s range.
    mutating func readInteger<T: FixedWidthInteger>(_ type: T.Type) throws(Bail) -> T {
        let (token, isInteger) = try readNumberToken()
        guard isInteger, T.isSigned || token.first != UInt8(ascii: "-"), token.count <= 20 else { throw Bail() }
        let negative = token.first == UInt8(ascii: "-")
        return try Self.decimal(token.dropFirst(negative ? 1 : 0), negative: negative)
    }

    /// ASCII decimal digits as a `T`, giving up on any other byte or on overflow.
    static func decimal<T: FixedWidthInteger>(_ digits: some Sequence<UInt8>, negative: Bool) throws(Bail) -> T {
        var value: T = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { throw Bail() }
            let digit = T(byte - UInt8(ascii: "0"))
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) =
                negative ? times10.subtractingReportingOverflow(digit) : times10.addingReportingOverflow(digit)
            guard !overflow1, !overflow2 else { throw Bail() }
            value = next
        }
        return value
    }

    /// A JSON number as a finite double (results that over- or underflow give up).
    mutating func readDouble() throws(Bail) -> Double {
        let (token, isInteger) = try readNumberToken()
        if isInteger, token.count <= 15 {
            let value = Double(integerValue(token))
            return value == 0 && token.first == UInt8(ascii: "-") ? -0.0 : value
        }
        guard let text = String(validating: token, as: UTF8.self), let value = Double(text), value.isFinite else {
            throw Bail()
        }
        // Foundation rejects a zero written with an exponent (and underflows); leave those to it.
        if value == 0, token.contains(where: { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) { throw Bail() }
        return value
    }

    private func integerValue(_ token: UnsafeBufferPointer<UInt8>) -> Int64 {
        let negative = token.first == UInt8(ascii: "-")
        var value: Int64 = 0
        for byte in token.dropFirst(negative ? 1 : 0) { value = value * 10 + Int64(byte - UInt8(ascii: "0")) }
        return negative ? -value : value
    }

    // MARK: Skipping

    /// Consumes any value, validating it as strictly as reading it would.
    mutating func skipValue() throws(Bail) {
        switch try peek() {
        case UInt8(ascii: "{"): try readObject { (reader, _) throws(Bail) in try reader.skipValue() }
        case UInt8(ascii: "["): _ = try readArray { (reader) throws(Bail) in try reader.skipValue() }
        case UInt8(ascii: "\""): _ = try readString()
        case UInt8(ascii: "t"), UInt8(ascii: "f"): _ = try readBool()
        case UInt8(ascii: "n"): _ = try readNull()
        default: _ = try readNumberToken()
        }
    }
}
