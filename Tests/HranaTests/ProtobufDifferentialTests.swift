import Fixtures
import Foundation
import Hrana
import Testing

/// Random messages from the seeded generator survive protobuf and JSON alike, and the two encodings decode
/// to the same value; known byte forms follow the spec's field numbers.
@Suite("Protobuf differential")
struct ProtobufDifferentialTests {
    static func check<M: ProtobufMessage & Codable & Equatable>(
        _ message: M, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let protobuf = try HranaProtobuf.decode(M.self, from: HranaProtobuf.encode(message))
        let json = try HranaJSON.decode(M.self, from: HranaJSON.encode(message))
        #expect(protobuf == message, sourceLocation: sourceLocation)
        #expect(json == message, sourceLocation: sourceLocation)
    }

    @Test("HTTP bodies, WebSocket messages and cursor entries: protobuf == JSON == original", arguments: 0..<8)
    func random(seed: UInt64) throws {
        var random = RandomMessages(seed: 0xB0F_0000 + seed)
        for _ in 0..<60 {
            try Self.check(random.pipelineRequest())
            try Self.check(random.pipelineResponse())
            try Self.check(random.cursorRequest())
            try Self.check(random.cursorEntry())
            try Self.check(CursorResponse(baton: random.optional { $0.text() }, baseURL: random.optional { $0.text() }))
            try Self.check(random.clientMessage())
            try Self.check(random.serverMessage())
        }
    }

    @Test("protobuf carries every double bit for bit, NaN and infinities included")
    func doubles() throws {
        var generator = SeededGenerator(seed: 0xF10A7)
        var samples: [Double] = [.nan, -.nan, .infinity, -.infinity, -0.0, .leastNonzeroMagnitude, .greatestFiniteMagnitude]
        for _ in 0..<500 { samples.append(Double(bitPattern: generator.next())) }
        for sample in samples {
            let decoded = try HranaProtobuf.decode(Value.self, from: HranaProtobuf.encode(Value.float(sample)))
            guard case .float(let double) = decoded else {
                Issue.record("\(sample) decoded as \(decoded)")
                continue
            }
            #expect(double.bitPattern == sample.bitPattern)
        }
    }

    @Test("Value bytes follow the spec: Null is an empty message, integers zigzag, floats fixed64")
    func valueBytes() {
        func bytes(_ value: Value) -> [UInt8] { Array(HranaProtobuf.encode(value)) }
        #expect(bytes(.null) == [0x0A, 0x00])
        #expect(bytes(.integer(0)) == [0x10, 0x00])
        #expect(bytes(.integer(-1)) == [0x10, 0x01])
        #expect(bytes(.integer(1)) == [0x10, 0x02])
        #expect(bytes(.integer(.min)) == [0x10] + Array(repeating: 0xFF, count: 9) + [0x01])
        #expect(bytes(.float(1)) == [0x19, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F])
        #expect(bytes(.text("")) == [0x22, 0x00])
        #expect(bytes(.text("é")) == [0x22, 0x02, 0xC3, 0xA9])
        #expect(bytes(.blob(Data([1, 2]))) == [0x2A, 0x02, 0x01, 0x02])
    }

