import Fixtures
import Foundation
import Hrana
import HummingbirdWSClient
import Testing
@testable import LibSQLServer

/// Hrana over WebSocket on `GET /`: subprotocol negotiation, every request kind, close codes, auth, and the
/// release of a vanished client's streams.
@Suite("Hrana over WebSocket")
struct WebSocketTests {
    @Test("subprotocols: the server's preference wins; no header means hrana1; nothing supported is refused")
    func subprotocolSelection() {
        #expect(WebSocketSubprotocol.select(offered: nil) == .implicitHrana1)
        #expect(WebSocketSubprotocol.select(offered: "hrana2, hrana3") == .chosen(.hrana3))
        #expect(WebSocketSubprotocol.select(offered: "HRANA1,hrana3-protobuf") == .chosen(.hrana3Protobuf))
        #expect(WebSocketSubprotocol.select(offered: " hrana2 ") == .chosen(.hrana2))
        #expect(WebSocketSubprotocol.select(offered: "graphql-ws") == .unsupported)
    }

    @Test("an upgrade offering no supported subprotocol gets sqld's 400; a plain GET / stays 404")
    func refusedUpgrade() async throws {
        try await ServerHarness.withServer { harness in
            let refused = try await harness.request(.GET, "/", headers: [
                ("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Version", "13"),
                ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), ("Sec-WebSocket-Protocol", "graphql-ws"),
            ])
            // NIO's upgrade handler answers a declined upgrade itself: 400 and `Connection: close`, without
            // sqld's explanatory text (Docs/Server.md).
            #expect(refused.status == 400)
            #expect(try await harness.request(.GET, "/").status == 404)
        }
    }

    @Test("a stream waiting for the write lock holds up only itself: another stream is answered meanwhile, in order per stream")
    func streamsRunConcurrently() async throws {
        try await ServerHarness.withServer { harness in
            _ = try await harness.withWebSocket { ws in
                #expect(try await ws.hello() == .helloOK)
                try await ws.ok(.openStream(streamID: 1))
                try await ws.ok(.openStream(streamID: 2))
                try await ws.ok(.execute(streamID: 1, Stmt(sql: "CREATE TABLE t(x INTEGER)")))
                try await ws.ok(.execute(streamID: 1, Stmt(sql: "BEGIN IMMEDIATE")))
                try await ws.ok(.execute(streamID: 1, Stmt(sql: "INSERT INTO t VALUES (1)")))
                // Stream 2 waits for stream 1's lock; its second request queues behind its first.
                try await ws.send(.request(id: 100, .execute(streamID: 2, Stmt(sql: "BEGIN IMMEDIATE"))))
                try await ws.send(.request(id: 101, .execute(streamID: 2, Stmt(sql: "INSERT INTO t VALUES (2)"))))
                try await ws.send(.request(id: 102, .execute(streamID: 1, Stmt(sql: "COMMIT"))))
                var order: [Int32] = []
                for _ in 0..<3 {
                    switch try await ws.receive() {
                    case .responseOK(let id, _)?: order.append(id)
                    case let other: Issue.record("unexpected \(String(describing: other))")
                    }
                }
                // The insert on stream 2 needs the lock: stream 1's COMMIT, sent after it, is answered first.
                #expect(Set(order) == [100, 101, 102])
                #expect(order.firstIndex(of: 102)! < order.firstIndex(of: 101)!)
                #expect(order.firstIndex(of: 100)! < order.firstIndex(of: 101)!)
                try await ws.ok(.execute(streamID: 2, Stmt(sql: "COMMIT")))
                let counted = try await ws.ok(.execute(streamID: 1, Stmt(sql: "SELECT count(*) FROM t")))
                guard case .execute(let result) = counted else { throw WebSocketTestError("\(counted)") }
                #expect(result.rows == [[.integer(2)]])
            }
        }
    }

    @Test("every request kind over hrana3 and hrana3-protobuf", arguments: [WireEncoding.json, .protobuf])
    func requests(encoding: WireEncoding) async throws {
        try await ServerHarness.withServer { harness in
            let subprotocol = encoding == .json ? "hrana3" : "hrana3-protobuf"
            let close = try await harness.withWebSocket(subprotocols: [subprotocol], encoding: encoding) { ws in
                #expect(try await ws.hello() == .helloOK)
                try await ws.ok(.openStream(streamID: 0))
                try await ws.ok(.execute(streamID: 0, Stmt(sql: "CREATE TABLE t(x INTEGER, y TEXT)")))
                let insert = try await ws.ok(.execute(streamID: 0, Stmt(sql: "INSERT INTO t VALUES (?, ?)", args: [.integer(1), .text("a")])))
                guard case .execute(let inserted) = insert else { throw WebSocketTestError("\(insert)") }
                #expect(inserted.affectedRowCount == 1)
                try await ws.ok(.storeSQL(id: 3, sql: "SELECT x, y FROM t ORDER BY x"))
                try await ws.ok(.sequence(streamID: 0, sql: "INSERT INTO t VALUES (2, 'b'); INSERT INTO t VALUES (3, 'c')", sqlID: nil))
                let selected = try await ws.ok(.execute(streamID: 0, Stmt(sqlID: 3)))
                guard case .execute(let rows) = selected else { throw WebSocketTestError("\(selected)") }
                #expect(rows.rows.map(\.first) == [.integer(1), .integer(2), .integer(3)])
                let described = try await ws.ok(.describe(streamID: 0, sql: nil, sqlID: 3))
                guard case .describe(let description) = described else { throw WebSocketTestError("\(described)") }
                #expect(description.cols.map(\.name) == ["x", "y"])
                let batch = try await ws.ok(.batch(streamID: 0, Batch(steps: [
                    BatchStep(stmt: Stmt(sql: "SELECT nope")),
                    BatchStep(condition: .error(step: 0), stmt: Stmt(sql: "SELECT count(*) FROM t")),
                ])))
                guard case .batch(let result) = batch else { throw WebSocketTestError("\(batch)") }
                #expect(result.stepErrors[0] != nil)
                #expect(result.stepResults[1]?.rows == [[.integer(3)]])
                #expect(try await ws.ok(.getAutocommit(streamID: 0)) == .getAutocommit(isAutocommit: true))
                // A statement error is a response_error; the connection stays up.
                guard case .failure(let error) = try await ws.request(.execute(streamID: 0, Stmt(sql: "SELEC 1"))) else {
                    throw WebSocketTestError("a syntax error succeeded")
                }
                #expect(error.code != nil)
                // Cursors.
                try await ws.ok(.openCursor(streamID: 0, cursorID: 1, Batch(steps: [BatchStep(stmt: Stmt(sqlID: 3))])))
                let first = try await ws.ok(.fetchCursor(cursorID: 1, maxCount: 2))
                #expect(first == .fetchCursor(entries: [
                    .stepBegin(step: 0, cols: [Column(name: "x", decltype: "INTEGER"), Column(name: "y", decltype: "TEXT")]),
                    .row([.integer(1), .text("a")]),
                ], done: false))
                let rest = try await ws.ok(.fetchCursor(cursorID: 1, maxCount: 100))
                guard case .fetchCursor(let entries, let done) = rest else { throw WebSocketTestError("\(rest)") }
                #expect(done)
                #expect(entries.count == 3)
                try await ws.ok(.closeCursor(cursorID: 1))
                try await ws.ok(.closeSQL(id: 3))
                try await ws.ok(.closeStream(streamID: 0))
            }
            #expect(close == nil || close?.closeCode == .normalClosure)
            #expect(try await harness.query("SELECT count(*) FROM t").rows == [[.integer(3)]])
        }
    }

    @Test("protocol errors close with sqld's codes", arguments: [
        ("a request before hello", "hrana3", 1008),
        ("a binary frame on hrana3", "hrana3", 1003),
        ("undecodable JSON", "hrana3", 1007),
        ("an unknown stream", "hrana3", 1008),
        ("a request above hrana2", "hrana2", 1008),
        ("a second hello on hrana1", "hrana1", 1008),
        ("a reused stream id", "hrana3", 1008),
        ("a message over the size limit", "hrana3", 1009),
    ])
    func closeCodes(fault: String, subprotocol: String, code: Int) async throws {
        try await ServerHarness.withServer(configure: { $0.maxRequestBodySize = 64 << 10 }) { harness in
            let close = try await harness.withWebSocket(subprotocols: [subprotocol]) { ws in
                switch fault {
                case "a request before hello":
                    try await ws.send(.request(id: 1, .openStream(streamID: 0)))
                case "a binary frame on hrana3":
                    try await ws.sendRaw(binary: [0x0A, 0x00])
                case "undecodable JSON":
                    try await ws.sendRaw(text: #"{"type":"hello","jwt":"#)
                case "an unknown stream":
                    _ = try await ws.hello()
                    try await ws.send(.request(id: 1, .execute(streamID: 9, Stmt(sql: "SELECT 1"))))
                case "a reused stream id":
                    _ = try await ws.hello()
                    try await ws.ok(.openStream(streamID: 0))
                    try await ws.send(.request(id: 2, .openStream(streamID: 0)))
                case "a message over the size limit":
                    _ = try await ws.hello()
                    try await ws.send(.request(id: 1, .execute(streamID: 0, Stmt(sql: "SELECT '" + String(repeating: "x", count: 100_000) + "'"))))
                case "a request above hrana2":
                    _ = try await ws.hello()
                    try await ws.send(.request(id: 1, .getAutocommit(streamID: 0)))
                default:
                    _ = try await ws.hello()
                    try await ws.send(.hello(jwt: nil))
                }
                while try await ws.receive() != nil {}
            }
            #expect(close.map { Int(UInt16(webSocketErrorCode: $0.closeCode)) } == code, "\(fault): \(String(describing: close))")
        }
    }

    @Test("hello carries the token: a wrong one gets hello_error and a normal close; re-hello re-authenticates")
    func authentication() async throws {
        try await ServerHarness.withServer(configure: { $0.authToken = "ws-secret" }) { harness in
            let refused = try await harness.withWebSocket { ws in
                guard case .helloError(let error)? = try await ws.hello(jwt: "wrong") else {
                    throw WebSocketTestError("a wrong token was accepted")
                }
                #expect(!error.message.contains("ws-secret"))
                while try await ws.receive() != nil {}
            }
            #expect(refused?.closeCode == .normalClosure)
            try await harness.withWebSocket(subprotocols: ["hrana2"]) { ws in
                #expect(try await ws.hello(jwt: "ws-secret") == .helloOK)
                try await ws.ok(.openStream(streamID: 0))
                #expect(try await ws.hello(jwt: "ws-secret") == .helloOK)
                try await ws.ok(.execute(streamID: 0, Stmt(sql: "SELECT 1")))
            }
        }
    }

    @Test("a quiet WebSocket outlives the connection idle timeout, which bounds only the wait for a request head")
    func quietWebSocketStaysOpen() async throws {
        try await ServerHarness.withServer(configure: { $0.connectionIdleTimeout = .milliseconds(500) }) { harness in
            let close = try await harness.withWebSocket { ws in
                #expect(try await ws.hello() == .helloOK)
                try await ws.ok(.openStream(streamID: 0))
                try await Task.sleep(for: .milliseconds(1500))
                let answer = try await ws.ok(.execute(streamID: 0, Stmt(sql: "SELECT 7")))
                guard case .execute(let result) = answer else { throw WebSocketTestError("\(answer)") }
                #expect(result.rows == [[.integer(7)]])
            }
            #expect(close == nil || close?.closeCode == .normalClosure)
        }
    }

    @Test("a client that vanishes inside a write transaction releases its stream and its lock")
    func vanishedClientReleasesItsLock() async throws {
        try await ServerHarness.withServer(configure: { $0.busyTimeout = .seconds(10) }) { harness in
            _ = try await harness.query("CREATE TABLE t(x)")
            try await harness.withWebSocket { ws in
                _ = try await ws.hello()
                try await ws.ok(.openStream(streamID: 0))
                try await ws.ok(.execute(streamID: 0, Stmt(sql: "BEGIN IMMEDIATE")))
                try await ws.ok(.execute(streamID: 0, Stmt(sql: "INSERT INTO t VALUES (1)")))
                // The handler returns: the client closes the socket with the transaction open.
            }
            // The lock is free again: this write does not wait for the busy timeout.
            let start = ContinuousClock.now
            _ = try await harness.query("INSERT INTO t VALUES (2)")
            #expect(ContinuousClock.now - start < .seconds(5))
            #expect(try await harness.query("SELECT x FROM t").rows == [[.integer(2)]])
        }
    }

    @Test("the reference server's WebSocket exchanges replay with the same answers", arguments: ["ws-hrana3", "ws-hrana3-protobuf"])
    func fixtureReplay(folder: String) async throws {
        let files = try Fixtures.jsonFiles(in: Fixtures.hranaTestServer(folder))
        #expect(files.count >= 6)
        let encoding: WireEncoding = folder.hasSuffix("protobuf") ? .protobuf : .json
        for file in files {
            let exchange = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
            let frames = try #require(exchange["frames"] as? [[String: Any]])
            let subprotocol = try #require(exchange["subprotocol"] as? String)
            let context = "\(folder)/\(file.lastPathComponent)"
            let decoded: [(fromClient: Bool, bytes: Data)] = try frames.map { frame in
                let fromClient = frame["from"] as? String == "client"
                if let text = frame["text"] as? String { return (fromClient, Data(text.utf8)) }
                let base64 = try #require(frame["base64"] as? String)
                return (fromClient, try #require(Data(base64Encoded: base64)))
            }
            try await ServerHarness.withServer { harness in
                _ = try await harness.withWebSocket(subprotocols: [subprotocol], encoding: encoding) { ws in
                    var sent: [Int32: WebSocketRequest] = [:]
                    for frame in decoded {
                        if frame.fromClient {
                            let message = try Self.decodeClient(frame.bytes, encoding)
                            if case .request(let id, let request) = message { sent[id] = request }
                            try await ws.send(message)
                            continue
                        }
                        let expected = try Self.decodeServer(frame.bytes, encoding)
                        let actual = try #require(try await ws.receive(), "\(context): the server closed early")
                        Self.compare(actual, expected, sent: sent, context: context)
                    }
                }
            }
        }
    }

    static func decodeClient(_ bytes: Data, _ encoding: WireEncoding) throws -> ClientMessage {
        encoding == .json ? try HranaJSON.decode(ClientMessage.self, from: bytes) : try HranaProtobuf.decode(ClientMessage.self, from: bytes)
    }

    static func decodeServer(_ bytes: Data, _ encoding: WireEncoding) throws -> ServerMessage {
        encoding == .json ? try HranaJSON.decode(ServerMessage.self, from: bytes) : try HranaProtobuf.decode(ServerMessage.self, from: bytes)
    }

    static func mixesArguments(_ request: WebSocketRequest?) -> Bool {
        guard case .execute(_, let stmt)? = request else { return false }
        return !stmt.effectiveArgs.isEmpty && !stmt.effectiveNamedArgs.isEmpty
    }

    static func compare(_ actual: ServerMessage, _ expected: ServerMessage, sent: [Int32: WebSocketRequest], context: String) {
        switch (actual, expected) {
        case (.helloOK, .helloOK), (.helloError, .helloError): return
        case (.responseError(let a, _), .responseError(let b, _)): #expect(a == b, "\(context): request id")
        case (.responseError(let a, let error), .responseOK(let b, _))
            where error.code == "ARGS_BOTH_POSITIONAL_AND_NAMED" && Self.mixesArguments(sent[a]):
            // The reference server binds positional and named arguments together; sqld (and this server)
            // refuse them (Docs/Server.md, differences from sqld).
            #expect(a == b, "\(context): request id")
        case (.responseOK(let a, let mine), .responseOK(let b, let theirs)):
            #expect(a == b, "\(context): request id")
            #expect(mine.type == theirs.type, "\(context): \(mine.type) vs \(theirs.type)")
            switch (mine, theirs, sent[a]) {
            case (.execute(let x), .execute(let y), .execute(_, let stmt)?):
                HTTPFixtureReplayTests.compare(x, y, sql: stmt.sql, context: "\(context) #\(a)")
            case (.batch(let x), .batch(let y), _):
                #expect(x.stepResults.map { $0 == nil } == y.stepResults.map { $0 == nil }, "\(context) #\(a): ran steps")
                #expect(x.stepErrors.map { $0 == nil } == y.stepErrors.map { $0 == nil }, "\(context) #\(a): failed steps")
            case (.fetchCursor(let x, let doneX), .fetchCursor(let y, let doneY), _):
                HTTPFixtureReplayTests.compare(x, y, request: [:], context: "\(context) #\(a)")
                #expect(doneX == doneY || (x.isEmpty == false && !doneY), "\(context) #\(a): done")
            case (.describe(let x), .describe(let y), _):
                #expect(x.cols.map(\.name) == y.cols.map(\.name), "\(context) #\(a): describe")
            default:
                #expect(mine == theirs, "\(context) #\(a)")
            }
        default:
            Issue.record("\(context): \(actual) vs \(expected)")
        }
    }
}
