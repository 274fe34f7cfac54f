import Foundation
import LibSQLClient
import Testing

/// Forwards requests to the real server and, for chosen pipeline POSTs, loses the response after the server
/// handled it (as a connection cut after the server committed would).
final class LosingTransport: HTTPTransport {
    let base = AsyncHTTPClientTransport(client: .shared)
    let posts = AtomicCounter()
    let loses: @Sendable (Int) -> Bool

    init(loses: @escaping @Sendable (_ post: Int) -> Bool) {
        self.loses = loses
    }

    func send(_ request: HTTPRequest, body: Data?) async throws -> HTTPResponse {
        let response = try await base.send(request, body: body)
        guard request.method == "POST", loses(posts.increment()) else { return response }
        _ = try await response.body.collect(upTo: 1 << 20)
        throw URLError(.networkConnectionLost)
    }

    func shutdown() async throws { try await base.shutdown() }
}

/// Rewrites every `store_sql` request so that the real server refuses it (the text exceeds its size limit), as a
/// server with a smaller stored-SQL budget would.
final class StoreRefusingTransport: HTTPTransport {
    let base = AsyncHTTPClientTransport(client: .shared)
    let refused = AtomicCounter()

    func send(_ request: HTTPRequest, body: Data?) async throws -> HTTPResponse {
        guard let body, var object = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
              var requests = object["requests"] as? [[String: Any]] else {
            return try await base.send(request, body: body)
        }
        for index in requests.indices where requests[index]["type"] as? String == "store_sql" {
            requests[index]["sql"] = (requests[index]["sql"] as? String ?? "") + String(repeating: " ", count: 6000)
            _ = refused.increment()
        }
        object["requests"] = requests
        return try await base.send(request, body: try JSONSerialization.data(withJSONObject: object))
    }

    func shutdown() async throws { try await base.shutdown() }
}

@Suite struct RemoteSafetyTests {
    @Test("concurrent first statements of a transaction all run inside it", arguments: [ProtocolVersion.v3, .v2])
    func concurrentFirstStatements(version: ProtocolVersion) async throws {
        struct Rollback: Error {}
        try await withServer { server in
            var configuration = Database.Configuration(url: server.url.absoluteString)
            configuration.protocolVersion = version
            let db = try Database(configuration: configuration)
            try await db.execute("CREATE TABLE t (x INT)")
            for _ in 0..<40 {
                await #expect(throws: Rollback.self) {
                    try await db.transaction(.write) { tx in
                        try await withThrowingTaskGroup(of: Void.self) { group in
                            for value in 0..<8 {
                                group.addTask { try await tx.execute("INSERT INTO t VALUES (\(value))") }
                            }
                            try await group.waitForAll()
                        }
                        throw Rollback()
                    }
                }
            }
            // Every statement was inside its rolled-back transaction: none ran in autocommit.
            #expect(try await db.execute("SELECT count(*) FROM t").rows[0][0] == .integer(0))
            await db.close()
        }
    }

    @Test("a read batch that writes is not retried after a lost response; a read-only one is")
    func readBatchRetries() async throws {
        try await withServer { server in
            let transport = LosingTransport { $0 == 2 || $0 == 4 }
            let db = try Database(url: server.url.absoluteString, transport: transport)
            try await db.execute("CREATE TABLE t (x INT)")  // POST 1
            let error = await expectLibSQLError {
                try await db.batch(["INSERT INTO t VALUES (1)"], mode: .read)  // POST 2, lost
            }
            #expect(error?.code == .connectionError)
            let count = try await db.execute("SELECT count(*) FROM t").rows[0][0]  // POST 3
            #expect(count == .integer(0) || count == .integer(1), "applied at most once, got \(count)")
            let read = try await db.batch(["SELECT count(*) FROM t", "SELECT 2"], mode: .read)  // POST 4 lost, 5
            #expect(read[1].rows[0][0] == .integer(2))
            #expect(transport.posts.value == 5)
            await db.close()
        }
    }

    @Test("a refused store_sql breaks nothing: the statement runs from its text and the stream stops storing SQL")
    func refusedStoreSQL() async throws {
        try await withServer { server in
            let transport = StoreRefusingTransport()
            let db = try Database(url: server.url.absoluteString, transport: transport)
            try await db.execute("CREATE TABLE t (x INT)")
            try await db.transaction { tx in
                for _ in 0..<4 { try await tx.execute("INSERT INTO t VALUES (1)") }
                try await tx.batch(["INSERT INTO t VALUES (1)", "INSERT INTO t VALUES (1)"])
            }
            #expect(transport.refused.value == 1)
            #expect(try await db.execute("SELECT count(*) FROM t").rows[0][0] == .integer(6))
            await db.close()
        }
    }
}
