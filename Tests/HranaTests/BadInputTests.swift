import Foundation
import Hrana
import Testing

/// Malformed messages fail with a `HranaCodingError` that says what and where, never a crash.
@Suite("Bad input")
struct BadInputTests {
    static func response(row value: String) -> String {
        #"{"baton":null,"results":[{"type":"ok","response":{"type":"execute","result":{"cols":[{"name":"a"}],"rows":[[{"type":"null"},\#(value)]],"affected_row_count":0,"last_insert_rowid":null}}}]}"#
    }

    static let valuePath = "results[0].response.result.rows[0][1]"

    @Test("truncated JSON", arguments: [
        "", "{", #"{"baton":null,"requests":["#, #"{"baton":null,"requests":[{"type":"close"}]"#, #"{"baton":"ab"#,
    ])
    func truncated(text: String) throws {
        let error = try #require(expectCodingError(PipelineRequest.self, text))
        #expect(error.message.contains("not valid JSON"), "\(error)")
    }

    @Test("wrong types name the path")
    func wrongTypes() throws {
        var error = try #require(expectCodingError(PipelineRequest.self, #"{"requests":"close"}"#))
        #expect(error.path == "requests")
        error = try #require(expectCodingError(PipelineRequest.self, #"{"requests":[{"type":"execute","stmt":{"sql":7}}]}"#))
        #expect(error.path == "requests[0].stmt.sql")
        error = try #require(expectCodingError(PipelineResponse.self, Self.response(row: #"{"type":"text","value":false}"#)))
        #expect(error.path == Self.valuePath + ".value")
        error = try #require(expectCodingError(PipelineRequest.self, #"{"requests":[{"type":"batch","batch":{"steps":[{"condition":{"type":"ok","step":-1},"stmt":{"sql":"x"}}]}}]}"#))
        #expect(error.path == "requests[0].batch.steps[0].condition.step")
        error = try #require(expectCodingError(PipelineResponse.self, #"{"baton":null,"results":[{"type":"ok","response":{"type":"execute","result":{"cols":[],"rows":[],"affected_row_count":-1,"last_insert_rowid":null}}}]}"#))
        #expect(error.path == "results[0].response.result.affected_row_count")
        #expect(error.message.contains("unsigned 64-bit integer"))
        error = try #require(expectCodingError(PipelineResponse.self, Self.response(row: #"{"type":"float","value":1e400}"#)))
        #expect(error.path == Self.valuePath + ".value")
        #expect(error.message.contains("64-bit float"))
        error = try #require(expectCodingError(CursorEntry.self, #"{"type":"step_begin","step":1.5,"cols":[]}"#))
        #expect(error.path == "step")
        error = try #require(expectCodingError(Stmt.self, #"{"sql_id":4294967296}"#))
        #expect(error.path == "sql_id")
    }

    @Test("missing required keys name the key and the path")
    func missingKeys() throws {
        var error = try #require(expectCodingError(PipelineRequest.self, #"{"baton":null}"#))
        #expect(error.message.contains("\"requests\""))
        #expect(error.path == "")
        error = try #require(expectCodingError(PipelineRequest.self, #"{"requests":[{"type":"close"},{"type":"execute"}]}"#))
        #expect(error.message.contains("\"stmt\""))
        #expect(error.path == "requests[1]")
        error = try #require(expectCodingError(PipelineResponse.self, #"{"baton":null,"results":[{"type":"ok","response":{"type":"execute","result":{"cols":[],"rows":[]}}}]}"#))
        #expect(error.message.contains("affected_row_count"))
        #expect(error.path == "results[0].response.result")
        error = try #require(expectCodingError(PipelineResponse.self, Self.response(row: #"{"value":"1"}"#)))
        #expect(error.message.contains("\"type\""))
        #expect(error.path == Self.valuePath)
        error = try #require(expectCodingError(PipelineResponse.self, Self.response(row: #"{"type":"float"}"#)))
        #expect(error.message.contains("\"value\""))
        error = try #require(expectCodingError(CursorEntry.self, #"{"type":"step_error","step":1}"#))
        #expect(error.message.contains("\"error\""))
    }

    @Test("integers must be in-range decimal strings")
    func integers() throws {
        var error = try #require(expectCodingError(PipelineResponse.self, Self.response(row: #"{"type":"integer","value":42}"#)))
        #expect(error.path == Self.valuePath + ".value")
        #expect(error.message.contains("decimal string"))
        for text in ["9223372036854775808", "-9223372036854775809", "1e3", " 1", "0x10", "", "+", "++1", "+-1", "1.0", "١٢"] {
            error = try #require(expectCodingError(PipelineResponse.self, Self.response(row: #"{"type":"integer","value":"\#(text)"}"#)))
            #expect(error.path == Self.valuePath + ".value", "\(text)")
            #expect(error.message.contains("Not a 64-bit integer"), "\(text): \(error)")
        }
        error = try #require(expectCodingError(Stmt.self, #"{"sql":"?","args":[{"type":"integer","value":"99999999999999999999999"}]}"#))
        #expect(error.path == "args[0].value")
    }