    @Test("field numbers of section 7: sqld's extensions, ids, negative int32 as 10 bytes")
    func fieldNumbers() throws {
        let result = StmtResult(
            cols: [], rows: [], affectedRowCount: 1, lastInsertRowID: -2, rowsRead: 3, rowsWritten: 0,
            queryDurationMS: 0.5, replicationIndex: 9)
        #expect(Array(HranaProtobuf.encode(result)) == [
            0x18, 0x01, 0x20, 0x03, 0x28, 0x09, 0x30, 0x03, 0x38, 0x00, 0x41, 0, 0, 0, 0, 0, 0, 0xE0, 0x3F,
        ])
        #expect(Array(HranaProtobuf.encode(ClientMessage.request(id: -1, .closeSQL(id: 7)))) == [
            0x12, 0x0F, 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x62, 0x02, 0x08, 0x07,
        ])
        // TS writes a negative int32 as 5 bytes; that reads back too.
        let short = Data([0x12, 0x0A, 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x62, 0x02, 0x08, 0x07])
        #expect(try HranaProtobuf.decode(ClientMessage.self, from: short) == .request(id: -1, .closeSQL(id: 7)))
        #expect(Array(HranaProtobuf.encode(StreamRequest.getAutocommit)) == [0x42, 0x00])
        #expect(Array(HranaProtobuf.encode(ServerMessage.helloOK)) == [0x0A, 0x00])
        #expect(Array(HranaProtobuf.encode(BatchCondition.isAutocommit)) == [0x32, 0x00])
        #expect(Array(HranaProtobuf.encode(BatchCondition.ok(step: 0))) == [0x08, 0x00])
    }

    @Test("a batch result keeps only non-null steps; padded(toStepCount:) restores the rest")
    func batchResultPadding() throws {
        let result = BatchResult(
            stepResults: [StmtResult(), nil, nil, nil], stepErrors: [nil, ProtocolError(message: "x", code: nil), nil, nil])
        let decoded = try HranaProtobuf.decode(BatchResult.self, from: HranaProtobuf.encode(result))
        #expect(decoded.stepResults.count == 2 && decoded.stepErrors.count == 2)
        #expect(decoded.padded(toStepCount: 4) == result)
        #expect(decoded.padded(toStepCount: 1) == decoded)
    }

    @Test("unknown fields of every wire type are skipped")
    func unknownFields() throws {
        let known = HranaProtobuf.encode(ProtocolError(message: "m", code: "C"))
        let unknown: [UInt8] = [
            0x78, 0x05,  // field 15, varint
            0x81, 0x01, 1, 2, 3, 4, 5, 6, 7, 8,  // field 16, fixed64
            0x8A, 0x01, 0x02, 0xAA, 0xBB,  // field 17, length-delimited
            0x93, 0x01, 0x08, 0x01, 0x94, 0x01,  // field 18, a group holding a varint
            0x9D, 0x01, 1, 2, 3, 4,  // field 19, fixed32
        ]
        let decoded = try HranaProtobuf.decode(ProtocolError.self, from: Data(unknown) + known + Data(unknown))
        #expect(decoded == ProtocolError(message: "m", code: "C"))
        // sqld's replication_index cursor entry (field 6) and its empty form are unknown entries.
        #expect(try HranaProtobuf.decode(CursorEntry.self, from: Data([0x32, 0x02, 0x08, 0x07])) == .unknown(type: "replication_index"))
        #expect(try HranaProtobuf.decode(CursorEntry.self, from: Data()) == .unknown(type: ""))
    }
}

/// Every recorded HTTP JSON exchange of the reference server, carried over to protobuf and back.
@Suite("Protobuf from the JSON fixtures")
struct ProtobufFromJSONFixtureTests {
    /// The value after a protobuf round trip encodes to the same bytes (proto3 reads empty lists as absent,
    /// so the value itself may differ only there).
    static func stable<M: ProtobufMessage & Equatable>(_ message: M, sourceLocation: SourceLocation = #_sourceLocation) throws -> M {
        let bytes = HranaProtobuf.encode(message)
        let decoded = try HranaProtobuf.decode(M.self, from: bytes)
        #expect(HranaProtobuf.encode(decoded) == bytes, sourceLocation: sourceLocation)
        return decoded
    }

    @Test("requests, pipeline responses and cursor entries of every v2 and v3 exchange")
    func fixtures() throws {
        var checked = 0
        for exchange in Exchange.all where exchange.status == 200 {
            if exchange.isPipeline, let body = exchange.requestBody {
                let request = try HranaJSON.decode(PipelineRequest.self, from: try body.data)
                _ = try Self.stable(request)
                let response = try exchange.pipelineResponse()
                let decoded = try Self.stable(response)
                #expect(padded(decoded, requests: request.requests) == response, "\(exchange.testDescription)")
                checked += 1
            }
            if exchange.isCursor, let body = exchange.requestBody, let lines = exchange.responseLines {
                _ = try Self.stable(try HranaJSON.decode(CursorRequest.self, from: try body.data))
                for line in lines.dropFirst() {
                    let entry = try HranaJSON.decode(CursorEntry.self, from: try line.data)
                    #expect(try Self.stable(entry) == entry)
                }
                checked += 1
            }
        }
        #expect(checked > 100)
    }
}
