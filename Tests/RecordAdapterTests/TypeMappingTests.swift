import Foundation
import LibSQLClient
import RecordAdapter
import Testing

enum Mood: Int, Codable, Sendable {
    case low = 1, high = 2
}

struct Settings: Codable, Sendable, Equatable {
    var theme: String
    var tags: [String]
    var since: Date
}

struct Sample: Model, Equatable {
    var id: Int64?
    var count: Int
    var big: Int64
    var ratio: Double
    var flag: Bool
    var label: String
    var payload: Data
    var happenedAt: Date
    var token: UUID
    var price: Decimal
    var mood: Mood
    var settings: Settings
    var maybe: String?
}

@Suite struct TypeMappingTests {
    static let moment = Date(timeIntervalSince1970: 1_714_564_800.125)

    static func sample(count: Int = 7, at date: Date = moment) -> Sample {
        Sample(
            count: count, big: Int64.max - 1, ratio: 0.1 + 0.2, flag: true, label: "héllo \"quoted\" 'single'",
            payload: Data([0, 1, 2, 255]), happenedAt: date, token: UUID(uuidString: "6F9619FF-8B86-D011-B42D-00C04FC964FF")!,
            price: Decimal(string: "12345678901234567890.125")!, mood: .high,
            settings: Settings(theme: "dark", tags: ["a", "b"], since: date), maybe: nil)
    }

    @Test(arguments: Backend.allCases)
    func everyTypeRoundTrips(_ backend: Backend) async throws {
        try await withConnection(backend) { db, _ in
            let stored = try await Sample.create(Self.sample(), on: db)
            var expected = Self.sample()
            expected.id = stored.id
            #expect(stored == expected)
            #expect(try await Sample.find(stored.id!, on: db) == expected)

            // What the columns hold, read raw.
            let raw = try await db.execute("SELECT flag, payload, happened_at, token, price, mood, settings, maybe FROM samples")
            let row = try #require(raw.rows.first)
            #expect(row[0] == .integer(1))
            #expect(row[1] == .blob(Data([0, 1, 2, 255])))
            #expect(row[2] == .text("2024-05-01T12:00:00.125Z"))
            #expect(row[3] == .text("6F9619FF-8B86-D011-B42D-00C04FC964FF"))
            #expect(row[4] == .text("12345678901234567890.125"))
            #expect(row[5] == .integer(2))
            #expect(row[6] == .text(#"{"since":"2024-05-01T12:00:00.125Z","tags":["a","b"],"theme":"dark"}"#))
            #expect(row[7] == .null)
        }
    }

    /// Dates are fixed-width UTC text, so SQL comparisons and ordering follow time.
    @Test(arguments: Backend.allCases)
    func datesCompareInSQL(_ backend: Backend) async throws {
        try await withConnection(backend) { db, _ in
            let base = Date(timeIntervalSince1970: 1_700_000_000)
            let offsets: [TimeInterval] = [0.5, 86_400 * 400, 0.001, 59.999, 3_600]
            for (index, offset) in offsets.enumerated() {
                try await Sample.create(Self.sample(count: index, at: base.addingTimeInterval(offset)), on: db)
            }
            let ordered = try await Sample.order("happened_at").on(db).pluck("count", as: Int.self)
            #expect(ordered == [2, 0, 3, 4, 1])
            let cutoff = base.addingTimeInterval(60)
            #expect(try await Sample.where(Column("happened_at") < cutoff).on(db).count() == 3)
            #expect(try await Sample.query(on: db).maximum("happened_at", as: Date.self) == base.addingTimeInterval(86_400 * 400))
        }
    }

    @Test func aWrongStoredTypeIsAClearError() async throws {
        try await withConnection(.local) { db, _ in
            try await db.execute("INSERT INTO samples (count) VALUES ('not a number')")
            let error = await expectRecordError(.statementInvalid) { _ = try await Sample.first(on: db) }
            #expect(error?.message.contains("Sample") == true)
        }
    }

    @Test func tableNamesArePluralisedLikeRails() {
        #expect(User.tableName == "users")
        #expect(Sample.tableName == "samples")
        #expect(Inflection.pluralize(Inflection.snakeCase("BlogPost")) == "blog_posts")
        #expect(Inflection.pluralize("person") == "people")
        #expect(Inflection.pluralize("category") == "categories")
        #expect(Inflection.pluralize("box") == "boxes")
        #expect(Inflection.pluralize("status") == "statuses")
        #expect(Inflection.pluralize("day") == "days")
        #expect(Inflection.pluralize("sheep") == "sheep")
        #expect(Inflection.pluralize("wolf") == "wolves")
        #expect(Inflection.snakeCase("userID") == "user_id")
        #expect(Inflection.snakeCase("HTTPRequest") == "http_request")
        #expect(Inflection.snakeCase("createdAt") == "created_at")
    }

    struct Person: Model {
        var id: Int64?
    }

    struct Legacy: Model {
        static let tableName = "tbl_legacy"
        static let primaryKey = "code"
        static let columnNaming = ColumnNaming.verbatim
        var code: String
        var displayName: String
    }

    @Test func namesAreOverridable() async throws {
        #expect(Person.tableName == "people")
        try await withConnection(.local, schema: "CREATE TABLE tbl_legacy (code TEXT PRIMARY KEY, displayName TEXT)") { db, _ in
            let row = try await Legacy.create(Legacy(code: "x1", displayName: "One"), on: db)
            #expect(row.code == "x1")
            #expect(try await Legacy.find("x1", on: db).displayName == "One")
        }
    }
}
