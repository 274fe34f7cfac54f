import Foundation
import LibSQLClient
import Testing

/// The client against the reference Hrana server that we did not write (`libsql/hrana-test-server`,
/// `server_v3.py`), which must be started by hand: it is not vendored, so this suite is disabled unless
/// `HRANA_TEST_SERVER_URL` names it (`ws://127.0.0.1:PORT`), with `HRANA_TEST_SERVER_ENCODING=protobuf` when it
/// runs with `ENCODING=protobuf`, and `HRANA_TEST_SERVER_WIRE=http` with an `http://` URL for Hrana over HTTP.
/// See `Docs/Testing.md`.
@Suite("the client against the reference Hrana server over WebSocket",
       .enabled(if: ReferenceServer.url != nil, "set HRANA_TEST_SERVER_URL to a running hrana-test-server"))
struct ReferenceServerTests {
    static func withDatabase(_ body: (Database) async throws -> Void) async throws {
        let url = try #require(ReferenceServer.url)
        let db = try Database(configuration: .init(
            url: url, requestTimeout: .seconds(10), encoding: ReferenceServer.encoding, wire: ReferenceServer.wire))
        do {
            try await body(db)
        } catch {
            await db.close()
            throw error
        }
        await db.close()
    }

    @Test("values of every type round-trip through bound arguments, positional and named")
    func values() async throws {
        try await Self.withDatabase { db in
            let table = "v\(UInt32.random(in: 0...UInt32.max))"
            try await db.execute("CREATE TABLE \(raw: table) (i INTEGER, r REAL, t TEXT, b BLOB, n)")
            let blob = Data([0, 1, 254, 255])
            let inserted = try await db.execute(
                "INSERT INTO \(raw: table) VALUES (\(Int64.max), \(-0.5), \("héllo ✓"), \(blob), \(nil as String?))")
            #expect(inserted.rowsAffected == 1)
            try await db.execute("INSERT INTO \(raw: table) (i, t) VALUES (:i, :t)", named: [":i": Int64(-7), ":t": "named"])
            let rows = try await db.execute("SELECT i, r, t, b, n FROM \(raw: table) ORDER BY rowid")
            #expect(rows.columns == ["i", "r", "t", "b", "n"])
            #expect(try rows.rows.first.unwrap().get(0, as: Int64.self) == Int64.max)
            #expect(try rows.rows.first.unwrap().get(1, as: Double.self) == -0.5)
            #expect(try rows.rows.first.unwrap().get(2, as: String.self) == "héllo ✓")
            #expect(try rows.rows.first.unwrap().get(3, as: Data.self) == blob)
            #expect(try rows.rows.first.unwrap().get(4, as: String?.self) == nil)
            #expect(try rows.rows.dropFirst().first.unwrap().get(0, as: Int64.self) == -7)
            #expect(try rows.rows.dropFirst().first.unwrap().get(2, as: String.self) == "named")
        }
    }

    @Test("batches, write transactions that commit and roll back, and a cursor of 2,000 rows")
    func batchesTransactionsCursors() async throws {
        try await Self.withDatabase { db in
            let table = "t\(UInt32.random(in: 0...UInt32.max))"
            try await db.executeMultiple("CREATE TABLE \(table) (x INTEGER); INSERT INTO \(table) VALUES (1);")
            let results = try await db.batch(["INSERT INTO \(raw: table) VALUES (2)", "SELECT count(*) FROM \(raw: table)"], mode: .write)
            #expect(try results[1].rows.first.unwrap().get(0, as: Int64.self) == 2)
            try await db.transaction(.write) { tx in
                try await tx.execute("INSERT INTO \(raw: table) VALUES (3)")
                #expect(try await tx.execute("SELECT count(*) FROM \(raw: table)").rows.first.unwrap().get(0, as: Int64.self) == 3)
            }
            await #expect(throws: CancellationError.self) {
                try await db.transaction(.write) { tx in
                    try await tx.execute("DELETE FROM \(raw: table)")
                    throw CancellationError()
                }
            }
            #expect(try await db.execute("SELECT count(*) FROM \(raw: table)").rows.first.unwrap().get(0, as: Int64.self) == 3)
            var count = 0
            var sum: Int64 = 0
            for try await row in db.query("""
                WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 2000) SELECT i FROM c
                """) {
                count += 1
                sum += try row.get(0, as: Int64.self)
            }
            #expect(count == 2000)
            #expect(sum == 2000 * 2001 / 2)
        }
    }

    @Test("a statement error is a typed SQL error and the socket keeps serving")
    func errors() async throws {
        try await Self.withDatabase { db in
            do {
                _ = try await db.execute("SELEC 1")
                Issue.record("a syntax error succeeded")
            } catch let error as LibSQLError {
                #expect(error.isSQLError, "\(error)")
            }
            #expect(try await db.execute("SELECT 42").rows.first.unwrap().get(0, as: Int64.self) == 42)
        }
    }
}

/// Where the reference server runs, from the environment.
enum ReferenceServer {
    static let url = ProcessInfo.processInfo.environment["HRANA_TEST_SERVER_URL"]
    static let encoding: Database.Configuration.Encoding =
        ProcessInfo.processInfo.environment["HRANA_TEST_SERVER_ENCODING"] == "protobuf" ? .protobuf : .json
    /// WebSocket unless `HRANA_TEST_SERVER_WIRE=http` (then give an `http://` URL).
    static let wire: Database.Configuration.Wire =
        ProcessInfo.processInfo.environment["HRANA_TEST_SERVER_WIRE"] == "http" ? .http : .webSocket
}

extension Optional where Wrapped == Row {
    /// The row, or an error that the test records instead of trapping on a missing row.
    func unwrap(sourceLocation: SourceLocation = #_sourceLocation) throws -> Row {
        try #require(self, "no row", sourceLocation: sourceLocation)
    }
}
