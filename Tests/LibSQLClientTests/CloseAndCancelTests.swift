import Foundation
import LibSQLClient
import Testing

/// Counts the requests that reach the network (wraps the real transport to our server).
final class CountingTransport: HTTPTransport {
    let base: any HTTPTransport
    let count = AtomicCounter()

    init(_ base: any HTTPTransport = AsyncHTTPClientTransport(client: .shared)) {
        self.base = base
    }

    func send(_ request: HTTPRequest, body: Data?) async throws -> HTTPResponse {
        _ = count.increment()
        return try await base.send(request, body: body)
    }

    func shutdown() async throws { try await base.shutdown() }
}

/// After `close()`, every call fails with `CLIENT_CLOSED` before reaching SQLite or the network; a cancelled
/// call fails with `CANCELLED`.
@Suite struct CloseAndCancelTests {
    /// Every entry point of the API, with the operations a transaction and a stream opened before `close()`.
    static func expectAllClosed(_ db: Database, transaction: Transaction?, rows: RowSequence) async {
        var codes: [ErrorCode?] = []
        codes.append(await expectLibSQLError { try await db.execute("SELECT 1") }?.code)
        codes.append(await expectLibSQLError { try await db.execute("SELECT ?", [1]) }?.code)
        codes.append(await expectLibSQLError { try await db.batch(["SELECT 1"], mode: .read) }?.code)
        codes.append(await expectLibSQLError { try await db.migrate(["CREATE TABLE x (a)"]) }?.code)
        codes.append(await expectLibSQLError { try await db.executeMultiple("SELECT 1; SELECT 2") }?.code)
        codes.append(await expectLibSQLError {
            try await db.transaction { tx in _ = try await tx.execute("SELECT 1") }
        }?.code)
        codes.append(await expectLibSQLError { for try await _ in db.query("SELECT 1") {} }?.code)
        codes.append(await expectLibSQLError { for try await _ in rows {} }?.code)
        if let transaction {
            codes.append(await expectLibSQLError { try await transaction.execute("SELECT 1") }?.code)
            codes.append(await expectLibSQLError { try await transaction.batch(["SELECT 1"]) }?.code)
        }
        #expect(codes.allSatisfy { $0 == .clientClosed }, "\(codes)")
    }

    @Test func remoteCallsAfterCloseStayOffTheNetwork() async throws {
        try await withServer { server in
            let transport = CountingTransport()
            let db = try Database(url: server.url.absoluteString, transport: transport)
            try await db.execute("CREATE TABLE t (x)")
            let rows = db.query("SELECT x FROM t")
            let before = AtomicCounter()
            let error = await expectLibSQLError {
                try await db.transaction { tx in
                    try await tx.execute("INSERT INTO t VALUES (1)")
                    await db.close()
                    for _ in 0..<transport.count.value { _ = before.increment() }
                    await Self.expectAllClosed(db, transaction: tx, rows: rows)
                }
            }
            #expect(error?.code == .clientClosed)
            // Neither the calls nor the COMMIT and ROLLBACK that ended the transaction reached the network.
            #expect(transport.count.value == before.value)
        }
    }

    @Test func localCallsAfterCloseNeverReachSQLite() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("closed.db").path
            let db = try Database(url: "file:" + path)
            try await db.execute("CREATE TABLE t (x)")
            let rows = db.query("SELECT x FROM t")
            let error = await expectLibSQLError {
                try await db.transaction { tx in
                    try await tx.execute("INSERT INTO t VALUES (1)")
                    await db.close()
                    await Self.expectAllClosed(db, transaction: tx, rows: rows)
                }
            }
            #expect(error?.code == .clientClosed)
            await Self.expectAllClosed(db, transaction: nil, rows: rows)
            // Closing rolled the open transaction back.
            let reopened = try Database(url: "file:" + path)
            #expect(try await reopened.execute("SELECT count(*) FROM t").rows[0][0] == .integer(0))
            await reopened.close()
        }
    }

    @Test func closeIsIdempotent() async throws {
        let db = try Database(url: "file::memory:")
        await db.close()
        await db.close()
        let error = await expectLibSQLError { try await db.execute("SELECT 1") }
        #expect(error?.code == .clientClosed)
    }

    @Test("a call cancelled while it waits for the local connection fails with CANCELLED")
    func localCancellation() async throws {
        try await withTemporaryDirectory { directory in
            let db = try Database(url: "file:" + directory.appendingPathComponent("cancel.db").path)
            let waiting = try await db.transaction { tx -> Task<ResultSet, any Error> in
                try await tx.execute("SELECT 1")
                let task = Task { try await db.execute("SELECT 2") }
                try await Task.sleep(for: .milliseconds(50))
                task.cancel()
                return task
            }
            let error = await expectLibSQLError { _ = try await waiting.value }
            #expect(error?.code == .cancelled)
            await db.close()
        }
    }

    @Test("a call cancelled while it waits for a remote request slot fails with CANCELLED")
    func remoteCancellation() async throws {
        try await withServer { server in
            var configuration = Database.Configuration(url: server.url.absoluteString)
            configuration.concurrency = 1
            let db = try Database(configuration: configuration)
            // An open cursor holds the only request slot until its body is read.
            var rows = db.query("SELECT 1 UNION ALL SELECT 2").makeAsyncIterator()
            #expect(try await rows.next()?[0] == .integer(1))
            let task = Task { try await db.execute("SELECT 3") }
            try await Task.sleep(for: .milliseconds(50))
            task.cancel()
            let error = await expectLibSQLError { _ = try await task.value }
            #expect(error?.code == .cancelled)
            #expect(try await rows.next()?[0] == .integer(2))
            #expect(try await rows.next() == nil)
            await db.close()
        }
    }

    @Test("an interactive transaction whose task is cancelled rolls back and throws CANCELLED")
    func cancelledTransaction() async throws {
        try await withTemporaryDirectory { directory in
            let db = try Database(url: "file:" + directory.appendingPathComponent("tx.db").path)
            try await db.execute("CREATE TABLE t (x)")
            let task = Task {
                try await db.transaction { tx in
                    try await tx.execute("INSERT INTO t VALUES (1)")
                    withUnsafeCurrentTask { $0?.cancel() }
                }
            }
            let error = await expectLibSQLError { try await task.value }
            #expect(error?.code == .cancelled)
            #expect(try await db.execute("SELECT count(*) FROM t").rows[0][0] == .integer(0))
            await db.close()
        }
    }
}
