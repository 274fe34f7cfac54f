import Foundation

// Fast readers for every message type; each mirrors the type's `init(from:)`. Anything the reader does not
// handle exactly like it (including every error) gives up, and `JSONDecoder` decodes the message instead.

typealias Bail = JSONReader.Bail

extension JSONReader {
    mutating func readOptionalString() throws(Bail) -> String? {
        try readNull() ? nil : try readString()
    }

    /// `decodeFlexibleUInt64IfPresent`: a decimal string or a JSON number; `null` ⇒ `nil`.
    mutating func readFlexibleUInt64() throws(Bail) -> UInt64? {
        if try readNull() { return nil }
        if try peekIsString() {
            guard let value = UInt64(try readString()) else { throw Bail() }
            return value
        }
        return try readInteger(UInt64.self)
    }

    /// `decodeFlexibleInt64IfPresent`: a decimal string (the spec) or a JSON number; `null` ⇒ `nil`.
    mutating func readFlexibleInt64() throws(Bail) -> Int64? {
        if try readNull() { return nil }
        if try peekIsString() { return try readIntegerString() }
        return try readInteger(Int64.self)
    }

    /// A Hrana integer string (`"-42"`, `"+7"`), parsed from its bytes like ``Value/parseInteger(_:)``.
    mutating func readIntegerString() throws(Bail) -> Int64 {
        let raw = try readRawString().bytes
        var digits = raw[...]
        var negative = false
        if let sign = digits.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") {
            negative = sign == UInt8(ascii: "-")
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty else { throw Bail() }
        return try JSONReader.decimal(digits, negative: negative)
    }

    /// A base64 string; escaped slashes (`\/`, as some encoders write them) are unescaped first.
    mutating func readBase64() throws(Bail) -> Data {
        let start = position
        if let raw = try? readRawString().bytes {
            guard let data = Base64.decode(bytes: raw) else { throw Bail() }
            return data
        }
        position = start
        guard let data = Base64.decode(try readString()) else { throw Bail() }
        return data
    }
}

/// Marks a field as read, giving up on a duplicate key (Foundation's choice between duplicates is its own).
@inline(__always)
func once(_ seen: inout Bool) throws(Bail) {
    guard !seen else { throw Bail() }
    seen = true
}

/// Marks one of several fields, tracked as bits, as read; gives up on a duplicate key.
@inline(__always)
func once(_ seen: inout UInt8, bit: UInt8) throws(Bail) {
    guard seen & bit == 0 else { throw Bail() }
    seen |= bit
}
