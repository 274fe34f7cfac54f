import Foundation
import LibSQLClient
import RecordAdapter
import Testing

@Suite struct QueryTests {
    static func seed(_ db: RecordConnection) async throws {
        try await User.insertAll([
            User(name: "Alice", email: "alice@example.com", age: 30, role: "admin"),
            User(name: "Bob", email: "bob@example.com", age: 17),
            User(name: "Carol", email: "carol@example.com", age: 45, role: "member"),
            User(name: "Dave", email: "dave@example.com", age: nil, role: "member"),
        ], on: db)
    }

    @Test(arguments: Backend.allCases)
    func conditions(_ backend: Backend) async throws {
        try await withConnection(backend) { db, _ in
            try await Self.seed(db)
            let users = User.query(on: db)
            typealias C = User.Columns
            #expect(try await users.where(["role": "member"]).order("name").all().map(\.name) == ["Carol", "Dave"])
            #expect(try await users.where(["role": nil as String?]).all().map(\.name) == ["Bob"])
            #expect(try await users.where("age > ? AND name <> ?", 18, "Carol").all().map(\.name) == ["Alice"])
            #expect(try await users.where(C.age >= 18 && C.name != "Alice").all().map(\.name) == ["Carol"])
            #expect(try await users.where(C.age < 18 || C.age == nil).order("name").all().map(\.name) == ["Bob", "Dave"])
            #expect(try await users.where(C.name.in(["Alice", "Dave", "Zed"])).order("name DESC").all().map(\.name) == ["Dave", "Alice"])
            #expect(try await users.where(C.name.in([])).count() == 0)
            #expect(try await users.where(C.name.notIn(["Alice"])).count() == 3)
            #expect(try await users.where(C.role.isNull).count() == 1)
            #expect(try await users.where(C.role != nil).count() == 3)
            #expect(try await users.where(C.email.like("%@example.com") && !(C.name.like("a%"))).count() == 3)
            #expect(try await users.whereNot(["role": "member"]).all().map(\.name) == ["Alice"])
            #expect(try await users.where(["name": "Alice"]).or(users.where(["name": "Bob"])).count() == 2)
            // A value that looks like SQL is bound, not spliced.
            #expect(try await users.where(["name": "x' OR '1'='1"]).count() == 0)
        }
    }

    @Test(arguments: Backend.allCases)
    func orderingAndPaging(_ backend: Backend) async throws {
        try await withConnection(backend) { db, _ in
            try await Self.seed(db)
            let byName = User.order("name").on(db)
            #expect(try await byName.limit(2).offset(1).all().map(\.name) == ["Bob", "Carol"])
            #expect(try await byName.offset(3).all().map(\.name) == ["Dave"])
            #expect(try await byName.first()?.name == "Alice")
            #expect(try await byName.last()?.name == "Dave")
            #expect(try await User.first(on: db)?.name == "Alice")
            #expect(try await User.last(on: db)?.name == "Dave")
            #expect(try await User.order(User.Columns.age.desc).on(db).where(User.Columns.age != nil).first()?.name == "Carol")
            #expect(try await byName.reorder("email DESC").first()?.name == "Dave")
            #expect(try await byName.limit(2).count() == 2)
        }
    }

    @Test(arguments: Backend.allCases)
    func findingAndAggregates(_ backend: Backend) async throws {
        try await withConnection(backend) { db, _ in
            try await Self.seed(db)
            #expect(try await User.findBy(["email": "carol@example.com"], on: db)?.name == "Carol")
            #expect(try await User.findBy(["email": "nobody@example.com"], on: db) == nil)
            let error = await expectRecordError(.recordNotFound) { _ = try await User.find(999, on: db) }
            #expect(error?.sql?.contains("SELECT") == true)
            #expect(try await User.pluck("name", as: String.self, on: db) == ["Alice", "Bob", "Carol", "Dave"])
            #expect(try await User.query(on: db).pluck("age", as: Int?.self) == [30, 17, 45, nil])
            #expect(try await User.query(on: db).ids() == [1, 2, 3, 4])
            let users = User.query(on: db)
            #expect(try await users.count() == 4)
            #expect(try await users.sum("age") == 92)
            #expect(try await users.average("age") == 92.0 / 3)
            #expect(try await users.minimum("age", as: Int.self) == 17)
            #expect(try await users.maximum("name", as: String.self) == "Dave")
            #expect(try await users.where(["name": "Zed"]).sum("age") == nil)
            #expect(try await users.where(["name": "Bob"]).exists())
            #expect(try await !users.where(["name": "Zed"]).exists())
        }
    }

    @Test(arguments: Backend.allCases)
    func bulkUpdateAndDelete(_ backend: Backend) async throws {
        try await withConnection(backend) { db, _ in
            try await Self.seed(db)
            let members = User.where(["role": "member"]).on(db)
            #expect(try await members.updateAll(["role": "guest"]) == 2)
            #expect(try await User.where(["role": "guest"]).on(db).count() == 2)
            #expect(try await User.where(User.Columns.age < 18).on(db).deleteAll() == 1)
            #expect(try await User.count(on: db) == 3)
            #expect(try await User.deleteAll(on: db) == 3)
            #expect(try await !User.exists(on: db))
        }
    }

    /// Scopes are plain values: stored, composed, run on different connections.
    @Test func scopesCompose() async throws {
        try await withConnection(.local) { db, _ in
            try await Self.seed(db)
            let adults = User.where(User.Columns.age >= 18)
            let members = adults.where(["role": "member"])
            #expect(try await adults.on(db).count() == 2)
            #expect(try await members.on(db).all().map(\.name) == ["Carol"])
            #expect(try await adults.on(db).count() == 2)
        }
    }

    @Test(arguments: Backend.allCases)
    func findEachWalksKeysetBatches(_ backend: Backend) async throws {
        try await withConnection(backend) { db, server in
            let users = (1...25).map { (i: Int) in User(name: "u\(i)", email: "u\(i)@example.com", age: i) }
            try await User.insertAll(users, on: db)
            let before = server?.requestCount(path: "/v3/pipeline") ?? 0
            var seen: [String] = []
            for try await user in User.where(User.Columns.age > 3).on(db).findEach(batchSize: 10) { seen.append(user.name) }
            #expect(seen == (4...25).map { "u\($0)" })
            if let server {
                // 22 rows in batches of 10: 10, 10, 2 → three queries.
                #expect(server.requestCount(path: "/v3/pipeline") - before == 3)
            }
            var empty = 0
            for try await _ in User.where(["name": "none"]).on(db).findEach() { empty += 1 }
            #expect(empty == 0)
        }
    }
}
