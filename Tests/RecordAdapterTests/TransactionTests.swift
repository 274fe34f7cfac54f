import Foundation
import LibSQLClient
import RecordAdapter
import Synchronization
import Testing

/// Collects callback events across tasks.
final class EventLog: Sendable {
    private let storage = Mutex<[String]>([])
    func add(_ event: String) { storage.withLock { $0.append(event) } }
    var events: [String] { storage.withLock { $0 } }
}

@Suite struct TransactionTests {
    struct Boom: Error {}

    @Test(arguments: Backend.allCases)
    func commitsAndRollsBack(_ backend: Backend) async throws {
        try await withConnection(backend) { db, _ in
            try await db.transaction {
                try await User.create(User(name: "A", email: "a@x"), on: db)
                try await User.create(User(name: "B", email: "b@x"), on: db)
            }
            #expect(try await User.count(on: db) == 2)
            await #expect(throws: Boom.self) {
                try await db.transaction {
                    try await User.create(User(name: "C", email: "c@x"), on: db)
                    #expect(try await User.count(on: db) == 3)
                    throw Boom()
                }
            }
            #expect(try await User.count(on: db) == 2)
            #expect(!db.isInTransaction)
        }
    }

    @Test(arguments: Backend.allCases)
    func nestedTransactionsAreSavepoints(_ backend: Backend) async throws {
        try await withConnection(backend) { db, _ in
            try await db.transaction {
                try await User.create(User(name: "outer", email: "o@x"), on: db)
                await #expect(throws: Boom.self) {
                    try await db.transaction {
                        try await User.create(User(name: "inner", email: "i@x"), on: db)
                        throw Boom()
                    }
                }
                try await db.transaction {
                    try await User.create(User(name: "kept", email: "k@x"), on: db)
                    try await db.transaction { try await User.create(User(name: "deep", email: "d@x"), on: db) }
                }
            }
            #expect(try await User.order("name").on(db).pluck("name", as: String.self) == ["deep", "kept", "outer"])
        }
    }

    /// A unique violation inside a savepoint leaves the outer transaction usable.
    @Test(arguments: Backend.allCases)
    func aConstraintErrorInASavepointKeepsTheOuterWork(_ backend: Backend) async throws {
        try await withConnection(backend) { db, _ in
            try await db.transaction {
                try await User.create(User(name: "A", email: "a@x"), on: db)
                await expectRecordError(.recordNotUnique) {
                    try await db.transaction { _ = try await User.create(User(name: "A2", email: "a@x"), on: db) }
                }
                try await User.create(User(name: "B", email: "b@x"), on: db)
            }
            #expect(try await User.count(on: db) == 2)
        }
    }

    @Test(arguments: Backend.allCases)
    func cancellationMidTransactionRollsBack(_ backend: Backend) async throws {
        try await withConnection(backend) { db, _ in
            let inserted = AsyncStream<Void>.makeStream()
            let task = Task {
                try await db.transaction {
                    try await User.create(User(name: "doomed", email: "d@x"), on: db)
                    inserted.continuation.yield()
                    // Waits, bounded, for the cancellation.
                    for _ in 0..<500 where !Task.isCancelled { try? await Task.sleep(for: .milliseconds(10)) }
                }
            }
            for await _ in inserted.stream { break }
            task.cancel()
            let result = await task.result
            #expect(throws: (any Error).self) { try result.get() }
            #expect(try await User.count(on: db) == 0)
            // The connection still works afterwards.
            try await User.create(User(name: "after", email: "a@x"), on: db)
            #expect(try await User.count(on: db) == 1)
        }
    }

    struct Audited: Model {
        static let tableName = "users"
        static let log = EventLog()
        var id: Int64?
        var name: String
        var email: String
        func afterCommit(_ action: PersistenceAction) async { Self.log.add("commit \(action) \(name)") }
        func afterRollback(_ action: PersistenceAction) async { Self.log.add("rollback \(action) \(name)") }
    }

    @Test func afterCommitRunsOnlyAfterTheOuterCommit() async throws {
        try await withConnection(.local) { db, _ in
            let log = Audited.log
            try await Audited.create(Audited(name: "solo", email: "s@x"), on: db)
            #expect(log.events.last == "commit create solo")
            try await db.transaction {
                try await Audited.create(Audited(name: "one", email: "1@x"), on: db)
                try await db.transaction { try await Audited.create(Audited(name: "two", email: "2@x"), on: db) }
                try? await db.transaction {
                    try await Audited.create(Audited(name: "three", email: "3@x"), on: db)
                    throw Boom()
                }
                #expect(!log.events.contains("commit create one"))
                #expect(!log.events.contains("commit create two"))
                #expect(log.events.contains("rollback create three"))
            }
            #expect(log.events.suffix(2) == ["commit create one", "commit create two"])
            await #expect(throws: Boom.self) {
                try await db.transaction {
                    try await Audited.create(Audited(name: "four", email: "4@x"), on: db)
                    throw Boom()
                }
            }
            #expect(log.events.last == "rollback create four")
            #expect(!log.events.contains("commit create three"))
        }
    }

    /// N creates in a transaction: N statements plus the commit that closes the stream; `insertAll` of any size: 1.
    @Test func roundTrips() async throws {
        try await withConnection(.remote) { db, server in
            let server = try #require(server)
            try await User.create(User(name: "warm", email: "w@x"), on: db)
            let start = server.requestCount(path: "/v3/pipeline")
            try await db.transaction {
                for index in 0..<10 { try await User.create(User(name: "t\(index)", email: "t\(index)@x"), on: db) }
            }
            let transactionRequests = server.requestCount(path: "/v3/pipeline") - start
            #expect(transactionRequests == 11)

            let single = server.requestCount(path: "/v3/pipeline")
            try await User.create(User(name: "one", email: "one@x"), on: db)
            #expect(server.requestCount(path: "/v3/pipeline") - single == 1)

            for size in [1, 100, 20_000] {
                let before = server.requestCount(path: "/v3/pipeline")
                let rows = (0..<size).map { User(name: "bulk", email: "b\(size)-\($0)@x") }
                let stored = try await User.insertAll(rows, on: db)
                #expect(stored.count == size)
                #expect(server.requestCount(path: "/v3/pipeline") - before == 1)
            }
        }
    }
}
