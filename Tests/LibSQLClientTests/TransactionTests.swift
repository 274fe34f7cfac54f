import Foundation
import LibSQLClient
import Testing

@Suite("transactions")
struct TransactionTests {
    struct Abort: Error {}

    @Test("a transaction commits when the closure returns", arguments: TestBackend.allCases)
    func commits(backend: TestBackend) async throws {
        try await withClient(backend, scenario: "transaction-commit") { db in
            try await db.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
            let id = try await db.transaction(.write) { tx in
                let id = try #require(try await tx.execute("INSERT INTO users (name) VALUES ('ann')").lastInsertRowID)
                try await tx.execute("INSERT INTO users (name) VALUES (\("ann's friend #\(id)"))")
                let inside = try await tx.execute("SELECT count(*) FROM users")
                #expect(inside.rows[0][0] == .integer(2))
                return id
            }
            #expect(id == 1)
            #expect(try await db.execute("SELECT count(*) FROM users").rows[0][0] == .integer(2))
        }
    }

    @Test("a transaction rolls back when the closure throws; a failed statement keeps it open", arguments: TestBackend.allCases)
    func rollsBack(backend: TestBackend) async throws {
        try await withClient(backend, scenario: "transaction-rollback") { db in
            try await db.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT UNIQUE)")
            await #expect(throws: Abort.self) {
                try await db.transaction { tx in
                    try await tx.execute("INSERT INTO users (name) VALUES ('ann')")
                    throw Abort()
                }
            }
            #expect(try await db.execute("SELECT count(*) FROM users").rows[0][0] == .integer(0))

            try await db.transaction(.write) { tx in
                try await tx.execute("INSERT INTO users (name) VALUES ('bob')")
                let duplicate = await expectLibSQLError { try await tx.execute("INSERT INTO users (name) VALUES ('bob')") }
                #expect(duplicate?.constraint == .unique)
                try await tx.batch(["INSERT INTO users (name) VALUES ('cid')", "INSERT INTO users (name) VALUES ('dee')"])
            }
            #expect(try await db.execute("SELECT count(*) FROM users").rows[0][0] == .integer(3))
            let readOnly = try await db.transaction(.read) { tx in
                try await tx.execute("SELECT name FROM users ORDER BY name").rows.map { try $0.get(0, as: String.self) }
            }
            #expect(readOnly == ["bob", "cid", "dee"])
        }
    }

    @Test("executeAndCommit commits with the last statement; a failure there rolls everything back", arguments: [TestBackend.remote, .webSocket, .webSocketProtobuf, .local])
    func executeAndCommit(backend: TestBackend) async throws {
        try await withClient(backend, scenario: "transaction-execute-and-commit") { db in
            try await db.execute("CREATE TABLE t (x INT UNIQUE)")
            let last = try await db.transaction(.write) { tx in
                try await tx.execute("INSERT INTO t VALUES (1)")
                let result = try await tx.executeAndCommit("INSERT INTO t VALUES (2)")
                let late = await expectLibSQLError { try await tx.execute("INSERT INTO t VALUES (3)") }
                #expect(late?.code == .transactionClosed)
                return result
            }
            #expect(last.rowsAffected == 1)
            #expect(try await db.execute("SELECT count(*) FROM t").rows[0][0] == .integer(2))

            let failure = await expectLibSQLError {
                try await db.transaction(.write) { tx in
                    try await tx.execute("INSERT INTO t VALUES (10)")
                    try await tx.executeAndCommit("INSERT INTO t VALUES (1)")
                }
            }
            #expect(failure?.code == .sqliteConstraint)
            #expect(failure?.constraint == .unique)
            #expect(try await db.execute("SELECT count(*) FROM t WHERE x = 10").rows[0][0] == .integer(0))
            #expect(try await db.execute("SELECT count(*) FROM t").rows[0][0] == .integer(2))
        }
    }

    @Test("cancelling the task inside a transaction rolls it back and releases the lock", arguments: [TestBackend.remote, .webSocket, .webSocketProtobuf, .local])
    func cancellationRollsBack(backend: TestBackend) async throws {
        try await withClient(backend, scenario: "transaction-cancel") { db in
            try await db.execute("CREATE TABLE t (x INT)")
            let inserted = AsyncStream<Void>.makeStream()
            let task = Task {
                try await db.transaction(.write) { tx in
                    try await tx.execute("INSERT INTO t VALUES (1)")
                    inserted.continuation.yield()
                    try await Task.sleep(for: .seconds(20))
                }
            }
            var iterator = inserted.stream.makeAsyncIterator()
            await iterator.next()
            task.cancel()
            let result = await task.result
            #expect(throws: CancellationError.self) { try result.get() }
            #expect(try await db.execute("SELECT count(*) FROM t").rows[0][0] == .integer(0))
            try await db.execute("INSERT INTO t VALUES (2)")
            #expect(try await db.execute("SELECT count(*) FROM t").rows[0][0] == .integer(1))
        }
    }

    @Test("statements issued concurrently in a transaction are pipelined, in order")
    func pipelining() async throws {
        try await withServer { server in
            let db = try Database(url: server.url.absoluteString)
            defer { Task { await db.close() } }
            try await db.execute("CREATE TABLE t (x INT)")
            let before = server.requestCount()
            try await db.transaction(.write) { tx in
                try await tx.execute("INSERT INTO t VALUES (0)")
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for value in 1...8 {
                        group.addTask { try await tx.execute("INSERT INTO t VALUES (\(value))") }
                    }
                    try await group.waitForAll()
                }
            }
            let requests = server.requestCount() - before
            #expect(requests < 1 + 8 + 1, "8 concurrent statements must share pipeline requests (took \(requests))")
            #expect(try await db.execute("SELECT count(*) FROM t").rows[0][0] == .integer(9))
        }
    }

    @Test("an idle transaction whose stream expired fails clearly; autocommit calls never see the expiry")
    func streamExpiry() async throws {
        try await withServer(configure: { $0.streamIdleTimeout = .seconds(1) }) { server in
            let db = try Database(url: server.url.absoluteString)
            defer { Task { await db.close() } }
            try await db.execute("CREATE TABLE t (x INT)")
            try await Task.sleep(for: .seconds(2))
            try await db.execute("INSERT INTO t VALUES (1)")
            let error = await expectLibSQLError {
                try await db.transaction(.write) { tx in
                    try await tx.execute("INSERT INTO t VALUES (2)")
                    try await Task.sleep(for: .seconds(2))
                    try await tx.execute("INSERT INTO t VALUES (3)")
                }
            }
            #expect(error?.code == .streamExpired)
            #expect(error?.message.contains("expired") == true)
            #expect(try await db.execute("SELECT count(*) FROM t").rows[0][0] == .integer(1))
            try await Task.sleep(for: .seconds(2))
            try await db.execute("INSERT INTO t VALUES (4)")
            #expect(try await db.execute("SELECT count(*) FROM t").rows[0][0] == .integer(2))
        }
    }

    @Test("HTTP requests per operation: execute 1, batch 1, transaction of N statements N + 1, or N with executeAndCommit")
    func requestCounts() async throws {
        try await withServer { server in
            let db = try Database(url: server.url.absoluteString)
            defer { Task { await db.close() } }
            try await db.execute("CREATE TABLE t (x INT)")

            var before = server.requestCount()
            try await db.execute("INSERT INTO t VALUES (1)")
            #expect(server.requestCount() - before == 1)

            before = server.requestCount()
            try await db.batch((0..<50).map { "INSERT INTO t VALUES (\($0))" }, mode: .write)
            #expect(server.requestCount() - before == 1)

            for count in [1, 5, 10] {
                before = server.requestCount()
                try await db.transaction(.write) { tx in
                    for value in 0..<count { try await tx.execute("INSERT INTO t VALUES (\(value))") }
                }
                #expect(server.requestCount() - before == count + 1)

                before = server.requestCount()
                try await db.transaction(.write) { tx in
                    for value in 0..<count - 1 { try await tx.execute("INSERT INTO t VALUES (\(value))") }
                    try await tx.executeAndCommit("INSERT INTO t VALUES (\(count))")
                }
                #expect(server.requestCount() - before == count)
            }

            before = server.requestCount()
            try await db.transaction(.write) { _ in }
            #expect(server.requestCount() - before == 0)
        }
    }
}
