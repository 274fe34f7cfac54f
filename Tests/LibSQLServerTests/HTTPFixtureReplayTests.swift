import Fixtures
import Foundation
import Hrana
import LibSQLServer
import Testing

/// Replays the reference server's recorded exchanges in order against a fresh server and compares the
/// portable facts (Tests/Fixtures/README.md §4). The reference server's 500s must be 400s here.
@Suite("Fixture replay over HTTP")
struct HTTPFixtureReplayTests {
    @Test("hrana-test-server exchanges", arguments: ["v2", "v3"])
    func replay(version: String) async throws {
        let files = try Fixtures.jsonFiles(in: Fixtures.hranaTestServer(version))
        #expect(files.count > 60)
        try await ServerHarness.withServer { harness in
            var batons: [String: String] = [:]
            for file in files {
                let number = String(file.lastPathComponent.prefix(3))
                let exchange = try #require(
                    try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
                let method = try #require(exchange["method"] as? String)
                let path = try #require(exchange["path"] as? String)
                let status = try #require(exchange["status"] as? Int)
                let context = "\(version)/\(file.lastPathComponent)"
                if method == "GET" {
                    let response = try await harness.request(.GET, path)
                    #expect(response.status < 500, "\(context)")
                    if ["/v2", "/v3", "/health"].contains(path) { #expect(response.status == 200, "\(context)") }
                    continue
                }
                var body = try #require(exchange["request_body"] as? [String: Any])
                if let from = exchange["baton_from"] as? String {
                    body["baton"] = try #require(batons[from], "\(context): no baton from \(from)") as String
                }
                let response = try await harness.request(.POST, path, body: try JSONSerialization.data(withJSONObject: body))
                if number == "059" {
                    // Unpadded base64, which only the reference server rejects (sqld accepts it, as we do).
                    #expect(response.status == 200, "\(context): \(response.text)")
                    continue
                }
                guard status == 200 else {
                    #expect(response.status == 400, "\(context): \(response.status) \(response.text)")
                    continue
                }
                #expect(response.status == 200, "\(context): \(response.text)")
                guard response.status == 200 else { continue }
                if path.hasSuffix("/cursor") {
                    let expected = try #require(exchange["response_body"] as? String)
                    let (header, entries) = try Self.cursorLines(response.text)
                    let (_, expectedEntries) = try Self.cursorLines(expected)
                    batons[number] = header.baton
                    Self.compare(entries, expectedEntries, request: body, context: context)
                } else {
                    let expected = try HranaJSON.decode(
                        PipelineResponse.self,
                        from: JSONSerialization.data(withJSONObject: try #require(exchange["response_body"])))
                    let actual = try response.pipeline()
                    batons[number] = actual.baton
                    let requests = try HranaJSON.decode(PipelineRequest.self, from: JSONSerialization.data(withJSONObject: body))
                    Self.compare(actual, expected, requests: requests.requests, context: context)
                }
            }
        }
    }

    static func cursorLines(_ text: String) throws -> (CursorResponse, [CursorEntry]) {
        let lines = text.split(separator: "\n")
        let header = try HranaJSON.decode(CursorResponse.self, from: Data(try #require(lines.first).utf8))
        return (header, try lines.dropFirst().map { try HranaJSON.decode(CursorEntry.self, from: Data($0.utf8)) })
    }

    static func isInsert(_ sql: String?) -> Bool {
        guard let sql else { return false }
        let trimmed = sql.trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
        return trimmed.hasPrefix("INSERT") || trimmed.hasPrefix("REPLACE")
    }

    static func isDML(_ sql: String?) -> Bool {
        guard let sql else { return false }
        let trimmed = sql.trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
        return ["INSERT", "UPDATE", "DELETE", "REPLACE"].contains { trimmed.hasPrefix($0) }
    }

    static func compare(_ actual: StmtResult, _ expected: StmtResult, sql: String?, context: String) {
        #expect(actual.cols == expected.cols, "\(context): cols")
        #expect(actual.rows == expected.rows, "\(context): rows")
        if isDML(sql) { #expect(actual.affectedRowCount == expected.affectedRowCount, "\(context): affected rows") }
        if isInsert(sql) { #expect(actual.lastInsertRowID == expected.lastInsertRowID, "\(context): rowid") }
    }

    static func compare(_ actual: PipelineResponse, _ expected: PipelineResponse, requests: [StreamRequest], context: String) {
        #expect((actual.baton == nil) == (expected.baton == nil), "\(context): baton")
        #expect(actual.results.count == expected.results.count, "\(context): result count")
        for (index, (mine, theirs)) in zip(actual.results, expected.results).enumerated() {
            let where_ = "\(context) result \(index)"
            switch (mine, theirs) {
            case (.error, .error): continue
            case (.ok(let a), .ok(let b)):
                #expect(a.type == b.type, "\(where_)")
                switch (a, b, requests[index]) {
                case (.execute(let x), .execute(let y), .execute(let stmt)):
                    compare(x, y, sql: stmt.sql, context: where_)
                case (.batch(let x), .batch(let y), .batch(let batch)):
                    #expect(x.stepResults.map { $0 == nil } == y.stepResults.map { $0 == nil }, "\(where_): ran steps")
                    #expect(x.stepErrors.map { $0 == nil } == y.stepErrors.map { $0 == nil }, "\(where_): failed steps")
                    for (step, (r1, r2)) in zip(x.stepResults, y.stepResults).enumerated() {
                        if let r1, let r2 { compare(r1, r2, sql: batch.steps[step].stmt.sql, context: "\(where_) step \(step)") }
                    }
                default:
                    #expect(a == b, "\(where_)")
                }
            default:
                Issue.record("\(where_): \(mine) vs \(theirs)")
            }
        }
    }

    static func compare(_ actual: [CursorEntry], _ expected: [CursorEntry], request: [String: Any], context: String) {
        #expect(actual.count == expected.count, "\(context): entry count \(actual) vs \(expected)")
        for (mine, theirs) in zip(actual, expected) {
            switch (mine, theirs) {
            case (.stepBegin, .stepBegin), (.row, .row): #expect(mine == theirs, "\(context)")
            case (.stepError(let a, _), .stepError(let b, _)): #expect(a == b, "\(context)")
            case (.stepEnd(let a, let rowA), .stepEnd(let b, let rowB)):
                if rowA != nil { #expect(a == b && rowA == rowB, "\(context): step_end") }
            case (.error, .error): continue
            default: Issue.record("\(context): \(mine) vs \(theirs)")
            }
        }
    }
}
