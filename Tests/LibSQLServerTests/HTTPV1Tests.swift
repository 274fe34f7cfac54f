import Foundation
import Hrana
import Testing
@testable import LibSQLServer

/// sqld's stateless HTTP API v1: `GET /v1`, `POST /v1/execute`, `POST /v1/batch`.
@Suite("HTTP API v1")
struct HTTPV1Tests {
    @Test("the probe, and one statement per request with its result under \"result\"")
    func execute() async throws {
        try await ServerHarness.withServer { harness in
            let probe = try await harness.request(.GET, "/v1")
            #expect(probe.status == 200)
            #expect(probe.text == V1Endpoint.probeText)
            #expect(try await harness.post("/v1/execute", json: #"{"stmt":{"sql":"CREATE TABLE t(x INTEGER UNIQUE)"}}"#).status == 200)
            let insert = try await harness.post(
                "/v1/execute", json: #"{"stmt":{"sql":"INSERT INTO t VALUES (?)","args":[{"type":"integer","value":"7"}]}}"#)
            #expect(insert.status == 200, "\(insert.text)")
            #expect(insert.contentType == "application/json")
            let inserted = try #require(try insert.json()["result"] as? [String: Any])
            #expect(inserted["affected_row_count"] as? Int == 1)
            #expect(inserted["last_insert_rowid"] as? String == "1")
            let select = try await harness.post("/v1/execute", json: #"{"stmt":{"sql":"SELECT x FROM t"}}"#)
            let result = try #require(try select.json()["result"] as? [String: Any])
            let rows = try #require(result["rows"] as? [[[String: Any]]])
            #expect(rows.count == 1)
            #expect(rows.first?.first?["value"] as? String == "7")
            // Stateless: a BEGIN ends with its request, so the next statement autocommits.
            #expect(try await harness.post("/v1/execute", json: #"{"stmt":{"sql":"BEGIN"}}"#).status == 200)
            #expect(try await harness.post("/v1/execute", json: #"{"stmt":{"sql":"INSERT INTO t VALUES (8)"}}"#).status == 200)
            #expect(try await harness.query("SELECT count(*) FROM t").rows == [[.integer(2)]])
        }
    }

    @Test("statement errors are statuses with a Hrana Error body, as in sqld")
    func errors() async throws {
        try await ServerHarness.withServer { harness in
            _ = try await harness.query("CREATE TABLE t(x INTEGER UNIQUE)")
            _ = try await harness.query("INSERT INTO t VALUES (1)")
            let cases: [(String, Int, String)] = [
                (#"{"stmt":{"sql":"SELEC 1"}}"#, 400, "SQL_INPUT_ERROR"),
                (#"{"stmt":{"sql":"SELECT 1; SELECT 2"}}"#, 400, "SQL_MANY_STATEMENTS"),
                (#"{"stmt":{"sql":""}}"#, 400, "SQL_NO_STATEMENT"),
                (#"{"stmt":{"sql":"SELECT ?, :a","args":[{"type":"null"}],"named_args":[{"name":":a","value":{"type":"null"}}]}}"#,
                 501, "ARGS_BOTH_POSITIONAL_AND_NAMED"),
                (#"{"stmt":{"sql":"INSERT INTO t VALUES (1)"}}"#, 500, "SQLITE_CONSTRAINT"),
            ]
            for (body, status, code) in cases {
                let response = try await harness.post("/v1/execute", json: body)
                #expect(response.status == status, "\(body): \(response.status) \(response.text)")
                #expect(response.contentType == "application/json")
                #expect(try response.json()["code"] as? String == code, "\(body): \(response.text)")
            }
            let malformed = try await harness.post("/v1/execute", json: #"{"stmt":{}}"#)
            #expect(malformed.status == 400)
            #expect(try await harness.request(.GET, "/v1/execute").status == 405)
        }
    }

    @Test("a batch runs its steps with conditions; step errors stay in the result")
    func batch() async throws {
        try await ServerHarness.withServer { harness in
            let response = try await harness.post("/v1/batch", json: #"""
                {"batch":{"steps":[
                  {"stmt":{"sql":"CREATE TABLE t(x)"}},
                  {"stmt":{"sql":"INSERT INTO t VALUES (1)"},"condition":{"type":"ok","step":0}},
                  {"stmt":{"sql":"SELECT nope"}},
                  {"stmt":{"sql":"SELECT count(*) FROM t"},"condition":{"type":"error","step":2}}
                ]}}
                """#)
            #expect(response.status == 200, "\(response.text)")
            let result = try #require(try response.json()["result"] as? [String: Any])
            let stepResults = try #require(result["step_results"] as? [Any])
            let stepErrors = try #require(result["step_errors"] as? [Any])
            #expect(stepResults.count == 4)
            #expect(stepResults[2] is NSNull)
            #expect(stepErrors[2] is [String: Any])
            let last = try #require(stepResults[3] as? [String: Any])
            #expect((last["rows"] as? [[[String: Any]]])?.first?.first?["value"] as? String == "1")
            let badCondition = try await harness.post(
                "/v1/batch", json: #"{"batch":{"steps":[{"stmt":{"sql":"SELECT 1"},"condition":{"type":"ok","step":5}}]}}"#)
            #expect(badCondition.status == 400)
        }
    }
}
