import CSQLite
import Foundation
import Hrana
import Logging
import SQLiteCore
import Testing
@testable import LibSQLServer

extension EngineTests {
    /// Failures on paths that used to drop them: they must end in an error, never in a fake result or a
    /// transaction left open.
    @Suite struct ErrorPathTests {
        @Test func aFailedRollbackClosesTheConnectionAndReleasesTheWriteLock() throws {
            let harness = try EngineHarness()
            let configuration = harness.database.configuration
            let connection = try SQLiteConnection(path: configuration.databasePath)
            let engine = StreamExecution(
                connection: connection, configuration: configuration, control: StreamControl(),
                logger: Logger(label: "error-path-tests"))
            for sql in ["CREATE TABLE t(a)", "BEGIN IMMEDIATE", "INSERT INTO t VALUES (1)"] {
                let result = try engine.handle(.execute(Stmt(sql: sql)), version: .v3)
                guard case .ok = result else {
                    Issue.record("\(sql): \(result)")
                    return
                }
            }
            // Deny every transaction statement, so that ROLLBACK fails to prepare with SQLITE_AUTH.
            sqlite3_set_authorizer(
                connection.handle, { _, action, _, _, _, _ in action == SQLITE_TRANSACTION ? SQLITE_DENY : SQLITE_OK },
                nil)
            engine.rollback()
            #expect(engine.isClosed)
            #expect(connection.isClosed)
            #expect(throws: StreamFailure.self) { try engine.handle(.execute(Stmt(sql: "SELECT 1")), version: .v3) }

            let other = try harness.openStream()
            try other.query("INSERT INTO t VALUES (2)")
            #expect(try other.scalar("SELECT count(*) FROM t") == .integer(1))
        }

        @Test func aPipelineResponseThatCannotBeEncodedIsA500() throws {
            let response = PipelineResponse(baton: nil, baseURL: nil, results: [.ok(.close)])
            let failed = ResponseEncoding.httpResponse(response, acceptsGzip: false) { _ throws(HranaCodingError) in
                throw HranaCodingError(message: "cannot encode", path: "results[0]")
            }
            #expect(failed.status == .internalServerError)
            #expect(failed.headers[.contentType] == "application/json")
            let encoded = ResponseEncoding.httpResponse(response, acceptsGzip: false)
            #expect(encoded.status == .ok)
        }
    }
}
