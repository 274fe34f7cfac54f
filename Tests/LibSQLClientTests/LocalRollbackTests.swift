import Foundation
@testable import LibSQLClient
import LogCapture
import Logging
import Synchronization
import Testing

@Suite struct LocalRollbackTests {
    @Test("a ROLLBACK that fails is logged and the connection is replaced, so the next call is not inside the dead transaction")
    func failedRollback() async throws {
        try await withTemporaryDirectory { directory in
            let handler = CapturingLogHandler()
            let db = try Database(
                url: "file:" + directory.appendingPathComponent("rollback.db").path, logger: Logger(label: "test") { _ in handler })
            let backend = try #require(db.backend as? LocalBackend)
            try await db.execute("CREATE TABLE t (x INT)")
            struct Abandon: Error {}
            await #expect(throws: Abandon.self) {
                try await db.transaction { tx in
                    try await tx.execute("INSERT INTO t VALUES (1)")
                    // From now on every statement of this connection is interrupted, ROLLBACK included.
                    try await backend.database.run { $0.setProgressHandler(every: 1) { true } }
                    throw Abandon()
                }
            }
            #expect(handler.lines.contains { $0.contains("ROLLBACK failed") })
            #expect(try await db.execute("SELECT count(*) FROM t").rows[0][0] == .integer(0))
            try await db.execute("INSERT INTO t VALUES (2)")
            await db.close()
            let reopened = try Database(url: "file:" + directory.appendingPathComponent("rollback.db").path)
            #expect(try await reopened.execute("SELECT x FROM t").rows.map { $0[0] } == [.integer(2)])
            await reopened.close()
        }
    }
}
