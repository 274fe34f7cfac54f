import AsyncHTTPClient
import FaultProxy
import Foundation
import Hrana
import LibSQLClient
import LibSQLServer
import Synchronization
import Testing

/// A flag one task sets and another polls.
final class Flag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .acquiring) }
    func set() { value.store(true, ordering: .releasing) }
}

/// The client's whole API through a fault-injecting proxy in front of our server: every call ends within its
/// timeout with a typed error or a correct result, no write is applied twice, an interrupted transaction is
/// rolled back, and the server keeps serving a client that talks to it directly.
@Suite(.serialized) struct FaultInjectionTests {
    /// One fault, and whether every call must still succeed through it.
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var fault: FaultProxy.Fault
        var mustSucceed: Bool
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "no fault", fault: .none, mustSucceed: true),
        Case(name: "20 ms delay per chunk", fault: .delay(.milliseconds(20)), mustSucceed: true),
        Case(name: "response in 1-byte writes", fault: .oneByteWrites, mustSucceed: true),
        Case(name: "delay longer than the timeout", fault: .delay(.seconds(3)), mustSucceed: false),
        Case(name: "reset after 10 request bytes", fault: .reset(after: 10, .request), mustSucceed: false),
        Case(name: "reset inside the request body", fault: .reset(after: 250, .request), mustSucceed: false),
        Case(name: "reset after 10 response bytes", fault: .reset(after: 10, .response), mustSucceed: false),
        Case(name: "reset inside the response body", fault: .reset(after: 200, .response), mustSucceed: false),
        Case(name: "stalled peer", fault: .stall, mustSucceed: false),
        Case(name: "response truncated in the head", fault: .truncateResponse(after: 40), mustSucceed: false),
        Case(name: "response truncated in the body", fault: .truncateResponse(after: 180), mustSucceed: false),
        Case(name: "response stalls in the body", fault: .stallResponse(after: 180), mustSucceed: false),
        // Past the end of most pipeline responses, among the rows of a cursor's.
        Case(name: "reset after 2000 response bytes", fault: .reset(after: 2000, .response), mustSucceed: false),
        Case(name: "response truncated after 2000 bytes", fault: .truncateResponse(after: 2000), mustSucceed: false),
    ]

    /// The calls driven through the proxy, each writing `rows` rows tagged with its own key (or reading).
    enum Call: String, CaseIterable, Sendable {
        case read, execute, batch, transaction, cursor, executeAndCommit

        var rows: Int {
            switch self {
            case .read, .cursor: 0
            case .execute: 1
            case .batch, .transaction, .executeAndCommit: 2
            }
        }
    }

    static let timeout = Duration.seconds(2)
    static let seededRows = 300

    /// A server with a seeded table, the proxy in front of it and a client that talks to the server directly.
    static func withProxiedServer(
        configure: (inout ServerConfiguration) -> Void = { $0.streamIdleTimeout = .seconds(1) },
        _ body: (FaultProxy, Database) async throws -> Void
    ) async throws {
        try await withServer(configure: configure) { server in
            let proxy = try FaultProxy(upstreamPort: server.port)
            defer { proxy.stop() }
            let direct = try Database(url: server.url.absoluteString)
            try await direct.executeMultiple("""
                CREATE TABLE t (k TEXT NOT NULL, n INTEGER);
                CREATE TABLE seq (n INTEGER PRIMARY KEY);
                WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < \(seededRows))
                INSERT INTO seq SELECT x FROM c;
                """)
            do {
                try await body(proxy, direct)
            } catch {
                await direct.close()
                throw error
            }
            await direct.close()
        }
    }

    /// A fresh client (and connection pool) through the proxy.
    static func proxiedClient(_ proxy: FaultProxy) throws -> Database {
        var configuration = Database.Configuration(url: proxy.url)
        configuration.requestTimeout = timeout
        configuration.protocolVersion = .v3
        return try Database(configuration: configuration)
    }

    /// A client through the proxy that opens a new connection for every request, so that a fault set for the
    /// next connection hits exactly the next request.
    static func withOneConnectionPerRequest(_ proxy: FaultProxy, _ body: (Database) async throws -> Void) async throws {
        var http = HTTPClient.Configuration()
        http.maximumUsesPerConnection = 1
        http.decompression = .disabled
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: http)
        var configuration = Database.Configuration(url: proxy.url, transport: AsyncHTTPClientTransport(client: client))
        configuration.requestTimeout = timeout
        configuration.protocolVersion = .v3
        let db = try Database(configuration: configuration)
        do {
            try await body(db)
        } catch {
            await db.close()
            try await client.shutdown()
            throw error
        }
        await db.close()
        try await client.shutdown()
    }

    /// Runs one call; returns normally only when its result was checked correct.
    static func run(_ call: Call, key: String, on db: Database) async throws {
        switch call {
        case .read:
            let result = try await db.execute("SELECT count(*), sum(n) FROM seq")
            #expect(result.rows.first?.values == [.integer(Int64(seededRows)), .integer(Int64(seededRows * (seededRows + 1) / 2))])
        case .execute:
            let result = try await db.execute("INSERT INTO t (k, n) VALUES (\(key), 1)")
            #expect(result.rowsAffected == 1)
        case .batch:
            let results = try await db.batch(
                ["INSERT INTO t (k, n) VALUES (\(key), 1)", "INSERT INTO t (k, n) VALUES (\(key), 2)"], mode: .write)
            #expect(results.map(\.rowsAffected) == [1, 1])
        case .transaction:
            try await db.transaction(.write) { tx in
                try await tx.execute("INSERT INTO t (k, n) VALUES (\(key), 1)")
                try await tx.execute("INSERT INTO t (k, n) VALUES (\(key), 2)")
            }
        case .executeAndCommit:
            try await db.transaction(.write) { tx in
                try await tx.execute("INSERT INTO t (k, n) VALUES (\(key), 1)")
                try await tx.executeAndCommit("INSERT INTO t (k, n) VALUES (\(key), 2)")
            }
        case .cursor:
            var count = 0
            var sum: Int64 = 0
            for try await row in db.query("SELECT n FROM seq ORDER BY n") {
                count += 1
                sum += try row.get(0, as: Int64.self)
            }
            #expect(count == seededRows)
            #expect(sum == Int64(seededRows * (seededRows + 1) / 2))
        }
    }

    /// The most HTTP requests a call makes; each is bounded by the request timeout.
    static func requestBound(_ call: Call) -> Int {
        switch call {
        case .read: 2  // one retry
        case .execute, .batch, .cursor: 1
        case .transaction: 4  // two statements, commit, a rollback attempt
        case .executeAndCommit: 3
        }
    }

    /// Runs `body` unless it outlives `limit`; `nil` (and a recorded issue) when it did.
    static func bounded<T: Sendable>(
        _ limit: Duration, _ what: String, _ body: @escaping @Sendable () async -> T
    ) async -> T? {
        await withTaskGroup(of: T?.self) { group in
            group.addTask { await body() }
            group.addTask {
                try? await Task.sleep(for: limit)
                return nil
            }
            let first = await group.next()!
            group.cancelAll()
            if first == nil { Issue.record("\(what) did not end within \(limit)") }
            return first
        }
    }

    /// Reads through `direct` every 50 ms until `done` is set; returns how many reads succeeded, recording any
    /// failure or wrong answer.
    static func probe(_ direct: Database, until done: Flag, what: String) async -> Int {
        var served = 0
        repeat {
            do {
                let count = try await direct.execute("SELECT count(*) FROM seq").rows[0].get(0, as: Int.self)
                #expect(count == seededRows)
                served += 1
            } catch {
                Issue.record("The direct client was not served while \(what): \(error)")
                return served
            }
            try? await Task.sleep(for: .milliseconds(50))
        } while !done.isSet
        return served
    }

    static func rows(_ key: String, _ direct: Database) async throws -> Int {
        try await direct.execute("SELECT count(*) FROM t WHERE k = \(key)").rows[0].get(0, as: Int.self)
    }

    @Test("every call through a fault ends in time, with a typed error or a correct result, writing at most once", arguments: cases)
    func callsThroughFaults(_ faultCase: Case) async throws {
        try await Self.withProxiedServer { proxy, direct in
            var outcomes: [(call: Call, key: String, acknowledged: Bool)] = []
            for call in Call.allCases {
                let key = "\(call.rawValue)-\(UUID().uuidString)"
                proxy.setFault(faultCase.fault)
                let db = try Self.proxiedClient(proxy)
                // Generous: the bound only catches calls that never end, it is not a timing target.
                let limit = Self.timeout * (Self.requestBound(call) + 1) + .seconds(30)
                let done = Flag()
                async let served = Self.probe(direct, until: done, what: "\(call) went through \(faultCase.name)")
                let outcome: Result<Void, any Error>? = await Self.bounded(limit, "\(call) through \(faultCase.name)") {
                    do {
                        try await Self.run(call, key: key, on: db)
                        return .success(())
                    } catch {
                        return .failure(error)
                    }
                }
                done.set()
                #expect(await served >= 1)
                await db.close()
                proxy.setFault(.none)

                let written = try await Self.rows(key, direct)
                switch outcome {
                case .success:
                    #expect(written == call.rows, "\(call): acknowledged, \(written) of \(call.rows) rows present")
                    outcomes.append((call, key, true))
                case .failure(let error):
                    if faultCase.mustSucceed { Issue.record("\(call) through \(faultCase.name) failed: \(error)") }
                    let code = (error as? LibSQLError)?.code
                    #expect(
                        code == .connectionError || code == .timeout,
                        "\(call) through \(faultCase.name): expected CONNECTION_ERROR or TIMEOUT, got \(error)")
                    // A failed call may or may not have been applied, but whole or not at all, and once.
                    #expect(written == 0 || written == call.rows, "\(call): failed, yet \(written) of \(call.rows) rows present")
                    outcomes.append((call, key, false))
                case nil:
                    break
                }
                // The server still serves a well-behaved client, writes included (an abandoned transaction's
                // lock is given up when its stream is closed or expires).
                let marker = "after-\(key)"
                try await direct.execute("INSERT INTO t (k, n) VALUES (\(marker), 0)")
                #expect(try await Self.rows(marker, direct) == 1)
            }
            // Requests the proxy still held (a delayed one reaches the server after its client gave up) have
            // landed by now: count again. Still whole or nothing, and never twice.
            proxy.stop()
            for _ in 0..<200 where proxy.openConnections > 0 { try await Task.sleep(for: .milliseconds(50)) }
            try await Task.sleep(for: .seconds(1))
            for (call, key, acknowledged) in outcomes {
                let written = try await Self.rows(key, direct)
                if acknowledged {
                    #expect(written == call.rows, "\(call): acknowledged, finally \(written) of \(call.rows) rows")
                } else {
                    #expect(written == 0 || written == call.rows, "\(call): failed, finally \(written) of \(call.rows) rows")
                }
            }
        }
    }

    @Test("a read that lost its connection is retried once and succeeds; a write is never retried")
    func readsRetriedWritesNot() async throws {
        try await Self.withProxiedServer { proxy, direct in
            try await Self.withOneConnectionPerRequest(proxy) { reader in
                proxy.setFault(.reset(after: 10, .response), connections: 1)
                let accepted = proxy.acceptedConnections
                try await Self.run(.read, key: "", on: reader)
                #expect(proxy.acceptedConnections - accepted == 2)
            }

            // The server applies the write and the response is cut: the client must report the failure, not
            // send the INSERT again.
            try await Self.withOneConnectionPerRequest(proxy) { (writer: Database) async throws in
                for call in [Call.execute, .batch] {
                    proxy.setFault(.reset(after: 10, .response), connections: 1)
                    let accepted = proxy.acceptedConnections
                    let key = UUID().uuidString
                    let error = await expectLibSQLError { try await Self.run(call, key: key, on: writer) }
                    #expect(error?.code == .connectionError)
                    #expect(proxy.acceptedConnections - accepted == 1, "\(call) was sent again")
                    #expect(try await Self.rows(key, direct) == call.rows)
                }
            }
        }
    }

    /// Which request of a two-statement transaction the fault hits.
    enum LostRequest: String, CaseIterable, Sendable, CustomTestStringConvertible {
        /// The second statement's request.
        case statement
        /// The `COMMIT` + `close` sent when the closure returns.
        case commit
        /// The last statement sent with `executeAndCommit`.
        case executeAndCommit

        var testDescription: String { rawValue }
    }

    /// Runs a two-statement transaction and sets `fault` on the next connection just before the request `lost`
    /// is sent; returns the transaction's error.
    static func interruptedTransaction(
        _ db: Database, key: String, lost: LostRequest, fault: FaultProxy.Fault, proxy: FaultProxy
    ) async -> LibSQLError? {
        await expectLibSQLError {
            try await db.transaction(.write) { tx in
                try await tx.execute("INSERT INTO t (k, n) VALUES (\(key), 1)")
                switch lost {
                case .statement:
                    proxy.setFault(fault, connections: 1)
                    try await tx.execute("INSERT INTO t (k, n) VALUES (\(key), 2)")
                case .commit:
                    try await tx.execute("INSERT INTO t (k, n) VALUES (\(key), 2)")
                    proxy.setFault(fault, connections: 1)
                case .executeAndCommit:
                    proxy.setFault(fault, connections: 1)
                    try await tx.executeAndCommit("INSERT INTO t (k, n) VALUES (\(key), 2)")
                }
            }
        }
    }

    @Test("a transaction whose request is lost before reaching the server is rolled back at once", arguments: LostRequest.allCases)
    func lostRequestRollsBack(_ lost: LostRequest) async throws {
        // Neither the stream's expiry nor the transaction timeout can release the lock within the direct write's
        // busy timeout (5 s): only the client's close of the stream can.
        try await Self.withProxiedServer(configure: {
            $0.streamIdleTimeout = .seconds(600)
            $0.transactionTimeout = .seconds(600)
        }) { proxy, direct in
            try await Self.withOneConnectionPerRequest(proxy) { db in
                let key = UUID().uuidString
                let error = await Self.interruptedTransaction(
                    db, key: key, lost: lost, fault: .reset(after: 0, .request), proxy: proxy)
                #expect(error?.code == .connectionError)
                try await direct.execute("INSERT INTO t (k, n) VALUES ('direct', 0)")
                #expect(try await Self.rows(key, direct) == 0)
            }
        }
    }

    @Test("a transaction whose response is lost after the server ran it ends whole: rolled back by expiry, or committed", arguments: LostRequest.allCases)
    func lostResponse(_ lost: LostRequest) async throws {
        try await Self.withProxiedServer { proxy, direct in
            try await Self.withOneConnectionPerRequest(proxy) { db in
                let key = UUID().uuidString
                let error = await Self.interruptedTransaction(
                    db, key: key, lost: lost, fault: .reset(after: 10, .response), proxy: proxy)
                #expect(error?.code == .connectionError)
                // Waits for the write lock: the stream expires after 1 s idle and its transaction is rolled back.
                try await direct.execute("INSERT INTO t (k, n) VALUES ('direct', 0)")
                let written = try await Self.rows(key, direct)
                switch lost {
                case .statement: #expect(written == 0)
                case .commit, .executeAndCommit: #expect(written == 2)
                }
            }
        }
    }

    @Test("a cursor whose body stalls after some rows fails with TIMEOUT while the rows are read")
    func cursorStallsMidBody() async throws {
        try await Self.withProxiedServer { proxy, _ in
            proxy.setFault(.stallResponse(after: 2000))
            let db = try Self.proxiedClient(proxy)
            let outcome = await Self.bounded(.seconds(60), "a stalled cursor") { () -> (rows: Int, code: ErrorCode?) in
                var rows = 0
                do {
                    for try await _ in db.query("SELECT n, randomblob(100) FROM seq") { rows += 1 }
                    Issue.record("A stalled cursor ended normally")
                    return (rows, nil)
                } catch {
                    return (rows, (error as? LibSQLError)?.code)
                }
            }
            #expect(outcome?.code == .timeout)
            #expect(outcome.map { $0.rows > 0 && $0.rows < Self.seededRows } == true)
            await db.close()
        }
    }

    @Test("a pipeline response that stalls after its head fails with TIMEOUT")
    func pipelineStallsAfterHead() async throws {
        try await Self.withProxiedServer { proxy, _ in
            try await Self.withOneConnectionPerRequest(proxy) { db in
                // The head of a pipeline response is well under 200 bytes; its body is longer.
                proxy.setFault(.stallResponse(after: 200), connections: 1)
                let outcome = await Self.bounded(.seconds(60), "a stalled pipeline response") { () -> ErrorCode? in
                    do {
                        _ = try await db.execute("SELECT n, 'padding padding' FROM seq")
                        Issue.record("A stalled response gave a result")
                        return nil
                    } catch {
                        return (error as? LibSQLError)?.code
                    }
                }
                #expect(outcome == .timeout)
            }
        }
    }

    @Test("calls that failed through faults give their concurrency permits back")
    func permitsReturned() async throws {
        try await Self.withProxiedServer { proxy, _ in
            var configuration = Database.Configuration(url: proxy.url)
            configuration.requestTimeout = .seconds(1)
            configuration.protocolVersion = .v3
            configuration.concurrency = 1
            let db = try Database(configuration: configuration)
            let faults: [FaultProxy.Fault] = [.stall, .stallResponse(after: 180), .truncateResponse(after: 2000), .reset(after: 10, .response)]
            for fault in faults {
                proxy.setFault(fault)
                for call in Call.allCases {
                    do {
                        try await Self.run(call, key: UUID().uuidString, on: db)
                    } catch {
                        let code = (error as? LibSQLError)?.code
                        #expect(code == .connectionError || code == .timeout, "\(call) through \(fault): \(error)")
                    }
                }
            }
            proxy.setFault(.none)
            // With one permit, a permit kept by any failed call would make this wait forever. (Reads: a write
            // could wait for the write lock of a transaction whose response was lost, longer than 1 s.)
            let served = await Self.bounded(.seconds(60), "a call after the failures") { () -> Bool in
                do {
                    try await Self.run(.cursor, key: "", on: db)
                    try await Self.run(.read, key: "", on: db)
                    return true
                } catch {
                    Issue.record("A call after the failures failed: \(error)")
                    return false
                }
            }
            #expect(served == true)
            await db.close()
        }
    }
}
