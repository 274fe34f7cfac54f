import Foundation
import LibSQLClient
import RecordAdapter

/// `libsql bench --records`: the seed's operations through models, against the same operations as raw client
/// statements measured in the same run (interleaved, so machine noise hits both). Where the model returns records
/// (create, update, insertAll, find, queries) the raw side decodes the same `RETURNING *` or selected rows with
/// `ResultSet.decode`, so both produce the same typed values.
struct RecordsBench {
    struct BenchRow: Model {
        static let tableName = "bench_records"
        var id: Int64?
        var name: String
        var value: Int
    }

    let database: Database
    let iterations: Int

    private struct Pair {
        var name: String
        var raw: (Database, Int) async throws -> Void
        var model: (RecordConnection, Int) async throws -> Void
    }

    private func pairs(rawIDs: IDStack, modelIDs: IDStack) -> [Pair] {
        [
            Pair(name: "INSERT single row", raw: { db, i in
                let row = try await db.execute("INSERT INTO bench_records (name, value) VALUES (\("user \(i)"), \(i % 100)) RETURNING *").decode(BenchRow.self).first
                if let id = row?.id { rawIDs.push(id) }
            }, model: { db, i in
                let row = try await BenchRow.create(BenchRow(name: "user \(i)", value: i % 100), on: db)
                if let id = row.id { modelIDs.push(id) }
            }),
            Pair(name: "SELECT all 100 rows", raw: { db, _ in
                _ = try await db.execute("SELECT * FROM bench_records WHERE id <= 100").decode(BenchRow.self)
            }, model: { db, _ in
                _ = try await BenchRow.where(Column("id") <= 100).on(db).all()
            }),
            Pair(name: "SELECT WHERE", raw: { db, i in
                _ = try await db.execute("SELECT * FROM bench_records WHERE id <= 100 AND value BETWEEN \(i % 90) AND \(i % 90 + 9)").decode(BenchRow.self)
            }, model: { db, i in
                _ = try await BenchRow.where("id <= 100 AND value BETWEEN ? AND ?", i % 90, i % 90 + 9).on(db).all()
            }),
            Pair(name: "SELECT find by id", raw: { db, i in
                _ = try await db.execute("SELECT * FROM bench_records WHERE id = \(Int64(i % 100 + 1)) LIMIT 1").decode(BenchRow.self).first
            }, model: { db, i in
                _ = try await BenchRow.find(Int64(i % 100 + 1), on: db)
            }),
            Pair(name: "UPDATE single row", raw: { db, i in
                _ = try await db.execute("UPDATE bench_records SET value = \(i) WHERE id = \(Int64(i % 100 + 1)) RETURNING *").decode(BenchRow.self)
            }, model: { db, i in
                var row = BenchRow(id: Int64(i % 100 + 1), name: "seed \(i % 100 + 1)", value: 0)
                try await row.update(on: db) { $0.value = i + 1 }
            }),
            Pair(name: "DELETE single row", raw: { db, _ in
                _ = try await db.execute("DELETE FROM bench_records WHERE id = \(rawIDs.pop() ?? -1)")
            }, model: { db, _ in
                try await BenchRow(id: modelIDs.pop() ?? -1, name: "", value: 0).destroy(on: db)
            }),
            Pair(name: "transaction of 10 inserts", raw: { db, i in
                try await db.transaction(.write) { tx in
                    for j in 0..<10 { _ = try await tx.execute("INSERT INTO bench_records (name, value) VALUES (\("tx \(i).\(j)"), \(j)) RETURNING *").decode(BenchRow.self) }
                }
            }, model: { db, i in
                try await db.transaction {
                    for j in 0..<10 { try await BenchRow.create(BenchRow(name: "tx \(i).\(j)", value: j), on: db) }
                }
            }),
            Pair(name: "insertAll of 100 rows", raw: { db, i in
                let values = Array(repeating: "(?, ?)", count: 100).joined(separator: ", ")
                let arguments: [any SQLValueConvertible] = (0..<100).flatMap { j -> [any SQLValueConvertible] in ["bulk \(i).\(j)", j] }
                _ = try await db.execute(Statement("INSERT INTO bench_records (name, value) VALUES \(values) RETURNING *", arguments)).decode(BenchRow.self)
            }, model: { db, i in
                try await BenchRow.insertAll((0..<100).map { BenchRow(name: "bulk \(i).\($0)", value: $0) }, on: db)
            }),
        ]
    }

    func run() async throws {
        let records = RecordConnection(database)
        try await database.executeMultiple("DROP TABLE IF EXISTS bench_records; CREATE TABLE bench_records (id INTEGER PRIMARY KEY, name TEXT NOT NULL, value INT NOT NULL);")
        try await BenchRow.insertAll((1...100).map { BenchRow(name: "seed \($0)", value: $0 % 100) }, on: records)
        let rawIDs = IDStack()
        let modelIDs = IDStack()
        print("\n## Records: models vs raw client statements (same run, interleaved), \(iterations) iterations\n")
        print("| Operation | raw avg | model avg | model / raw | raw median | model median | model / raw (medians) |")
        print("|---|---|---|---|---|---|---|")
        let clock = ContinuousClock()
        for pair in pairs(rawIDs: rawIDs, modelIDs: modelIDs) {
            for i in 0..<3 {
                try await pair.raw(database, i)
                try await pair.model(records, i)
            }
            var raw: [Duration] = []
            var model: [Duration] = []
            for i in 0..<iterations {
                let start = clock.now
                try await pair.raw(database, i)
                let middle = clock.now
                try await pair.model(records, i)
                model.append(clock.now - middle)
                raw.append(middle - start)
            }
            // Medians resist the scheduler's outliers on a shared machine; means are shown beside them.
            let rawMean = raw.reduce(.zero, +) / iterations, modelMean = model.reduce(.zero, +) / iterations
            let rawMedian = raw.sorted()[raw.count / 2], modelMedian = model.sorted()[model.count / 2]
            print("| \(pair.name) | \(rawMean.milliseconds) | \(modelMean.milliseconds) | \(ratio(modelMean, rawMean)) "
                + "| \(rawMedian.milliseconds) | \(modelMedian.milliseconds) | \(ratio(modelMedian, rawMedian)) |")
        }
    }

    private func ratio(_ model: Duration, _ raw: Duration) -> String {
        String(format: "%.2f", (model / .nanoseconds(1)) / (raw / .nanoseconds(1)))
    }
}

extension Duration {
    fileprivate var milliseconds: String {
        String(format: "%.4f ms", (Double(components.seconds) + Double(components.attoseconds) / 1e18) * 1000)
    }
}
