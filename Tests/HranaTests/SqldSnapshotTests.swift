import Fixtures
import Foundation
import Hrana
import Testing

/// Real sqld bodies from its snapshot files decode where they are Hrana messages.
@Suite("sqld snapshots")
struct SqldSnapshotTests {
    /// The snapshot body after the YAML header.
    static func body(_ name: String) throws -> String {
        let text = try String(contentsOf: Fixtures.sqldSnapshots.appendingPathComponent(name), encoding: .utf8)
        let parts = text.components(separatedBy: "\n---\n")
        return try #require(parts.count >= 2 ? parts.dropFirst().joined(separator: "\n---\n") : nil)
    }

    /// The HTTP body the Rust client printed after `body=`.
    static func httpBody(_ name: String) throws -> Data {
        let text = try body(name)
        let start = try #require(text.range(of: "body=")).upperBound
        let rest = text[start...]
        let body: Substring
        if rest.hasPrefix("{") {
            let end = try #require(rest.lastIndex(of: "}"))
            body = rest[...end]
        } else {
            body = rest.prefix { $0 != "`" && $0 != "\"" && $0 != "\n" }
        }
        return Data(body.replacingOccurrences(of: "\\\"", with: "\"").utf8)
    }

    /// The `Error { message, code }` printed by the Rust client's `Debug`.
    static func streamError(_ name: String) throws -> ProtocolError {
        let text = try body(name)
        let message = try #require(text.firstMatch(of: /message: "((?:[^"\\]|\\.)*)"/)).1
        let code = try #require(text.firstMatch(of: /code: "([A-Z_]+)"/)).1
        return ProtocolError(message: String(message).replacingOccurrences(of: "\\\"", with: "\""), code: String(code))
    }

    @Test("stats: a real sqld pipeline response with its extra keys")
    func stats() throws {
        let response = try HranaJSON.decode(PipelineResponse.self, from: Data(try Self.body("tests__hrana__batch__stats.snap").utf8))
        #expect(response.baton == nil)
        #expect(response.baseURL == nil)
        let results = response.results.compactMap { result -> StmtResult? in
            if case .ok(.execute(let stmtResult)) = result { return stmtResult }
            return nil
        }
        try #require(results.count == 3)
        #expect(results.map(\.lastInsertRowID) == [nil, 1, nil])
        #expect(results.map(\.affectedRowCount) == [0, 1, 0])
        #expect(results.map(\.replicationIndex) == [1, 2, 2])
        #expect(results.map(\.rowsRead) == [1, 0, 1])
        #expect(results.map(\.rowsWritten) == [2, 1, 0])
        #expect(results[2].cols == [Column(name: "x", decltype: "INT")])
        #expect(results[2].rows == [[.integer(42)]])
    }

    @Test("sample_request: a v1 batch result with a batch-level replication index")
    func sampleRequest() throws {
        struct V1Batch: Decodable { var result: BatchResult }
        let body = try HranaJSON.decode(V1Batch.self, from: Data(try Self.body("tests__hrana__batch__sample_request.snap").utf8))
        #expect(body.result.replicationIndex == 1)
        #expect(body.result.stepResults.count == 1)
        #expect(body.result.stepResults[0]?.replicationIndex == nil)
        #expect(body.result.stepResults[0]?.rowsWritten == 2)
        #expect(body.result.stepErrors == [nil])
    }

    @Test("stats_legacy is not a Hrana message")
    func legacy() throws {
        #expect(throws: HranaCodingError.self) {
            try HranaJSON.decode(PipelineResponse.self, from: Data(try Self.body("tests__hrana__batch__stats_legacy.snap").utf8))
        }
    }

    @Test("expired stream: HTTP 400 with a Hrana error body", arguments: [
        "tests__hrana__batch__server_timeout.snap", "tests__hrana__batch__server_restart_timeout.snap",
    ])
    func expired(file: String) throws {
        let error = try #require(ProtocolError(httpErrorBody: try Self.httpBody(file)))
        #expect(error.errorCode == .streamExpired)
        #expect(error.message == "The stream has expired due to inactivity")
    }

    @Test("invalid baton: a plain-text body is not a Hrana error", arguments: [
        "tests__hrana__batch__server_restart_query_execute_invalid_baton.snap",
        "tests__hrana__batch__server_restart_txn_execute_execute_invalid_baton.snap",
        "tests__hrana__batch__server_restart_txn_execute_query_invalid_baton.snap",
        "tests__hrana__batch__server_restart_txn_query_execute_invalid_baton.snap",
    ])
    func invalidBaton(file: String) throws {
        let body = try Self.httpBody(file)
        #expect(String(decoding: body, as: UTF8.self) == "Received an invalid baton")
        #expect(ProtocolError(httpErrorBody: body) == nil)
    }

    @Test("sqld {\"error\": ...} bodies read as code-less errors", arguments: [
        ("tests__cluster__create_namespace.snap", "Namespace `foo` doesn't exist"),
        ("tests__standalone__attach__attach_no_auth.snap", "Authorization forbidden: Namespace `foo` doesn't allow attach"),
        ("tests__standalone__attach__attach_auth.snap", "Authorization forbidden: Current session doesn't not have AttachRead permission to namespace foo"),
        ("tests__cluster__replication__replica_lazy_creation.snap", "Replicator error: Requested namespace doesn't exist"),
    ])
    func wrappedErrors(file: String, message: String) throws {
        let error = try #require(ProtocolError(httpErrorBody: try Self.httpBody(file)))
        #expect(error.message == message)
        #expect(error.code == nil)
    }

    @Test("basic_query_fail: sqld's primary-only constraint code classifies from the message")
    func basicQueryFail() throws {
        let error = try Self.streamError("tests__standalone__basic_query_fail.snap")
        #expect(error.errorCode == .sqliteConstraint)
        #expect(error.constraint == .unique)
        #expect(error.message == "SQLite error: UNIQUE constraint failed: test.x")
    }

    @Test("schema migration errors keep their code and are not constraint errors", arguments: [
        "tests__namespaces__shared_schema__no_job_created_when_migration_job_is_invalid.snap",
        "tests__namespaces__shared_schema__dry_run_failure.snap",
        "tests__namespaces__shared_schema__conflicting_data_migration-3.snap",
        "tests__namespaces__shared_schema__attach_in_migration_is_forbidden.snap",
        "tests__namespaces__shared_schema__migration_contains_txn_statements.snap",
    ])
    func schemaMigration(file: String) throws {
        let error = try Self.streamError(file)
        #expect(error.errorCode == .schemaMigrationError)
        #expect(error.errorCode?.isKnown == true)
        #expect(error.constraint == nil)
        #expect(!error.isSQLError)
    }
}
