import Foundation
import Hrana
import Testing

/// Malformed protobuf fails with a `HranaCodingError` that says what, where in the message and at which
/// byte; never a crash, never a hang.
@Suite("Protobuf bad input")
struct ProtobufBadInputTests {
    static func failure<M: ProtobufMessage>(
        _ type: M.Type, _ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation
    ) -> HranaCodingError? {
        do {
            let value = try HranaProtobuf.decode(type, from: Data(bytes))
            Issue.record("expected a decoding error, got \(value)", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error
        }
    }

    @Test("truncated varints: in a key, in a value, in a length")
    func truncatedVarints() throws {
        var error = try #require(Self.failure(Value.self, [0x10, 0x80, 0x80]))
        #expect(error.message == "truncated varint")
        #expect(error.offset == 1)
        error = try #require(Self.failure(Value.self, [0x80]))
        #expect(error.offset == 0)
        error = try #require(Self.failure(Value.self, [0x22, 0x85]))
        #expect(error.message == "truncated varint")
        #expect(error.offset == 1)
    }

    @Test("overlong varints: eleven bytes, or a tenth byte above 1")
    func overlongVarints() throws {
        var error = try #require(Self.failure(Value.self, [0x10] + Array(repeating: 0xFF, count: 10) + [0x01]))
        #expect(error.message.contains("longer than 64 bits"))
        #expect(error.offset == 1)
        error = try #require(Self.failure(Value.self, [0x10] + Array(repeating: 0xFF, count: 9) + [0x02]))
        #expect(error.message.contains("longer than 64 bits"))
        // Ten bytes ending in 0x01 is the largest valid varint.
        #expect(try HranaProtobuf.decode(Value.self, from: Data([0x10] + Array(repeating: 0xFF, count: 9) + [0x01])) == .integer(.min))
        error = try #require(Self.failure(Value.self, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]))
        #expect(error.message.contains("out of range"))
    }

    @Test("a length past the end of its message, at any depth")
    func lengthPastEnd() throws {
        var error = try #require(Self.failure(Value.self, [0x22, 0x05, 0x61]))
        #expect(error.message.contains("past the end"))
        #expect(error.offset == 0)
        // A row whose declared length is longer than the StmtResult holding it.
        let inner: [UInt8] = [0x12, 0x09, 0x0A, 0x02, 0x10, 0x02]  // rows: length 9, but only 4 bytes follow
        let body: [UInt8] = [0x1A, 12, 0x0A, 10, 0x12, 8, 0x0A, 6] + inner  // results[0].ok.execute.result
        error = try #require(Self.failure(PipelineResponse.self, body))
        #expect(error.path == "results[0].ok.execute.result.rows[0]")
        #expect(error.offset == 8)
        error = try #require(Self.failure(Value.self, [0x22] + [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]))
        #expect(error.message.contains("past the end"))
    }

    @Test("wrong wire types for known fields")
    func wrongWireTypes() throws {
        var error = try #require(Self.failure(Value.self, [0x12, 0x00]))  // integer as length-delimited
        #expect(error.message.contains("wire type 2, expected 0"))
        error = try #require(Self.failure(Value.self, [0x1D, 0, 0, 0, 0]))  // float as fixed32
        #expect(error.message.contains("expected 1"))
        error = try #require(Self.failure(Value.self, [0x08, 0x00]))  // null as a varint
        #expect(error.message.contains("expected 2"))
        error = try #require(Self.failure(PipelineRequest.self, [0x12, 0x04, 0x12, 0x02, 0x08, 0x01]))
        #expect(error.path == "requests[0].execute.stmt")
        error = try #require(Self.failure(Value.self, [0x16]))  // wire type 6
        #expect(error.message.contains("invalid wire type 6"))
        error = try #require(Self.failure(Value.self, [0x00, 0x00]))
        #expect(error.message.contains("field number 0"))
        error = try #require(Self.failure(Value.self, [0x7C]))  // end of group 15 with no start
        #expect(error.message.contains("without its start"))
        error = try #require(Self.failure(Value.self, [0x7B, 0x08, 0x01]))  // group 15 never ended
        #expect(error.message.contains("not terminated"))
        error = try #require(Self.failure(Value.self, [0x7B, 0x84, 0x01]))  // group 15 ended by group 16
        #expect(error.message.contains("ended by end of group 16"))
    }

    @Test("messages that must hold a variant: Value, BatchCond, StreamRequest, StreamResult, ClientMsg")
    func missingVariants() throws {
        #expect(try #require(Self.failure(Value.self, [])).message.contains("Value has no value"))
        #expect(try #require(Self.failure(Value.self, [0x78, 0x01])).offset == 0)
        #expect(try #require(Self.failure(BatchCondition.self, [])).message.contains("BatchCond"))
        #expect(try #require(Self.failure(StreamRequest.self, [])).message.contains("StreamRequest"))
        #expect(try #require(Self.failure(StreamResult.self, [])).message.contains("StreamResult"))
        #expect(try #require(Self.failure(ClientMessage.self, [])).message.contains("ClientMsg"))
        #expect(try #require(Self.failure(ClientMessage.self, [0x12, 0x02, 0x08, 0x01])).path == "request")
        #expect(try #require(Self.failure(ServerMessage.self, [0x1A, 0x00])).path == "response_ok")
        let error = try #require(Self.failure(NamedArg.self, [0x0A, 0x01, 0x61]))
        #expect(error.message.contains("no value"))
    }

    @Test("invalid UTF-8 in a string field")
    func invalidUTF8() throws {
        let error = try #require(Self.failure(Value.self, [0x22, 0x02, 0xC3, 0x28]))
        #expect(error.message.contains("UTF-8"))
        #expect(error.offset == 0)
        #expect(try HranaProtobuf.decode(Value.self, from: Data([0x2A, 0x02, 0xC3, 0x28])) == .blob(Data([0xC3, 0x28])))
    }

    @Test("deep nesting stops at the depth limit instead of the stack")
    func deepNesting() throws {
        func nested(_ depth: Int) -> [UInt8] {
            var body: [UInt8] = [0x32, 0x00]  // is_autocommit
            for _ in 0..<depth {
                var length: [UInt8] = []
                var value = body.count
                while value >= 0x80 { length.append(UInt8(value & 0x7F) | 0x80); value >>= 7 }
                length.append(UInt8(value))
                body = [0x1A] + length + body  // not { ... }
            }
            return body
        }
        #expect(try HranaProtobuf.decode(BatchCondition.self, from: Data(nested(90))) != .isAutocommit)
        let error = try #require(Self.failure(BatchCondition.self, nested(5_000)))
        #expect(error.message.contains("deeper than \(ProtobufReader.maxDepth)"))
        #expect(error.path.hasPrefix("not.not.not"))
        var groups: [UInt8] = []
        for _ in 0..<5_000 { groups += [0x7B] }
        #expect(try #require(Self.failure(Value.self, groups)).message.contains("deeper"))
    }

    @Test("a batch step index above the limit is refused before anything is allocated")
    func hugeStepIndex() throws {
        let entry: [UInt8] = [0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x12, 0x00]  // key 4294967295, empty result
        let error = try #require(Self.failure(BatchResult.self, [0x0A, UInt8(entry.count)] + entry))
        #expect(error.message.contains("above the limit"))
        #expect(error.path == "step_results[0]")
        let limit = HranaProtobuf.maxBatchStepIndex
        var bytes: [UInt8] = [0x08]
        var value = UInt64(limit)
        while value >= 0x80 { bytes.append(UInt8(value & 0x7F) | 0x80); value >>= 7 }
        bytes.append(UInt8(value))
        let decoded = try HranaProtobuf.decode(BatchResult.self, from: Data([0x12, UInt8(bytes.count)] + bytes))
        #expect(decoded.stepErrors.count == Int(limit) + 1)
    }

    @Test("error descriptions name the path and the byte")
    func descriptions() throws {
        let error = try #require(Self.failure(PipelineRequest.self, [0x12, 0x04, 0x12, 0x02, 0x08, 0x01]))
        #expect(error.description.contains("requests[0].execute.stmt, byte 4"))
    }
}
