import FaultProxy
import Foundation
import Hrana
import LibSQLClient
import LibSQLServer
import LogCapture
import Logging
import Synchronization
import Testing

/// What is particular to Hrana over WebSocket (the shared suites run every other body over it too): one socket
/// carries every call, a lost socket is replaced by the next call, a read in flight is retried once, and a
/// transaction whose socket is lost ends with a typed error and is rolled back.
@Suite(.serialized) struct WebSocketTransportTests {
    static let timeout = Duration.seconds(10)

    /// A server with table `t`, a fault proxy in front of it, and a WebSocket client through the proxy.
    static func withProxiedClient(
        encoding: Database.Configuration.Encoding = .json,
        _ body: (RunningServer, FaultProxy, Database) async throws -> Void
    ) async throws {
        try await withServer { server in
            let proxy = try FaultProxy(upstreamPort: server.port)
            defer { proxy.stop() }
            let direct = try Database(url: server.url.absoluteString)
            try await direct.execute("CREATE TABLE t (x INTEGER)")
            await direct.close()
            let db = try Database(configuration: .init(
                url: proxy.url.replacingOccurrences(of: "http://", with: "ws://"), requestTimeout: timeout,
                encoding: encoding))
            do {
                try await body(server, proxy, db)
            } catch {
                await db.close()
                throw error
            }
            await db.close()
        }
    }