    @Test("invalid and URL-safe base64 are rejected", arguments: ["@@@@", "AQ=I", "A", "AQID=A", "-_8", "AQ-_", "AA AA", "AR==", "AQJ=", "A===", "QUJD\\n"])
    func base64(text: String) throws {
        let error = try #require(expectCodingError(PipelineResponse.self, Self.response(row: #"{"type":"blob","base64":"\#(text)"}"#)))
        #expect(error.path == Self.valuePath + ".base64")
        #expect(error.message.contains("base64"))
    }

    @Test("trailing padding is optional and may be repeated, as in sqld")
    func lenientPadding() throws {
        for text in ["AQ", "AQ=", "AQ==", "AQ==="] {
            #expect(try HranaJSON.decode(Value.self, from: json(#"{"type":"blob","base64":"\#(text)"}"#)) == .blob(Data([1])))
        }
    }

    @Test("invalid UTF-8 is rejected")
    func invalidUTF8() throws {
        for bytes: [UInt8] in [[0xFF], [0xC3], [0xED, 0xA0, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80]] {
            var data = Data(#"{"type":"text","value":"a"#.utf8)
            data.append(contentsOf: bytes)
            data.append(contentsOf: Array(#"b"}"#.utf8))
            #expect(throws: HranaCodingError.self) { try HranaJSON.decode(Value.self, from: data) }
        }
        #expect(throws: HranaCodingError.self) {
            try HranaJSON.decode(Value.self, from: json(#"{"type":"text","value":"\udc00"}"#))
        }
    }

    @Test("unknown type tags are errors that name the type")
    func unknownTypes() throws {
        let cases: [(any Decodable.Type, String, String, String)] = [
            (PipelineRequest.self, #"{"requests":[{"type":"close"},{"type":"frobnicate"}]}"#, "frobnicate", "requests[1].type"),
            (PipelineResponse.self, #"{"baton":null,"results":[{"type":"ok","response":{"type":"open_stream"}}]}"#, "open_stream", "results[0].response.type"),
            (PipelineResponse.self, #"{"baton":null,"results":[{"type":"maybe"}]}"#, "maybe", "results[0].type"),
            (PipelineResponse.self, Self.response(row: #"{"type":"decimal","value":"1"}"#), "decimal", Self.valuePath + ".type"),
            (CursorRequest.self, #"{"baton":null,"batch":{"steps":[{"condition":{"type":"xor","conds":[]},"stmt":{"sql":"x"}}]}}"#, "xor", "batch.steps[0].condition.type"),
        ]
        for (type, text, name, path) in cases {
            let failure = expectCodingError(type, text)
            let error = try #require(failure)
            #expect(error.message.contains("\"\(name)\""), "\(error)")
            #expect(error.path == path)
            #expect(error.description.contains(path))
        }
    }

    @Test("huge nesting fails cleanly instead of overflowing the stack")
    func deepNesting() throws {
        let brackets = String(repeating: "[", count: 100_000)
        #expect(throws: HranaCodingError.self) { try HranaJSON.decode(PipelineRequest.self, from: json(brackets)) }
        let objects = #"{"requests":"# + String(repeating: #"{"a":"#, count: 100_000)
        #expect(throws: HranaCodingError.self) { try HranaJSON.decode(PipelineRequest.self, from: json(objects)) }
        let conditions = #"{"requests":[{"type":"batch","batch":{"steps":[{"stmt":{"sql":"x"},"condition":"#
            + String(repeating: #"{"type":"not","cond":"#, count: 100_000) + #"{"type":"ok","step":0}"#
            + String(repeating: "}", count: 100_000) + "}]}}]}"
        let error = try #require(expectCodingError(PipelineRequest.self, conditions))
        #expect(error.message.contains("nested"), "\(error)")
        // Reasonable nesting still decodes.
        let shallow = #"{"requests":[{"type":"batch","batch":{"steps":[{"stmt":{"sql":"x"},"condition":"#
            + String(repeating: #"{"type":"not","cond":"#, count: 100) + #"{"type":"ok","step":0}"#
            + String(repeating: "}", count: 100) + "}]}}]}"
        #expect(try HranaJSON.decode(PipelineRequest.self, from: json(shallow)).requests.count == 1)
    }

    @Test("unknown keys are ignored at every level")
    func unknownKeys() throws {
        let text = #"{"x":1,"baton":"b","base_url":null,"results":[{"type":"ok","y":[],"response":{"type":"execute","z":{},"result":{"cols":[{"name":"a","decltype":null,"w":1}],"rows":[[{"type":"integer","value":"1","v":2}]],"affected_row_count":0,"last_insert_rowid":null,"future":true}}},{"type":"error","error":{"message":"m","code":"C","extra":0}}]}"#
        let response = try HranaJSON.decode(PipelineResponse.self, from: json(text))
        #expect(response.results == [
            .ok(.execute(StmtResult(cols: [Column(name: "a", decltype: nil)], rows: [[.integer(1)]]))),
            .error(ProtocolError(message: "m", code: "C")),
        ])
    }
}
