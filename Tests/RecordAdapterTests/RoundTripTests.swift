import Foundation
import LibSQLClient
import LibSQLServer
import RecordAdapter
import Synchronization
import Testing

/// Counts the HTTP requests a client sends and what each carries, on the way to a real HTTP client.
final class RequestLog: HTTPTransport {
    /// One request: its Hrana request types, how many statements it runs (`execute` requests and batch steps)
    /// and the SQL texts it carries (stored or inline).
    struct Entry: Sendable, CustomStringConvertible {
        var types: [String]
        var statements: Int
        var sql: [String]
        var description: String { "\(types) \(statements) \(sql)" }
    }

    let base = AsyncHTTPClientTransport()
    private let storage = Mutex<[Entry]>([])

    var entries: [Entry] { storage.withLock { $0 } }

    func send(_ request: HTTPRequest, body: Data?) async throws -> HTTPResponse {
        if request.method == "POST", let body, request.url.path.hasSuffix("pipeline") {
            storage.withLock { $0.append(Self.entry(body)) }
        }
        return try await base.send(request, body: body)
    }

    func shutdown() async throws { try await base.shutdown() }

    private static func entry(_ body: Data) -> Entry {
        let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
        let requests = object?["requests"] as? [[String: Any]] ?? []
        var sql: [String] = []
        var statements = 0
        func collect(_ stmt: [String: Any]?) { if let text = stmt?["sql"] as? String { sql.append(text) } }
        for request in requests {
            if let text = request["sql"] as? String { sql.append(text) }  // store_sql
            if let stmt = request["stmt"] as? [String: Any] {
                statements += 1
                collect(stmt)
            }
            for step in (request["batch"] as? [String: Any])?["steps"] as? [[String: Any]] ?? [] {
                statements += 1
                collect(step["stmt"] as? [String: Any])
            }
        }
        return Entry(types: requests.compactMap { $0["type"] as? String }, statements: statements, sql: sql)
    }
}

/// How many HTTP requests a record transaction costs, counted at the transport, and why N + 1 is the floor for
/// an open-ended `transaction { }` (Docs/RecordAdapter.md, "Round trips").
@Suite struct RoundTripTests {
    func withLoggedConnection(_ body: (RecordConnection, RequestLog) async throws -> Void) async throws {
        try await withTemporaryDirectory { directory in
            let configuration = ServerConfiguration(databasePath: directory.appendingPathComponent("rt.db").path, port: 0)
            try await HranaServer.withRunning(configuration) { server in
                let log = RequestLog()
                let db = RecordConnection(try Database(url: server.url.absoluteString, transport: log))
                do {
                    try await db.database.executeMultiple(blogSchema)
                    try await User.create(User(name: "warm", email: "warm@x"), on: db)
                    try await body(db, log)
                } catch {
                    await db.close()
                    try await log.shutdown()
                    throw error
                }
                await db.close()
                try await log.shutdown()
            }
        }
    }

    /// BEGIN rides with the first INSERT, each later INSERT is one request, and the COMMIT needs one more: the
    /// closure's return is the first moment the record layer knows the transaction is over.
    @Test(arguments: [1, 3, 10])
    func aTransactionOfNCreatesIsNPlusOneRequests(_ count: Int) async throws {
        try await withLoggedConnection { db, log in
            let start = log.entries.count
            try await db.transaction {
                for index in 0..<count { try await User.create(User(name: "t\(index)", email: "t\(index)@x"), on: db) }
            }
            let requests = Array(log.entries[start...])
            #expect(requests.count == count + 1, "\(requests)")
            #expect(requests.first?.sql.first == "BEGIN IMMEDIATE", "\(requests)")
            #expect(requests.first?.statements == 2, "BEGIN and the first INSERT: \(requests)")
            // Later INSERTs run the same SQL, stored on the stream once (store_sql) and then sent by id.
            for request in requests.dropFirst().dropLast() { #expect(request.statements == 1, "\(request)") }
            #expect(requests.last?.sql == ["COMMIT"] && requests.last?.types == ["execute", "close"], "\(requests)")
            #expect(try await User.count(on: db) == count + 1)
        }
    }

    /// With `committing { }` around the last create, its INSERT carries the COMMIT and the close: N requests.
    @Test(arguments: [1, 3, 10])
    func committingTheLastCreateIsNRequests(_ count: Int) async throws {
        try await withLoggedConnection { db, log in
            let start = log.entries.count
            try await db.transaction {
                for index in 0..<count - 1 { try await User.create(User(name: "t\(index)", email: "t\(index)@x"), on: db) }
                let last = try await db.committing { try await User.create(User(name: "last", email: "last@x"), on: db) }
                #expect(last.id != nil)
            }
            let requests = Array(log.entries[start...])
            #expect(requests.count == count, "\(requests)")
            #expect(requests.last?.types.suffix(2) == ["batch", "close"], "\(requests)")
            #expect(requests.last?.statements == (count == 1 ? 3 : 2), "(BEGIN,) the last INSERT and COMMIT: \(requests)")
            #expect(requests.last?.sql.suffix(1) == ["COMMIT"], "\(requests)")
            #expect(try await User.count(on: db) == count + 1)
            #expect(try await User.where(["name": "last"]).on(db).exists())
        }
    }
}

/// `committing { }` on every backend: the work is committed, later statements of the transaction are refused, a
/// failing committed write rolls everything back.
@Suite struct CommittingTests {
    @Test(arguments: Backend.allCases)
    func commitsWithTheFirstWrite(_ backend: Backend) async throws {
        try await withConnection(backend) { db, _ in
            let events = EventLog()
            try await db.transaction {
                try await User.create(User(name: "a", email: "a@x"), on: db)
                await db.afterCommit { events.add("committed") }
                try await db.committing {
                    #expect(try await User.count(on: db) == 1)   // a read does not commit
                    try await User.create(User(name: "b", email: "b@x"), on: db)
                }
                #expect(events.events.isEmpty)
            }
            #expect(events.events == ["committed"])
            #expect(try await User.order("name").on(db).pluck("name", as: String.self) == ["a", "b"])

            await expectRecordError(.statementInvalid) {
                try await db.transaction {
                    try await db.committing { try await User.create(User(name: "c", email: "c@x"), on: db) }
                    try await User.create(User(name: "d", email: "d@x"), on: db)
                }
            }
            // c was committed before the refused statement; d never ran.
            #expect(try await User.order("name").on(db).pluck("name", as: String.self) == ["a", "b", "c"])

            await expectRecordError(.recordNotUnique) {
                try await db.transaction {
                    try await User.create(User(name: "e", email: "e@x"), on: db)
                    try await db.committing { try await User.create(User(name: "dup", email: "a@x"), on: db) }
                }
            }
            #expect(try await User.count(on: db) == 3, "the failed commit rolled back e as well")
        }
    }

    @Test func aSavepointCannotCommitTheTransaction() async throws {
        try await withConnection(.local) { db, _ in
            await expectRecordError(.statementInvalid) {
                try await db.transaction {
                    try await db.transaction {
                        _ = try await db.committing { try await User.create(User(name: "x", email: "x@x"), on: db) }
                    }
                }
            }
            let count = try await User.count(on: db)
            #expect(count == 0)
        }
    }
}