    @Test("many concurrent statements and transactions share one socket", arguments: [Database.Configuration.Encoding.json, .protobuf])
    func multiplexing(encoding: Database.Configuration.Encoding) async throws {
        try await Self.withProxiedClient(encoding: encoding) { server, proxy, db in
            let values = try await withThrowingTaskGroup(of: Int64.self) { group in
                for value in 0..<64 {
                    group.addTask { try await db.execute("SELECT \(Int64(value)) + 1000").rows[0].get(0, as: Int64.self) }
                }
                return try await group.reduce(into: Set<Int64>()) { $0.insert($1) }
            }
            #expect(values == Set((0..<64).map { Int64($0) + 1000 }))
            // Concurrent statements inside one transaction are pipelined on its stream, in order.
            try await db.transaction(.write) { tx in
                try await tx.execute("INSERT INTO t VALUES (0)")
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for value in 1...16 { group.addTask { try await tx.execute("INSERT INTO t VALUES (\(value))") } }
                    try await group.waitForAll()
                }
            }
            // Read transactions and cursors at the same time, each on its own stream.
            try await withThrowingTaskGroup(of: Int64.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        try await db.transaction(.read) { tx in
                            // The same SQL three times: stored with store_sql under ids unique on the socket.
                            var sum: Int64 = 0
                            for _ in 0..<3 { sum += try await tx.execute("SELECT sum(x) FROM t").rows[0].get(0, as: Int64.self) }
                            return sum
                        }
                    }
                    group.addTask {
                        var sum: Int64 = 0
                        for try await row in db.query("SELECT x FROM t") { sum += try row.get(0, as: Int64.self) }
                        return sum * 3
                    }
                }
                for try await sum in group { #expect(sum == 3 * (0...16).reduce(0, +)) }
            }
            #expect(proxy.acceptedConnections == 1)
            let subprotocol = encoding == .json ? "hrana3" : "hrana3-protobuf"
            #expect(server.requestCount(path: "/ (WebSocket \(subprotocol))") == 1)
            #expect(server.requestCount(path: "/v3/pipeline") == 1, "only the setup's HTTP request")
        }
    }

    @Test("concurrent write transactions on one socket all commit: a transaction waiting for the lock holds up only its stream")
    func concurrentWriters() async throws {
        try await withServer { server in
            let db = try Database(url: webSocketURL(server))
            try await db.execute("CREATE TABLE t (x INTEGER)")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<4 {
                    group.addTask {
                        try await db.transaction(.write) { tx in
                            try await tx.execute("INSERT INTO t VALUES (\(i))")
                            try await Task.sleep(for: .milliseconds(50))
                            try await tx.execute("INSERT INTO t VALUES (\(i))")
                        }
                    }
                    group.addTask { _ = try await db.execute("INSERT INTO t VALUES (100)") }
                }
                try await group.waitForAll()
            }
            #expect(try await db.execute("SELECT count(*) FROM t").rows[0][0] == .integer(12))
            #expect(server.requestCount(path: "/ (WebSocket hrana3)") == 1)
            await db.close()
        }
    }

    @Test("with concurrency 1 every call still completes: one exchange at a time on the socket, cursors and transactions included")
    func concurrencyLimit() async throws {
        try await withServer { server in
            let db = try Database(configuration: .init(url: webSocketURL(server), concurrency: 1))
            try await db.execute("CREATE TABLE t (x INTEGER)")
            try await db.execute("WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 2500) INSERT INTO t SELECT i FROM c")
            try await withThrowingTaskGroup(of: Int64.self) { group in
                for _ in 0..<3 {
                    group.addTask {
                        var sum: Int64 = 0
                        for try await row in db.query("SELECT x FROM t") { sum += try row.get(0, as: Int64.self) }
                        return sum
                    }
                    group.addTask {
                        try await db.transaction(.read) { tx in
                            try await tx.execute("SELECT sum(x) FROM t").rows[0].get(0, as: Int64.self)
                        }
                    }
                    group.addTask { try await db.execute("SELECT sum(x) FROM t").rows[0].get(0, as: Int64.self) }
                }
                for try await sum in group { #expect(sum == 2500 * 2501 / 2) }
            }
            await db.close()
        }
    }

    @Test("a socket cut in the middle of a transaction fails it with CONNECTION_ERROR and its rows are rolled back")
    func cutMidTransaction() async throws {
        try await Self.withProxiedClient { server, proxy, db in
            let error = await expectLibSQLError {
                try await db.transaction(.write) { tx in
                    try await tx.execute("INSERT INTO t VALUES (1)")
                    try await tx.execute("INSERT INTO t VALUES (2)")
                    proxy.resetAll()
                    try await tx.execute("INSERT INTO t VALUES (3)")
                }
            }
            #expect(error?.code == .connectionError)
            #expect(error?.message.contains("rolled back") == true)
            // The next call opens a new socket; the cut transaction left nothing behind (and no lock).
            try await db.execute("INSERT INTO t VALUES (10)")
            #expect(try await db.execute("SELECT count(*), sum(x) FROM t").rows[0].values == [.integer(1), .integer(10)])
            #expect(proxy.acceptedConnections == 2)
            let direct = try Database(url: server.url.absoluteString)
            #expect(try await direct.execute("SELECT count(*) FROM t").rows[0][0] == .integer(1))
            await direct.close()
        }
    }

    @Test("a socket cut while a cursor is read fails the iteration with CONNECTION_ERROR; the next query reconnects")
    func cutMidCursor() async throws {
        try await Self.withProxiedClient { _, proxy, db in
            try await db.execute("WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 6000) INSERT INTO t SELECT i FROM c")
            var read = 0
            let error = await expectLibSQLError {
                for try await _ in db.query("SELECT x FROM t") {
                    read += 1
                    if read == 1 { proxy.resetAll() }
                }
            }
            #expect(error?.code == .connectionError)
            #expect(read < 6000)
            var count = 0
            for try await _ in db.query("SELECT x FROM t") { count += 1 }
            #expect(count == 6000)
            #expect(proxy.acceptedConnections == 2)
        }
    }

    @Test("a transaction that had sent nothing when its socket dropped starts on the next socket")
    func transactionBeforeFirstStatement() async throws {
        try await Self.withProxiedClient { _, proxy, db in
            try await db.execute("SELECT 1")
            try await db.transaction(.write) { tx in
                proxy.resetAll()
                // A read sees the drop (or is retried after it) and opens the next socket.
                #expect(try await db.execute("SELECT 2").rows[0][0] == .integer(2))
                try await tx.execute("INSERT INTO t VALUES (1)")
            }
            #expect(try await db.execute("SELECT count(*) FROM t").rows[0][0] == .integer(1))
            #expect(proxy.acceptedConnections == 2)
        }
    }

    @Test("a read in flight when the socket drops is retried once on a new socket; a write is not")
    func readRetriedAfterDrop() async throws {
        try await Self.withProxiedClient { _, proxy, db in
            // Every chunk of the first connection waits a second in the proxy: a call started 400 ms before the
            // cut is in flight when it comes.
            proxy.setFault(.delay(.seconds(1)), connections: 1)
            try await db.execute("INSERT INTO t VALUES (1)")
            async let read = db.execute("SELECT count(*) FROM t")
            try await Task.sleep(for: .milliseconds(400))
            proxy.resetAll()
            #expect(try await read.rows[0][0] == .integer(1))
            #expect(proxy.acceptedConnections == 2)

            proxy.setFault(.delay(.seconds(1)), connections: 1)
            proxy.resetAll()
            // The socket is gone: this call opens a third one, through the delaying proxy.
            try await db.execute("SELECT 1")
            let write = Task { try await db.execute("INSERT INTO t VALUES (2)") }
            try await Task.sleep(for: .milliseconds(400))
            proxy.resetAll()
            let error = await expectLibSQLError { _ = try await write.value }
            #expect(error?.code == .connectionError)
            #expect(proxy.acceptedConnections == 3, "the write was not retried")
        }
    }

    @Test("a stalled server fails the call with TIMEOUT within the request timeout; the next call reconnects")
    func stalledServer() async throws {
        try await withServer { server in
            let proxy = try FaultProxy(upstreamPort: server.port)
            defer { proxy.stop() }
            proxy.setFault(.stall, connections: 1)
            let db = try Database(configuration: .init(
                url: proxy.url.replacingOccurrences(of: "http://", with: "ws://"), requestTimeout: .seconds(1)))
            let error = await expectLibSQLError { try await db.execute("SELECT 1") }
            #expect(error?.code == .timeout)
            #expect(try await db.execute("SELECT 2").rows[0][0] == .integer(2))
            #expect(proxy.acceptedConnections == 2)
            await db.close()
        }
    }

    @Test("after a server restart the next call opens a new socket")
    func reconnectAfterRestart() async throws {
        try await withTemporaryDirectory { directory in
            var configuration = ServerConfiguration(databasePath: directory.appendingPathComponent("server.db").path, port: 0)
            let (db, port) = try await HranaServer.withRunning(configuration) { server in
                let db = try Database(url: webSocketURL(server))
                try await db.execute("CREATE TABLE t (x INTEGER)")
                try await db.execute("INSERT INTO t VALUES (1)")
                return (db, server.port)
            }
            configuration.port = port
            try await HranaServer.withRunning(configuration) { server in
                #expect(try await db.execute("SELECT count(*) FROM t").rows[0][0] == .integer(1))
                try await db.execute("INSERT INTO t VALUES (2)")
                #expect(try await db.execute("SELECT sum(x) FROM t").rows[0][0] == .integer(3))
                #expect(server.requestCount(path: "/ (WebSocket hrana3)") == 1)
            }
            await db.close()
        }
    }

    @Test("a wrong token fails hello with a typed auth error that never shows the token")
    func wrongToken() async throws {
        try await withServer(configure: { $0.authToken = "right-token" }) { server in
            let wrong = try Database(url: webSocketURL(server), authToken: "secret-wrong-token")
            let error = await expectLibSQLError { try await wrong.execute("SELECT 1") }
            #expect(error?.code == .unauthorized || error?.code.isAuth == true)
            #expect(!(error.map { "\($0)" } ?? "").contains("secret-wrong-token"))
            await wrong.close()

            let right = try Database(url: webSocketURL(server) + "?authToken=right-token")
            #expect(try await right.execute("SELECT 1").rows.count == 1)
            await right.close()
        }
    }

    @Test("the token is in no log line, even with a trace-level logger", arguments: [Database.Configuration.Encoding.json, .protobuf])
    func tokenNotLogged(encoding: Database.Configuration.Encoding) async throws {
        let token = "secret-token-0123456789"
        let hexToken = token.utf8.prefix(6).map { String(format: "%02x", $0) }.joined(separator: " ")
        try await withServer(configure: { $0.authToken = token }) { server in
            let handler = CapturingLogHandler()
            let logger = Logger(label: "test") { _ in handler }
            let db = try Database(configuration: .init(url: webSocketURL(server), authToken: token, encoding: encoding, logger: logger))
            try await db.execute("SELECT 1")
            await db.close()
            let wrong = try Database(configuration: .init(
                url: webSocketURL(server), authToken: token + "-wrong", encoding: encoding, logger: logger))
            _ = await expectLibSQLError { try await wrong.execute("SELECT 1") }
            await wrong.close()
            let lines = handler.lines
            #expect(!lines.isEmpty)
            #expect(!lines.contains { $0.contains(token) || $0.contains(hexToken) })
        }
    }

    @Test("a Hrana 2 server gets hrana2: scripts, batches and transactions work, and queries fall back to execute")
    func hrana2() async throws {
        try await withServer { server in
            let db = try Database(configuration: .init(url: webSocketURL(server), protocolVersion: .v2))
            try await db.executeMultiple("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2);")
            try await db.batch(["INSERT INTO t VALUES (3)", "INSERT INTO t VALUES (4)"], mode: .write)
            try await db.transaction(.write) { tx in
                for _ in 0..<3 { try await tx.execute("INSERT INTO t VALUES (5)") }
            }
            var sum: Int64 = 0
            for try await row in db.query("SELECT x FROM t") { sum += try row.get(0, as: Int64.self) }
            #expect(sum == 1 + 2 + 3 + 4 + 15)
            #expect(server.requestCount(path: "/ (WebSocket hrana2)") == 1)
            #expect(server.requestCount() == 1)
            await db.close()
        }
    }

    @Test("each subprotocol is offered in its own upgrade; a server that declines all is a PROTOCOL_VERSION_ERROR", arguments: [Database.Configuration.Encoding.json, .protobuf])
    func declinedUpgrades(encoding: Database.Configuration.Encoding) async throws {
        let upgrades = Mutex(0)
        let server = try RawHTTPServer { line in
            if line.hasPrefix("GET / ") { upgrades.withLock { $0 += 1 } }
            return .respond(rawResponse(status: "400 Bad Request", contentType: "text/plain", body: "no"))
        }
        defer { server.stop() }
        let db = try Database(configuration: .init(url: server.url.replacingOccurrences(of: "http://", with: "ws://"), encoding: encoding))
        let error = await expectLibSQLError { try await db.execute("SELECT 1") }
        #expect(error?.code == .protocolVersionError)
        #expect(error?.message.contains("hrana3, hrana2") == true)
        #expect(upgrades.withLock { $0 } == (encoding == .json ? 2 : 3))
        await db.close()
    }

    @Test("ws: and wss: URLs parse; the replica's HTTP endpoint of them is http: and https:")
    func urls() async throws {
        for url in ["ws://127.0.0.1:1/", "wss://db.example.com", "libsql://db.example.com"] {
            let db = try Database(url: url)
            #expect(db.isRemote)
            await db.close()
        }
        let secure = try Database.remoteEndpoint("wss://db.example.com/db?authToken=t")
        #expect(secure.baseURL.absoluteString == "https://db.example.com/db")
        #expect(secure.authToken == "t")
        #expect(try Database.remoteEndpoint("ws://127.0.0.1:8080").baseURL.absoluteString == "http://127.0.0.1:8080")
        #expect { _ = try Database(url: "ws://db.example.com?tls=0") } throws: { ($0 as? LibSQLError)?.code == .urlInvalid }
    }

    @Test("calls after close fail with CLIENT_CLOSED without reaching the server")
    func closed() async throws {
        try await withServer { server in
            let db = try Database(url: webSocketURL(server))
            try await db.execute("SELECT 1")
            await db.close()
            let error = await expectLibSQLError { try await db.execute("SELECT 1") }
            #expect(error?.code == .clientClosed)
            #expect(server.requestCount() == 1)
        }
    }
}
