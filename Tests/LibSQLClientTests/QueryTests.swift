import Foundation
import LibSQLClient
import Testing

@Suite("streamed query")
struct QueryTests {
    @Test("query streams every row in order", arguments: TestBackend.allCases)
    func streamsRows(backend: TestBackend) async throws {
        try await withClient(backend, scenario: "query-stream") { db in
            try await db.execute("CREATE TABLE n (i INTEGER PRIMARY KEY, s TEXT)")
            try await db.execute("""
                WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 300)
                INSERT INTO n SELECT i, 'row ' || i FROM c
                """)
            var count = 0
            var sum: Int64 = 0
            for try await row in db.query("SELECT i, s FROM n WHERE i > \(0) ORDER BY i") {
                count += 1
                sum += try row.get("i", as: Int64.self)
                if count == 1 { #expect(try row.get("s", as: String.self) == "row 1") }
            }
            #expect(count == 300)
            #expect(sum == 300 * 301 / 2)
        }
    }

    @Test("a failing query throws while iterating", arguments: TestBackend.allCases)
    func failingQuery(backend: TestBackend) async throws {
        try await withClient(backend, scenario: "query-error") { db in
            let error = await expectLibSQLError {
                for try await _ in db.query("SELECT * FROM missing_table") {}
            }
            #expect(error?.isSQLError == true)
            let after = try await db.execute("SELECT 1")
            #expect(after.rows.count == 1)
        }
    }
}
