import Fixtures
import Foundation
@testable import Hrana
import Testing

/// The hand-written encoder produces the same JSON values as the `Encodable` conformances.
@Suite("JSON writer")
struct JSONWriterTests {
    static func expectSameJSON<T: Encodable>(_ message: T, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let fast = try HranaJSON.encode(message)
        let foundation = try HranaJSON.encodeWithFoundation(message)
        #expect(try JSONValue.parse(fast) == JSONValue.parse(foundation), sourceLocation: sourceLocation)
    }

    @Test("every fixture message encodes to the same JSON both ways", arguments: Exchange.all)
    func fixtures(exchange: Exchange) throws {
        if exchange.isPipeline, let body = exchange.requestBody {
            try Self.expectSameJSON(try HranaJSON.decode(PipelineRequest.self, from: body.data))
            if exchange.status == 200 { try Self.expectSameJSON(try exchange.pipelineResponse()) }
        }
        if exchange.isCursor, let body = exchange.requestBody {
            try Self.expectSameJSON(try HranaJSON.decode(CursorRequest.self, from: body.data))
            if exchange.status == 200, let text = exchange.responseBody?.stringValue {
                let decoded = try CursorBodyDecoder.decode(Data(text.utf8))
                try Self.expectSameJSON(decoded.header)
                for entry in decoded.entries { try Self.expectSameJSON(entry) }
            }
        }
    }

