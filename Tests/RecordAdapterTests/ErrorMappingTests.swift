import Foundation
import LibSQLClient
import RecordAdapter
import Testing

@Suite struct ErrorMappingTests {
    @Test(arguments: Backend.allCases)
    func constraintFailuresMapByCodeAndKind(_ backend: Backend) async throws {
        try await withConnection(backend) { db, _ in
            let alice = try await User.create(User(name: "Alice", email: "a@x"), on: db)

            let unique = await expectRecordError(.recordNotUnique) { try await User.create(User(name: "Other", email: "a@x"), on: db) }
            #expect(unique?.underlying?.code == .sqliteConstraint)
            #expect(unique?.underlying?.constraint == .unique)
            #expect(unique?.sql?.hasPrefix("INSERT INTO \"users\"") == true)

            await expectRecordError(.recordNotUnique) {
                try await User.create(User(id: alice.id, name: "Same id", email: "b@x"), on: db)
            }
            let notNull = await expectRecordError(.notNullViolation) {
                try await db.execute("INSERT INTO users (name, email) VALUES (\("n"), NULL)")
            }
            #expect(notNull?.underlying?.constraint == .notNull)
            if backend == .local {
                let foreignKey = await expectRecordError(.invalidForeignKey) {
                    try await Post.create(Post(userId: 999, title: "orphan"), on: db)
                }
                #expect(foreignKey?.underlying?.constraint == .foreignKey)
            } else {
                // The server enforces foreign keys only on a connection that turned them on: one stream here.
                do {
                    try await db.database.executeMultiple("PRAGMA foreign_keys = ON; INSERT INTO posts (user_id, title) VALUES (999, 'orphan')")
                    Issue.record("The orphan post was accepted")
                } catch let error as LibSQLError {
                    #expect(RecordError(error).kind == .invalidForeignKey)
                    #expect(error.constraint == .foreignKey)
                }
            }
            await expectRecordError(.checkViolation) { try await User.create(User(name: "Neg", email: "n@x", age: -1), on: db) }
            let invalid = await expectRecordError(.statementInvalid) { try await db.execute("SELECT * FROM no_such_table") }
            #expect(invalid?.sql == "SELECT * FROM no_such_table")
            #expect(invalid?.underlying != nil)
        }
    }

    @Test func connectionFailuresAndSecretsStayOut() async throws {
        // Port 9 (discard) on loopback: nothing listens, so the connection is refused (retried for one second).
        let transport = AsyncHTTPClientTransport(connectTimeout: .seconds(1))
        let db = RecordConnection(try Database(url: "http://127.0.0.1:9", authToken: "super-secret-token", transport: transport))
        let error = await expectRecordError(.connectionNotEstablished) { _ = try await User.count(on: db) }
        #expect(error?.description.contains("super-secret-token") == false)
        #expect("\(String(describing: error?.underlying))".contains("super-secret-token") == false)
        await db.close()
        try await transport.shutdown()
        await expectRecordError(.connectionNotEstablished) {
            _ = try await RecordConnection.open(ConnectionConfiguration(database: "ftp://example.com", token: "super-secret-token"))
        }
    }

    @Test func everyKindHasAReadableDescription() {
        for kind in RecordError.Kind.allCases {
            let error = RecordError(kind, "message", sql: "SELECT 1")
            #expect(error.description == "\(kind.rawValue): message in \"SELECT 1\"")
        }
    }
}
