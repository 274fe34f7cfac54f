import Foundation
import LibSQLClient
import RecordAdapter
import Testing

/// A model that reads `count` only for some rows, so the keys it asks for differ from row to row.
struct Conditional: Model, Equatable {
    static let tableName = "samples"
    var id: Int64?
    var label: String?
    var count: Int?

    init(id: Int64? = nil, label: String?, count: Int?) {
        self.id = id
        self.label = label
        self.count = count
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decodeIfPresent(Int64.self, forKey: .id)
        label = try container.decodeIfPresent(String.self, forKey: .label)
        count = label == "with" ? try container.decode(Int.self, forKey: .count) : nil
    }
}

/// Rows of one result share one column map; models that ask for different keys per row, names that differ only in
/// case and bad values in a later row still decode (or fail) as they would one at a time.
@Suite struct RowDecodingTests {
    @Test(arguments: Backend.allCases)
    func keysAskedForInADifferentOrderPerRowStillDecode(_ backend: Backend) async throws {
        try await withConnection(backend) { db, _ in
            let stored = (0..<6).map { Conditional(label: $0 % 2 == 0 ? "with" : "without", count: $0 % 2 == 0 ? $0 : nil) }
            _ = try await Conditional.insertAll(stored, on: db)
            let read = try await Conditional.order("id").on(db).all()
            #expect(read.map(\.label) == stored.map(\.label))
            #expect(read.map(\.count) == [0, nil, 2, nil, 4, nil])
            // The same rows decoded one at a time agree.
            let raw = try await db.execute("SELECT * FROM samples ORDER BY id")
            #expect(try raw.rows.map(Conditional.init(row:)) == read)
        }
    }

    @Test func columnNamesMatchCaseInsensitivelyAsRowsDo() async throws {
        try await withConnection(.local) { db, _ in
            let row = try await db.execute("SELECT 1 AS ID, 'x' AS LABEL, 5 AS COUNT").rows[0]
            let model = try Conditional(row: row)
            #expect(model.id == 1 && model.label == "x" && model.count == nil)
        }
    }

    @Test func aBadValueInALaterRowIsAClearError() async throws {
        try await withConnection(.local) { db, _ in
            try await db.execute("INSERT INTO samples (label, count) VALUES ('with', 1), ('with', 'many')")
            let error = await expectRecordError(.statementInvalid) { _ = try await Conditional.order("id").on(db).all() }
            #expect(error?.message.contains("count") == true, "\(String(describing: error))")
        }
    }
}