    static func randomValue(_ generator: inout SeededGenerator) -> Value {
        switch Int.random(in: 0..<5, using: &generator) {
        case 0: return .null
        case 1: return .integer(Int64(bitPattern: generator.next()))
        case 2:
            let double = Double(bitPattern: generator.next())
            return .float(double.isFinite ? double : Double(Int.random(in: -5...5, using: &generator)))
        case 3:
            let scalars = (0..<Int.random(in: 0...12, using: &generator)).compactMap { _ in
                Unicode.Scalar(UInt32.random(in: 0...0x1F_FFF, using: &generator))
            }
            return .text(String(String.UnicodeScalarView(scalars)))
        default:
            return .blob(Data((0..<Int.random(in: 0...9, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }))
        }
    }

    static func randomCondition(_ generator: inout SeededGenerator, depth: Int = 0) -> BatchCondition {
        switch Int.random(in: 0..<(depth > 2 ? 3 : 6), using: &generator) {
        case 0: return .ok(step: UInt32.random(in: 0...UInt32.max, using: &generator))
        case 1: return .error(step: UInt32.random(in: 0...9, using: &generator))
        case 2: return .isAutocommit
        case 3: return .not(randomCondition(&generator, depth: depth + 1))
        case 4: return .and((0..<Int.random(in: 0...3, using: &generator)).map { _ in randomCondition(&generator, depth: depth + 1) })
        default: return .or((0..<Int.random(in: 0...3, using: &generator)).map { _ in randomCondition(&generator, depth: depth + 1) })
        }
    }

    static func randomStmt(_ generator: inout SeededGenerator) -> Stmt {
        var stmt = Bool.random(using: &generator)
            ? Stmt(sql: "SELECT \"x\" /* \\ */ \n FROM t") : Stmt(sqlID: Int32.random(in: .min ... .max, using: &generator))
        if Bool.random(using: &generator) { stmt.args = (0..<3).map { _ in randomValue(&generator) } }
        if Bool.random(using: &generator) { stmt.namedArgs = [NamedArg(name: ":a", value: randomValue(&generator))] }
        if Bool.random(using: &generator) { stmt.wantRows = Bool.random(using: &generator) }
        if Bool.random(using: &generator) { stmt.replicationIndex = generator.next() }
        return stmt
    }

    @Test("random requests, responses and entries encode to the same JSON both ways")
    func randomMessages() throws {
        var generator = SeededGenerator(seed: 0x5EED)
        for _ in 0..<40 {
            let steps = (0..<Int.random(in: 0...4, using: &generator)).map { _ in
                BatchStep(condition: Bool.random(using: &generator) ? Self.randomCondition(&generator) : nil, stmt: Self.randomStmt(&generator))
            }
            var batch = Batch(steps: steps)
            if Bool.random(using: &generator) { batch.replicationIndex = 7 }
            let requests: [StreamRequest] = [
                .close, .execute(Self.randomStmt(&generator)), .batch(batch), .sequence(sql: "a;b", sqlID: nil),
                .describe(sql: nil, sqlID: -3), .storeSQL(id: 5, sql: "é"), .closeSQL(id: 5), .getAutocommit,
            ]
            try Self.expectSameJSON(PipelineRequest(baton: Bool.random(using: &generator) ? "b\u{1}" : nil, requests: requests,
                                                    encodesNullBaton: Bool.random(using: &generator)))
            try Self.expectSameJSON(CursorRequest(baton: nil, batch: batch))

            let result = StmtResult(
                cols: [Column(name: "a", decltype: nil), Column(name: nil, decltype: "INT")],
                rows: (0..<3).map { _ in [Self.randomValue(&generator), Self.randomValue(&generator)] },
                affectedRowCount: generator.next(), lastInsertRowID: Bool.random(using: &generator) ? Int64(bitPattern: generator.next()) : nil,
                rowsRead: Bool.random(using: &generator) ? 3 : nil, rowsWritten: Bool.random(using: &generator) ? 0 : nil,
                queryDurationMS: Bool.random(using: &generator) ? 0.125 : nil, replicationIndex: Bool.random(using: &generator) ? .max : nil)
            let error = ProtocolError(message: "bad \"thing\"\n", code: Bool.random(using: &generator) ? "SQLITE_ERROR" : nil)
            let responses: [StreamResult] = [
                .ok(.close), .ok(.execute(result)), .ok(.batch(BatchResult(stepResults: [result, nil], stepErrors: [nil, error], replicationIndex: 1))),
                .ok(.sequence), .ok(.describe(DescribeResult(params: [.init(name: ":a"), .init(name: nil)], cols: result.cols, isExplain: true, isReadonly: false))),
                .ok(.storeSQL), .ok(.closeSQL), .ok(.getAutocommit(isAutocommit: Bool.random(using: &generator))), .error(error),
            ]
            try Self.expectSameJSON(PipelineResponse(baton: "b", baseURL: Bool.random(using: &generator) ? "https://h/" : nil, results: responses))
            for entry: CursorEntry in [
                .stepBegin(step: 3, cols: result.cols), .row(result.rows[0]), .stepEnd(affectedRowCount: 1, lastInsertRowID: nil),
                .stepEnd(affectedRowCount: 0, lastInsertRowID: -1), .stepError(step: 2, error: error), .error(error), .unknown(type: "x"),
            ] {
                try Self.expectSameJSON(entry)
            }
        }
    }

    @Test("escapes and number forms")
    func exactBytes() throws {
        let text = String(decoding: try HranaJSON.encode(Value.text("\"\\/\u{0}\u{1F}\u{7F}\n\r\t\u{8}\u{C}é😀")), as: UTF8.self)
        #expect(text == #"{"type":"text","value":"\"\\/\u0000\u001f"# + "\u{7F}" + #"\n\r\t\b\féð"#.replacingOccurrences(of: "ð", with: "😀") + "\"}")
        #expect(String(decoding: try HranaJSON.encode(Value.float(1.0)), as: UTF8.self) == #"{"type":"float","value":1.0}"#)
        #expect(String(decoding: try HranaJSON.encode(Value.float(-0.0)), as: UTF8.self) == #"{"type":"float","value":-0.0}"#)
        #expect(String(decoding: try HranaJSON.encode(Value.float(1e100)), as: UTF8.self) == #"{"type":"float","value":1e+100}"#)
        #expect(String(decoding: try HranaJSON.encode(PipelineRequest(baton: nil, requests: [.close], encodesNullBaton: false)), as: UTF8.self)
            == #"{"requests":[{"type":"close"}]}"#)
        #expect(String(decoding: try HranaJSON.encode(PipelineRequest(baton: nil, requests: [])), as: UTF8.self)
            == #"{"baton":null,"requests":[]}"#)
    }

    @Test("non-finite values fall back to JSONEncoder and report their path")
    func nonFinitePath() throws {
        let response = PipelineResponse(baton: nil, baseURL: nil, results: [
            .ok(.execute(StmtResult(cols: [], rows: [[.integer(1), .float(-.infinity)]]))),
        ])
        do {
            _ = try HranaJSON.encode(response)
            Issue.record("an infinite float was encoded")
        } catch {
            #expect(error.path == "results[0].response.result.rows[0][1].value")
        }
        #expect(throws: HranaCodingError.self) { try HranaJSON.encode(StmtResult(queryDurationMS: .nan)) }
    }
}
