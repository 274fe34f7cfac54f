import Fixtures
import Foundation
import Hrana
import Testing

/// The reference server's recorded `hrana3-protobuf` sessions and `/v3-protobuf` exchanges decode to the
/// same messages as their JSON twins and re-encode to the same bytes.
@Suite("Protobuf fixtures")
struct ProtobufFixtureTests {
    @Test("explicitWantRows writes want_rows: true where a Stmt leaves it unset, and nothing else changes")
    func explicitWantRows() throws {
        let request = PipelineRequest(baton: nil, requests: [
            .execute(Stmt(sql: "SELECT 1")), .execute(Stmt(sql: "SELECT 2", wantRows: false)), .close,
        ])
        let implicit = try HranaProtobuf.decode(PipelineRequest.self, from: HranaProtobuf.encode(request))
        let explicit = try HranaProtobuf.decode(PipelineRequest.self, from: HranaProtobuf.encode(request, explicitWantRows: true))
        guard case .execute(let first) = implicit.requests[0], case .execute(let firstExplicit) = explicit.requests[0],
              case .execute(let second) = explicit.requests[1]
        else { Issue.record("not execute requests: \(explicit)"); return }
        #expect(first.wantRows == nil)
        #expect(firstExplicit.wantRows == true)
        #expect(second.wantRows == false)
        // The reference recordings set want_rows on every statement (Tests/Fixtures/README.md, section 6).
        #expect(HranaProtobuf.encode(request, explicitWantRows: true).count == HranaProtobuf.encode(request).count + 2)
    }

    @Test("recordings exist")
    func present() {
        #expect(WebSocketSession.protobuf.count == 6)
        #expect(ProtobufExchange.all.count == 4)
    }

    /// Re-encoding gives the recorded bytes; a batch result's map entries may come in another order, so
    /// there only the length and the decoded value must agree.
    static func expectSameBytes<M: ProtobufMessage & Equatable>(
        _ message: M, _ bytes: Data, _ type: M.Type, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let encoded = HranaProtobuf.encode(message)
        if containsBatchResult(message) {
            #expect(encoded.count == bytes.count, sourceLocation: sourceLocation)
            #expect(try HranaProtobuf.decode(type, from: encoded) == message, sourceLocation: sourceLocation)
        } else {
            #expect(encoded == bytes, "\(message)", sourceLocation: sourceLocation)
        }
    }

    @Test("WebSocket frames: bytes round trip, and each equals its hrana3 twin", arguments: WebSocketSession.protobuf)
    func webSocket(session: WebSocketSession) throws {
        #expect(session.subprotocol == "hrana3-protobuf")
        let twinName = session.file.replacingOccurrences(of: "ws-hrana3-protobuf/", with: "")
        let twin = try #require(WebSocketSession.json.first { $0.file == "ws-hrana3/\(twinName)" })
        try #require(twin.frames.count == session.frames.count)
        var clientMessages: [ClientMessage] = []
        for (frame, twinFrame) in zip(session.frames, twin.frames) {
            #expect(frame.from == twinFrame.from)
            let bytes = try frame.bytes
            if frame.isClient {
                let message = try HranaProtobuf.decode(ClientMessage.self, from: bytes)
                #expect(message == (try HranaJSON.decode(ClientMessage.self, from: try #require(frame.message).data)))
                #expect(message == (try HranaJSON.decode(ClientMessage.self, from: twinFrame.textData)))
                #expect(HranaProtobuf.encode(message) == bytes)
                clientMessages.append(message)
            } else {
                let message = try HranaProtobuf.decode(ServerMessage.self, from: bytes)
                try Self.expectSameBytes(message, bytes, ServerMessage.self)
                let expected = try HranaJSON.decode(ServerMessage.self, from: twinFrame.textData)
                #expect(padded(message, stepCounts: batchStepCounts(clientMessages)) == expected)
            }
        }
    }

    @Test("/v3-protobuf exchanges: bodies round trip, and each equals its /v3 JSON twin", arguments: ProtobufExchange.all)
    func http(exchange: ProtobufExchange) throws {
        let twin = try exchange.jsonTwin()
        #expect(exchange.status == 200)
        if exchange.isCursor {
            #expect(exchange.responseContentType == "application/octet-stream")
            let request = try HranaProtobuf.decode(CursorRequest.self, from: exchange.requestBytes)
            #expect(request == (try HranaJSON.decode(CursorRequest.self, from: try #require(twin.requestBody).data)))
            #expect(HranaProtobuf.encode(request) == (try exchange.requestBytes))
            let (header, entries) = try ProtobufCursorBodyDecoder.decode(try exchange.responseBytes)
            let (twinHeader, twinEntries) = try CursorBodyDecoder.decode(Data(try #require(twin.responseBody?.stringValue).utf8))
            #expect(entries == twinEntries)
            #expect(header.baton != nil && twinHeader.baton != nil && header.baseURL == nil)
            #expect(HranaProtobuf.encodeCursorBody(header: header, entries: entries) == (try exchange.responseBytes))
        } else {
            #expect(exchange.responseContentType == "application/x-protobuf")
            var request = try HranaProtobuf.decode(PipelineRequest.self, from: exchange.requestBytes)
            #expect(HranaProtobuf.encode(request) == (try exchange.requestBytes))
            var twinRequest = try HranaJSON.decode(PipelineRequest.self, from: try #require(twin.requestBody).data)
            #expect((request.baton == nil) == (twinRequest.baton == nil))
            request.baton = nil
            twinRequest.baton = nil
            #expect(request == twinRequest)
            let response = try HranaProtobuf.decode(PipelineResponse.self, from: exchange.responseBytes)
            try Self.expectSameBytes(response, try exchange.responseBytes, PipelineResponse.self)
            #expect(padded(response, requests: request.requests).withoutBaton == (try twin.pipelineResponse().withoutBaton))
        }
    }

    @Test("the recorded frames hold the extremes: Int64 limits, -0.0, 1e308, empty blob, text escapes, NULL")
    func values() throws {
        let session = try #require(WebSocketSession.protobuf.first { $0.file.hasSuffix("001-values.json") })
        let message = try HranaProtobuf.decode(ServerMessage.self, from: try session.frames[5].bytes)
        guard case .responseOK(2, .execute(let result)) = message else {
            Issue.record("frame 5 is not the execute result: \(message)")
            return
        }
        let row = try #require(result.rows.first)
        #expect(row[1] == .integer(.min))
        #expect(row[2] == .integer(.max))
        guard case .float(let negativeZero) = row[5] else { Issue.record("\(row[5]) is not a float"); return }
        #expect(negativeZero.bitPattern == (-0.0 as Double).bitPattern)
        #expect(row[6] == .float(1e308))
        #expect(row[7] == .text("héllo \"q\" \\\\ \n"))
        #expect(row[8] == .blob(Data([0x00, 0xFF, 0x7F, 0x80])))
        #expect(row[9] == .blob(Data()))
        #expect(row[10] == .null)
        #expect(result.cols.allSatisfy { $0.decltype == nil && $0.name != nil })
    }
}
