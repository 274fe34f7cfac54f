import Fixtures
import Foundation
import Hrana
import Testing

/// Round trips of `Value` through JSON with seeded random inputs, and its exact wire form.
@Suite("Value JSON")
struct ValuePropertyTests {
    static func roundTrip(_ value: Value) throws -> Value {
        try HranaJSON.decode(Value.self, from: try HranaJSON.encode(value))
    }

    static func wire(_ value: Value) throws -> JSONValue { try JSONValue.parse(try HranaJSON.encode(value)) }

    @Test("wire form of each type follows the spec")
    func wireForm() throws {
        #expect(try Self.wire(.null) == .object(["type": .string("null")]))
        #expect(try Self.wire(.integer(.min)) == .object(["type": .string("integer"), "value": .string("-9223372036854775808")]))
        #expect(try Self.wire(.integer(.max)) == .object(["type": .string("integer"), "value": .string("9223372036854775807")]))
        #expect(try Self.wire(.float(1.5)) == .object(["type": .string("float"), "value": .number(1.5)]))
        #expect(try Self.wire(.text("é")) == .object(["type": .string("text"), "value": .string("é")]))
        #expect(try Self.wire(.blob(Data([0, 1, 0xFE, 0xFF]))) == .object(["type": .string("blob"), "base64": .string("AAH+/w==")]))
        #expect(try Self.wire(.blob(Data())) == .object(["type": .string("blob"), "base64": .string("")]))
        let text = String(decoding: try HranaJSON.encode(Value.blob(Data([0xFB, 0xFF]))), as: UTF8.self)
        #expect(text.contains("\"+/8=\""), "slashes are written unescaped: \(text)")
    }

    @Test("Int64 round trips exactly, extremes and random values")
    func integers() throws {
        var generator = SeededGenerator(seed: 0x1234_5678)
        var samples: [Int64] = [.min, .max, 0, -1, 1, .min + 1, .max - 1, 1 << 53, (1 << 53) + 1]
        for _ in 0..<500 { samples.append(Int64(bitPattern: generator.next())) }
        for _ in 0..<200 { samples.append(Int64.random(in: -1_000...1_000, using: &generator)) }
        for sample in samples {
            #expect(try Self.roundTrip(.integer(sample)) == .integer(sample))
        }
        #expect(try HranaJSON.decode(Value.self, from: json(#"{"type":"integer","value":"+42"}"#)) == .integer(42))
        #expect(try HranaJSON.decode(Value.self, from: json(#"{"type":"integer","value":"-0"}"#)) == .integer(0))
    }

    @Test("doubles round trip bit for bit: subnormals, negative zero, large exponents, random bits")
    func doubles() throws {
        var generator = SeededGenerator(seed: 0xD0_0B1E)
        var samples: [Double] = [
            0, -0.0, 1, -1, 0.1, 1.0 / 3, .pi, 1e100, -1e-100, 1e308, .greatestFiniteMagnitude,
            -.greatestFiniteMagnitude, .leastNormalMagnitude, .leastNonzeroMagnitude, -.leastNonzeroMagnitude,
            Double.leastNormalMagnitude / 3, 9_223_372_036_854_775_808.0, 4_503_599_627_370_497.0, 123456789.125,
        ]
        while samples.count < 600 {
            let double = Double(bitPattern: generator.next())
            if double.isFinite { samples.append(double) }
        }
        for sample in samples {
            guard case .float(let decoded) = try Self.roundTrip(.float(sample)) else {
                Issue.record("\(sample) did not decode as a float")
                continue
            }
            #expect(decoded.bitPattern == sample.bitPattern, "\(sample) came back as \(decoded)")
        }
    }

    @Test("nonFiniteFloatsAsNull writes sqld's null float value; other values are unchanged")
    func nonFiniteAsNull() throws {
        let row: [Value] = [.float(.infinity), .float(-.infinity), .float(.nan), .float(2.5), .integer(1)]
        let data = try HranaJSON.encode(CursorEntry.row(row), nonFiniteFloatsAsNull: true)
        #expect(String(decoding: data, as: UTF8.self) == #"{"type":"row","row":[{"type":"float","value":null},{"type":"float","value":null},{"type":"float","value":null},{"type":"float","value":2.5},{"type":"integer","value":"1"}]}"#)
        #expect(throws: HranaCodingError.self) { try HranaJSON.encode(CursorEntry.row(row)) }
    }

    @Test("non-finite floats cannot be encoded; a null float from a server decodes as NaN")
    func nonFinite() throws {
        for double in [Double.nan, .infinity, -.infinity] {
            #expect(throws: HranaCodingError.self) { try HranaJSON.encode(Value.float(double)) }
        }
        do {
            _ = try HranaJSON.encode(Stmt(sql: "SELECT ?", args: [.integer(1), .float(.infinity)]))
            Issue.record("an infinite argument was encoded")
        } catch {
            #expect(error.path == "args[1].value")
            #expect(error.message.contains("non-finite"))
        }
        let decoded = try HranaJSON.decode(Value.self, from: json(#"{"type":"float","value":null}"#))
        guard case .float(let double) = decoded else {
            Issue.record("null float decoded as \(decoded)")
            return
        }
        #expect(double.isNaN)
    }

    @Test("text round trips: unicode, emoji, NUL, control characters and JSON escapes")
    func texts() throws {
        var generator = SeededGenerator(seed: 0x7E_C7)
        let pools: [ClosedRange<UInt32>] = [0x00...0x1F, 0x20...0x7E, 0x80...0x7FF, 0x800...0xD7FF, 0xE000...0xFFFD, 0x1_0000...0x10_FFFF]
        var samples = ["", "\u{0}", "a\u{0}b", "\"\\/\u{8}\u{C}\n\r\t", "😀👩‍👩‍👧‍👦🇫🇷", "e\u{301}", "\u{2028}\u{2029}", "\u{FEFF}x", "日本語"]
        for _ in 0..<300 {
            var text = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 0...24, using: &generator) {
                let pool = pools.randomElement(using: &generator)!
                if let scalar = Unicode.Scalar(UInt32.random(in: pool, using: &generator)) { text.append(scalar) }
            }
            samples.append(String(text))
        }
        for sample in samples {
            let decoded = try Self.roundTrip(.text(sample))
            guard case .text(let text) = decoded else {
                Issue.record("text decoded as \(decoded)")
                continue
            }
            #expect(Array(text.unicodeScalars) == Array(sample.unicodeScalars), "\(sample.debugDescription)")
        }
    }

    @Test("blobs round trip, and decode with or without padding")
    func blobs() throws {
        var generator = SeededGenerator(seed: 0xB10B)
        var samples: [Data] = [Data(), Data([0]), Data([0xFF, 0xFE]), Data([0xFB, 0xEF, 0xBE])]
        for length in 0..<80 {
            samples.append(Data((0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }))
        }
        for sample in samples {
            #expect(try Self.roundTrip(.blob(sample)) == .blob(sample))
            let unpadded = sample.base64EncodedString().replacingOccurrences(of: "=", with: "")
            let decoded = try HranaJSON.decode(Value.self, from: json(#"{"type":"blob","base64":"\#(unpadded)"}"#))
            #expect(decoded == .blob(sample))
        }
    }

    @Test("unknown keys are ignored")
    func unknownKeys() throws {
        let value = try HranaJSON.decode(Value.self, from: json(#"{"extra":{"deep":[1,2]},"type":"integer","value":"7","more":null}"#))
        #expect(value == .integer(7))
    }
}
