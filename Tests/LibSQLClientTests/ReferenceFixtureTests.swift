import Fixtures
import Foundation
import LibSQLClient
import Testing

/// Replays the reference Python server's recorded exchanges (`Fixtures.hranaTestServer`) to the client where
/// the client sends the same request: autocommit `execute` + `close`, and libsql-client-ts shaped batches.
@Suite("reference server fixtures")
struct ReferenceFixtureTests {
    static func object(_ url: URL) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] ?? [:]
    }

    static func value(_ json: Any) throws -> SQLValue {
        try JSONDecoder().decode(SQLValue.self, from: JSONSerialization.data(withJSONObject: json))
    }

    static func statement(_ stmt: [String: Any]) throws -> Statement {
        let sql = stmt["sql"] as? String ?? ""
        if let named = stmt["named_args"] as? [[String: Any]], !named.isEmpty {
            var arguments: [String: SQLValue] = [:]
            for arg in named { arguments[arg["name"] as? String ?? ""] = try value(arg["value"] as Any) }
            return Statement(sql: sql, arguments: .named(arguments))
        }
        let args = try (stmt["args"] as? [Any] ?? []).map(value)
        return Statement(sql: sql, arguments: .positional(args))
    }

    @Test("autocommit executes match the reference server's answers", arguments: ["v2", "v3"])
    func executes(version: String) async throws {
        var checked = 0
        for file in try Fixtures.jsonFiles(in: Fixtures.hranaTestServer(version)) {
            let fixture = try Self.object(file)
            guard fixture["status"] as? Int == 200, let body = fixture["request_body"] as? [String: Any],
                  body["baton"] == nil || body["baton"] is NSNull,
                  let requests = body["requests"] as? [[String: Any]], requests.count == 2,
                  requests[0]["type"] as? String == "execute", requests[1]["type"] as? String == "close",
                  let stmt = requests[0]["stmt"] as? [String: Any], stmt["want_rows"] as? Bool != false,
                  let response = fixture["response_body"] as? [String: Any],
                  let results = response["results"] as? [[String: Any]]
            else { continue }
            let replay = ReplayTransport(exchanges: [try RecordedExchange(contentsOf: file)], mode: .matching)
            let db = try Database(configuration: .init(
                url: "http://127.0.0.1:9", transport: replay, protocolVersion: version == "v3" ? .v3 : .v2))
            let statement = try Self.statement(stmt)
            if results[0]["type"] as? String == "ok" {
                let result = try #require(((results[0]["response"] as? [String: Any])?["result"]) as? [String: Any])
                let rs = try await db.execute(statement)
                let rows = try (result["rows"] as? [[Any]] ?? []).map { try $0.map(Self.value) }
                #expect(rs.rows.map(\.values) == rows, "\(file.lastPathComponent)")
                #expect(rs.columns == (result["cols"] as? [[String: Any]] ?? []).map { $0["name"] as? String ?? "" })
                #expect(rs.rowsAffected == result["affected_row_count"] as? Int)
            } else {
                let expected = (results[0]["error"] as? [String: Any])?["code"] as? String
                let error = await expectLibSQLError { try await db.execute(statement) }
                if let expected {
                    #expect(error?.code == (ErrorCode(expected).primary ?? ErrorCode(expected)), "\(file.lastPathComponent)")
                }
                #expect(error?.sql == statement.sql)
            }
            #expect(replay.remaining == 0)
            await db.close()
            checked += 1
        }
        #expect(checked >= 15, "only \(checked) fixtures had the autocommit shape")
    }

    @Test("libsql-client-ts batches: the client sends the same batch and reads commit and rollback alike")
    func lctsBatches() async throws {
        let cases = [("v2", "037-lcts-batch-commit.json", ProtocolVersion.v2), ("v2", "039-lcts-batch-rollback.json", .v2),
                     ("v3", "064-lcts-v3-batch-commit.json", .v3), ("v3", "066-lcts-v3-batch-rollback.json", .v3)]
        for (folder, name, version) in cases {
            let file = Fixtures.hranaTestServer(folder).appendingPathComponent(name)
            let fixture = try Self.object(file)
            let requests = try #require((fixture["request_body"] as? [String: Any])?["requests"] as? [[String: Any]])
            let steps = try #require((requests[0]["batch"] as? [String: Any])?["steps"] as? [[String: Any]])
            let statements = try steps.dropFirst().dropLast(2).map { try Self.statement($0["stmt"] as? [String: Any] ?? [:]) }
            let replay = ReplayTransport(exchanges: [try RecordedExchange(contentsOf: file)], mode: .matching)
            let db = try Database(configuration: .init(url: "http://127.0.0.1:9", transport: replay, protocolVersion: version))
            let result = (((fixture["response_body"] as? [String: Any])?["results"] as? [[String: Any]])?.first?["response"]
                as? [String: Any])?["result"] as? [String: Any]
            let errors = result?["step_errors"] as? [Any] ?? []
            if let failing = errors.firstIndex(where: { !($0 is NSNull) }) {
                let error = await expectLibSQLError { try await db.batch(statements, mode: .write) }
                #expect(error?.statementIndex == failing - 1, "\(name)")
            } else {
                let results = try await db.batch(statements, mode: .write)
                #expect(results.count == statements.count, "\(name)")
            }
            #expect(replay.remaining == 0, "\(name): the client's batch differs from libsql-client-ts's")
            await db.close()
        }
    }
}
