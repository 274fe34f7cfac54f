import Foundation
import LibSQLClient
import LibSQLServer
import RecordAdapter
import Testing

struct Tag: Model, Equatable {
    var id: Int64?
    var name: String
    var uses: Int
}

/// The record layer against recorded exchanges of our server: no server runs unless recording.
@Suite struct RecordReplayTests {
    static let scenario = "records-crud"
    static var sourceFolder: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Recorded").appendingPathComponent(scenario)
    }

    /// The scenario; every value it produces is deterministic, so the replayed requests equal the recorded ones.
    static func run(_ db: RecordConnection) async throws {
        try await db.database.executeMultiple("CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, uses INTEGER NOT NULL DEFAULT 0)")
        var swift = try await Tag.create(Tag(name: "swift", uses: 1), on: db)
        #expect(swift.id == 1)
        #expect(try await Tag.find(1, on: db) == swift)
        try await swift.update(on: db) { $0.uses = 2 }
        #expect(try await Tag.where(Column("uses") >= 2).on(db).pluck("name", as: String.self) == ["swift"])
        try await db.transaction {
            try await Tag.create(Tag(name: "sql", uses: 0), on: db)
            _ = try? await db.transaction { try await Tag.create(Tag(name: "swift", uses: 9), on: db) }
        }
        let bulk = try await Tag.insertAll([Tag(name: "a", uses: 1), Tag(name: "b", uses: 2)], on: db)
        #expect(bulk.map(\.id) == [3, 4])
        let upserted = try await Tag.upsertAll([Tag(name: "a", uses: 10), Tag(name: "c", uses: 3)], uniqueBy: ["name"], onConflict: .update(["uses"]), on: db)
        #expect(upserted.map(\.name) == ["a", "c"] && upserted.map(\.uses) == [10, 3])
        await expectRecordError(.recordNotUnique) { try await Tag.create(Tag(name: "sql", uses: 0), on: db) }
        #expect(try await Tag.count(on: db) == 5)
        try await swift.destroy(on: db)
        #expect(try await Tag.order("name").on(db).pluck("name", as: String.self) == ["a", "b", "c", "sql"])
    }

    @Test func replaysWithoutAServer() async throws {
        if ProcessInfo.processInfo.environment["LIBSQL_RECORD_FIXTURES"] == "1" {
            try await withTemporaryDirectory { directory in
                let configuration = ServerConfiguration(databasePath: directory.appendingPathComponent("server.db").path, port: 0)
                try await HranaServer.withRunning(configuration) { server in
                    let recorder = try RecordingTransport(wrapping: AsyncHTTPClientTransport(), directory: Self.sourceFolder, scenario: Self.scenario)
                    let db = RecordConnection(try Database(url: server.url.absoluteString, transport: recorder))
                    try await Self.run(db)
                    await db.close()
                    try await recorder.shutdown()
                }
            }
            return
        }
        let folder = try #require(Bundle.module.resourceURL?.appendingPathComponent("Recorded").appendingPathComponent(Self.scenario))
        let replay = try ReplayTransport(directory: folder)
        #expect(replay.remaining > 10)
        let db = RecordConnection(try Database(url: "http://127.0.0.1:9/", transport: replay))
        try await Self.run(db)
        await db.close()
        #expect(replay.remaining == 0)
    }
}
