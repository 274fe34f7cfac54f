// This file imports LibSQLClient and nothing else of the package: it proves that a user needs no other import
// for values, errors, codes, transaction modes, results, transports and the connection protocol.
import Foundation
import LibSQLClient
import Testing

@Suite struct PublicSurfaceTests {
    struct User: Codable, Equatable {
        var id: Int64
        var name: String
        var score: Double?
    }

    /// Generic code over the protocol, as a repository or the record layer would write it.
    func insertUser(_ name: String, into db: some DatabaseConnection) async throws -> Int64? {
        try await db.execute("INSERT INTO users (name, score) VALUES (\(name), \(nil as Double?))").lastInsertRowID
    }

    @Test func theWholeAPIFromOneImport() async throws {
        try await withServer { server in
            var configuration = Database.Configuration(url: server.url.absoluteString)
            configuration.protocolVersion = ProtocolVersion.v3
            configuration.requestTimeout = .seconds(10)
            configuration.transport = AsyncHTTPClientTransport()
            let remote = try Database(configuration: configuration)
            let local = try Database(url: "file::memory:")
            for db in [remote, local] {
                try await db.executeMultiple("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, score REAL, data BLOB)")
                let id = try await insertUser("ada", into: db)
                #expect(id == 1)
                let values: [SQLValue] = [.null, .integer(1), .float(1.5), .text("t"), .blob(Data([1]))]
                let echoed = try await db.execute("SELECT ?, ?, ?, ?, ?", values)
                #expect(echoed.rows[0].values == values)
                try await db.execute(Statement("UPDATE users SET score = :s WHERE id = :id", named: ["s": 2.5, "id": 1]))
                let users: [User] = try await db.execute("SELECT id, name, score FROM users").decode()
                #expect(users == [User(id: 1, name: "ada", score: 2.5)])
                let row = try #require(try await db.execute("SELECT name FROM \(raw: "users")").rows.first)
                #expect(try row.get("name", as: String.self) == "ada")
                let name: String = try row[0]
                #expect(name == "ada")

                let modes: [TransactionMode] = [.write, .read, .deferred]
                for mode in modes {
                    try await db.transaction(mode) { (tx: Transaction) in
                        _ = try await tx.execute("SELECT count(*) FROM users")
                    }
                }
                let error: LibSQLError? = await expectLibSQLError { try await db.execute("INSERT INTO users (name) VALUES ('ada')") }
                let code: ErrorCode? = error?.code
                #expect(code == ErrorCode.sqliteConstraint)
                #expect(error?.constraint == ConstraintKind.unique)
                #expect(error?.isSQLError == false)
                let clientCodes: [ErrorCode] = [.clientClosed, .cancelled, .timeout, .connectionError, .transactionClosed]
                #expect(Set(clientCodes).count == 5)

                var count = 0
                let rows: RowSequence = db.query("SELECT id FROM users")
                for try await _ in rows { count += 1 }
                #expect(count == 1)
                await db.close()
            }
            try await configuration.transport?.shutdown()
        }
    }

    @Test func transportsForRecordedFixturesAreVisible() throws {
        let types: [any HTTPTransport.Type] = [
            AsyncHTTPClientTransport.self, URLSessionTransport.self, RecordingTransport.self, ReplayTransport.self,
        ]
        #expect(types.count == 4)
    }
}
