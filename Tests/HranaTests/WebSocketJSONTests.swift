import Fixtures
import Foundation
@testable import Hrana
import Testing

/// The WebSocket messages in JSON: the reference server's recorded `hrana3` sessions decode, agree with
/// `JSONDecoder`, and re-encode to the same JSON values.
@Suite("WebSocket JSON")
struct WebSocketJSONTests {
    @Test("recorded hrana3 sessions exist and cover every request kind")
    func coverage() throws {
        let sessions = WebSocketSession.json
        #expect(sessions.count == 6)
        var kinds: Set<String> = []
        for session in sessions {
            for frame in session.frames where frame.isClient {
                if case .request(_, let request) = try HranaJSON.decode(ClientMessage.self, from: try frame.textData) {
                    kinds.insert(request.type)
                }
            }
        }
        #expect(kinds == [
            "open_stream", "close_stream", "execute", "batch", "open_cursor", "close_cursor", "fetch_cursor",
            "sequence", "describe", "store_sql", "close_sql", "get_autocommit",
        ])
    }

    @Test("every frame decodes, agrees with JSONDecoder, and re-encodes to the same JSON", arguments: WebSocketSession.json)
    func replay(session: WebSocketSession) throws {
        #expect(session.subprotocol == "hrana3")
        var requestTypes: [Int32: String] = [:]
        for frame in session.frames {
            let data = try frame.textData
            if frame.isClient {
                let message = try HranaJSON.decode(ClientMessage.self, from: data)
                #expect(ClientMessage.fastDecode(data) == message, "the hand-written reader gave up")
                #expect(try JSONDecoder().decode(ClientMessage.self, from: data) == message)
                #expect(try JSONValue.parse(HranaJSON.encode(message)) == JSONValue.parse(data))
                #expect(try JSONValue.parse(JSONEncoder().encode(message)) == JSONValue.parse(data))
                if case .request(let id, let request) = message { requestTypes[id] = request.type }
            } else {
                let message = try HranaJSON.decode(ServerMessage.self, from: data)
                #expect(ServerMessage.fastDecode(data) == message, "the hand-written reader gave up")
                #expect(try JSONDecoder().decode(ServerMessage.self, from: data) == message)
                #expect(try JSONValue.parse(HranaJSON.encode(message)) == JSONValue.parse(data))
                switch message {
                case .responseOK(let id, let response): #expect(requestTypes[id] == response.type)
                case .responseError(let id, _): #expect(requestTypes[id] != nil)
                case .helloOK: break
                case .helloError(let error): Issue.record("unexpected hello_error \(error)")
                }
            }
        }
    }

    @Test("wire forms follow the spec")
    func wireForms() throws {
        func text(_ message: some Encodable) throws -> String { String(decoding: try HranaJSON.encode(message), as: UTF8.self) }
        #expect(try text(ClientMessage.hello(jwt: nil)) == #"{"type":"hello","jwt":null}"#)
        #expect(try text(ClientMessage.request(id: -1, .fetchCursor(cursorID: 2, maxCount: 1000)))
            == #"{"type":"request","request_id":-1,"request":{"type":"fetch_cursor","cursor_id":2,"max_count":1000}}"#)
        #expect(try text(ClientMessage.request(id: 3, .sequence(streamID: 0, sql: nil, sqlID: 4)))
            == #"{"type":"request","request_id":3,"request":{"type":"sequence","stream_id":0,"sql_id":4}}"#)
        #expect(try text(ServerMessage.responseOK(requestID: 5, .fetchCursor(entries: [.row([.integer(1)])], done: true)))
            == #"{"type":"response_ok","request_id":5,"response":{"type":"fetch_cursor","entries":[{"type":"row","row":[{"type":"integer","value":"1"}]}],"done":true}}"#)
        #expect(try text(ServerMessage.responseError(requestID: 6, ProtocolError(message: "no", code: "STREAM_NOT_OPEN")))
            == #"{"type":"response_error","request_id":6,"error":{"message":"no","code":"STREAM_NOT_OPEN"}}"#)
        #expect(try text(ServerMessage.helloOK) == #"{"type":"hello_ok"}"#)
        #expect(ClientMessage.hello(jwt: "t") == (try HranaJSON.decode(ClientMessage.self, from: json(#"{"jwt":"t","type":"hello"}"#))))
        #expect(WebSocketRequest.getAutocommit(streamID: 0).minimumVersion == 3)
        #expect(WebSocketRequest.storeSQL(id: 0, sql: "").minimumVersion == 2)
        #expect(WebSocketRequest.execute(streamID: 0, Stmt(sql: "")).minimumVersion == 1)
    }

    @Test("malformed messages name what and where")
    func badInput() throws {
        var error = try #require(expectCodingError(ClientMessage.self, #"{"type":"helo"}"#))
        #expect(error.path == "type")
        #expect(error.message.contains("helo"))
        error = try #require(expectCodingError(ClientMessage.self, #"{"type":"request","request_id":2147483648,"request":{"type":"open_stream","stream_id":0}}"#))
        #expect(error.path == "request_id")
        error = try #require(expectCodingError(ClientMessage.self, #"{"type":"request","request_id":1,"request":{"type":"execute","stream_id":0}}"#))
        #expect(error.path == "request")
        #expect(error.message.contains("stmt"))
        error = try #require(expectCodingError(ServerMessage.self, #"{"type":"response_ok","request_id":1,"response":{"type":"fetch_cursor","entries":[{"type":"row","row":[{"type":"integer","value":1}]}],"done":false}}"#))
        #expect(error.path == "response.entries[0].row[0].value")
        error = try #require(expectCodingError(ServerMessage.self, #"{"type":"response_error","request_id":1}"#))
        #expect(error.message.contains("error"))
    }

    @Test("random messages round trip through JSON, fast and Foundation paths alike")
    func randomRoundTrip() throws {
        var random = RandomMessages(seed: 0x5EB5_0C4E)
        for _ in 0..<300 {
            let client = random.clientMessage()
            let clientData = try HranaJSON.encode(client)
            #expect(ClientMessage.fastDecode(clientData) == client)
            #expect(try HranaJSON.decode(ClientMessage.self, from: clientData) == client)
            #expect(try JSONDecoder().decode(ClientMessage.self, from: clientData) == client)
            #expect(try JSONValue.parse(JSONEncoder().encode(client)) == JSONValue.parse(clientData))
            let server = random.serverMessage()
            let serverData = try HranaJSON.encode(server)
            #expect(ServerMessage.fastDecode(serverData) == server)
            #expect(try HranaJSON.decode(ServerMessage.self, from: serverData) == server)
            #expect(try JSONDecoder().decode(ServerMessage.self, from: serverData) == server)
        }
    }
}
