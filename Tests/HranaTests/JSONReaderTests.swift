import Fixtures
import Foundation
@testable import Hrana
import Testing

/// The hand-written reader agrees with `JSONDecoder` on everything it accepts, and gives up on the rest.
@Suite("JSON reader")
struct JSONReaderTests {
    /// Fast-path result compared with `JSONDecoder`'s; returns whether the fast path accepted the input.
    @discardableResult
    static func agree<T: JSONReadable & Decodable>(
        _ type: T.Type, _ data: Data, sourceLocation: SourceLocation = #_sourceLocation
    ) -> Bool {
        guard let fast = T.fastDecode(data) else { return false }
        do {
            let slow = try HranaJSON.decodeWithFoundation(type, from: data)
            #expect(String(reflecting: fast) == String(reflecting: slow), "\(String(decoding: data, as: UTF8.self))",
                    sourceLocation: sourceLocation)
        } catch {
            Issue.record("fast path accepted what JSONDecoder rejects (\(error)): \(String(decoding: data, as: UTF8.self))",
                         sourceLocation: sourceLocation)
        }
        return true
    }

    /// Every message of every fixture, as (type, bytes).
    static func fixtureMessages() throws -> [(any (JSONReadable & Decodable).Type, Data)] {
        var messages: [(any (JSONReadable & Decodable).Type, Data)] = []
        for exchange in Exchange.all {
            if exchange.isPipeline, let body = exchange.requestBody {
                messages.append((PipelineRequest.self, try body.data))
                if exchange.status == 200, let response = exchange.responseBody { messages.append((PipelineResponse.self, try response.data)) }
            }
            if exchange.isCursor, let body = exchange.requestBody {
                messages.append((CursorRequest.self, try body.data))
                if exchange.status == 200, let lines = exchange.responseLines {
                    messages.append((CursorResponse.self, try lines[0].data))
                    for line in lines.dropFirst() { messages.append((CursorEntry.self, try line.data)) }
                }
            }
        }
        return messages
    }

    @Test("every fixture message takes the fast path and agrees with JSONDecoder")
    func fixtures() throws {
        let messages = try Self.fixtureMessages()
        #expect(messages.count > 250)
        for (type, data) in messages {
            let tookFastPath = Self.agree(type, data)
            #expect(tookFastPath, "fast path gave up on \(type): \(String(decoding: data, as: UTF8.self).prefix(200))")
        }
        // The recorded bytes of cursor bodies too (Python's spacing and \u escapes).
        for exchange in Exchange.all where exchange.isCursor && exchange.status == 200 {
            let body = try #require(exchange.responseBody?.stringValue)
            for line in body.split(separator: "\n").dropFirst() {
                #expect(Self.agree(CursorEntry.self, Data(line.utf8)))
            }
        }
    }

    @Test("mutated fixture messages: whatever the fast path accepts, JSONDecoder decodes the same")
    func mutations() throws {
        var generator = SeededGenerator(seed: 0xF022)
        var messages = try Self.fixtureMessages()
        for _ in 0..<30 {
            let stmt = JSONWriterTests.randomStmt(&generator)
            let condition = JSONWriterTests.randomCondition(&generator)
            let request = PipelineRequest(baton: "b", requests: [
                .execute(stmt), .batch(Batch(steps: [BatchStep(condition: condition, stmt: stmt)])), .describe(sql: "x", sqlID: 1),
            ])
            messages.append((PipelineRequest.self, try HranaJSON.encode(request)))
            let row = (0..<4).map { _ in JSONWriterTests.randomValue(&generator) }
            messages.append((CursorEntry.self, try HranaJSON.encode(CursorEntry.row(row))))
        }
        let tokens = Array(#"{}[]",:0123456789-+.eE \"\\/ntrufalsebase64typevaluenullintegerfloat"#.utf8) + [0x00, 0x1F, 0xC3, 0xFF, 0xED]
        var accepted = 0
        for _ in 0..<2_000 {
            let (type, original) = messages.randomElement(using: &generator)!
            var bytes = Array(original)
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                let position = Int.random(in: 0..<max(1, bytes.count), using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0 where !bytes.isEmpty: bytes[position] = tokens.randomElement(using: &generator)!
                case 1 where !bytes.isEmpty: bytes.remove(at: position)
                default: bytes.insert(tokens.randomElement(using: &generator)!, at: min(position, bytes.count))
                }
            }
            if Self.agree(type, Data(bytes)) { accepted += 1 }
        }
        #expect(accepted > 100)
    }

    @Test("edge cases decide the same way on both paths", arguments: [
        #"{"type":"float","value":-0}"#, #"{"type":"float","value":1e-400}"#, #"{"type":"float","value":1E+2}"#,
        #"{"type":"float","value":0e5}"#, #"{"type":"float","value":0.0}"#, #"{"type":"float","value":-0.0}"#,
        #"{"type":"float","value":0.000}"#, #"{"type":"float","value":1e-320}"#, #"{"type":"float","value":2.5e-308}"#, #"{"type":"float","value":123456789012345678901234567890}"#,
        #"{"type":"float","value":5e-324}"#, #"{"type":"float","value":-1.5e308}"#, #"{"type":"float","value":01}"#,
        #"{"value":"12","type":"integer"}"#, #"{"type":"integer","value":"+12"}"#, #"{"type":"integer","value":"-"}"#,
        #"{"type":"integer","value":"1","value":"2"}"#, #"{"type":"text","type":"text","value":""}"#,
        #"{"type":"text","value":"a\u0000b\ud83d\ude00\/"}"#, #"{"type":"text","value":"\ud83d"}"#,
        #" {"type":"null"} "#, #"{"type":"null"} x"#, #"{"type":"blob","base64":"AAH\/\/w=="}"#,
        #"{"type":"blob","base64":"AAH+/w"}"#, #"{"type":"te\u0078t","value":"a"}"#, #"{"type":"null","value":{"deep":[1,{}]}}"#,
    ])
    func edgeCases(text: String) {
        Self.agree(Value.self, json(text))
    }

    @Test("numbers at the integer limits", arguments: [
        #"{"type":"step_end","affected_row_count":18446744073709551615,"last_insert_rowid":-9223372036854775808}"#,
        #"{"type":"step_end","affected_row_count":18446744073709551616,"last_insert_rowid":null}"#,
        #"{"type":"step_end","affected_row_count":0,"last_insert_rowid":9223372036854775808}"#,
        #"{"type":"step_end","affected_row_count":-0,"last_insert_rowid":"-0"}"#,
        #"{"type":"step_end","affected_row_count":1.0}"#,
        #"{"type":"step_begin","step":4294967295,"cols":[]}"#, #"{"type":"step_begin","step":4294967296,"cols":[]}"#,
        #"{"type":"replication_index","replication_index":1}"#, #"{"type":"future\"kind"}"#,
    ])
    func integerLimits(text: String) {
        Self.agree(CursorEntry.self, json(text))
        #expect((try? HranaJSON.decode(CursorEntry.self, from: json(text))) != nil
            || (try? HranaJSON.decodeWithFoundation(CursorEntry.self, from: json(text))) == nil)
    }

    @Test("deep nesting gives up on the fast path and fails cleanly")
    func deepNesting() {
        let deep = #"{"requests":[{"type":"batch","batch":{"steps":[{"stmt":{"sql":"x"},"condition":"#
            + String(repeating: #"{"type":"not","cond":"#, count: 300) + #"{"type":"ok","step":0}"#
            + String(repeating: "}", count: 300) + "}]}}]}"
        #expect(PipelineRequest.fastDecode(json(deep)) == nil)
        #expect((try? HranaJSON.decode(PipelineRequest.self, from: json(deep))) != nil)
    }
}
