import Foundation
import LibSQLClient
import LogCapture
import Logging
import RecordAdapter
import Synchronization
import Testing

@Suite struct LoggingTests {
    @Test func everyStatementIsLoggedAtDebugWithItsDurationAndNoValues() async throws {
        try await withTemporaryDirectory { directory in
            let handler = CapturingLogHandler()
            let logger = Logger(label: "records-test") { _ in handler }
            let database = try Database(url: "file:" + directory.appendingPathComponent("log.db").path)
            let db = RecordConnection(database, logger: logger)
            try await database.executeMultiple(blogSchema)
            try await User.create(User(name: "Secret Name", email: "secret@example.com"), on: db)
            _ = try await User.where(["email": "secret@example.com"]).on(db).first()
            _ = try? await db.execute("SELECT nope FROM nowhere")
            let entries = handler.entries
            #expect(entries.count == 3)
            #expect(entries.allSatisfy { $0.level == .debug && $0.metadata["duration_ms"].flatMap(Double.init) != nil })
            #expect(entries[0].message.hasPrefix("INSERT INTO \"users\""))
            #expect(entries[1].message.hasPrefix("SELECT * FROM \"users\" WHERE"))
            #expect(entries[2].metadata["error"]?.contains("no such") == true)
            let everything = entries.map { $0.message + $0.metadata.description }.joined()
            #expect(!everything.contains("secret@example.com") && !everything.contains("Secret Name"))
            await db.close()
        }
    }
}
