import Foundation
import LibSQLClient
import RecordAdapter
import Testing

struct Article: Model {
    static let tableName = "posts"
    static let log = EventLog()
    var id: Int64?
    var userId: Int64
    var title: String
    var status: PostStatus = .draft
    var lockVersion: Int?
    var createdAt: Date?
    var updatedAt: Date?

    mutating func beforeValidation() async throws {
        Self.log.add("beforeValidation")
        title = title.trimmingCharacters(in: .whitespaces)
    }
    func afterValidation(_ errors: ValidationErrors) async throws { Self.log.add("afterValidation") }
    mutating func beforeSave() async throws {
        Self.log.add("beforeSave")
        if title == "abort" { throw CancellationError() }
    }
    mutating func beforeCreate() async throws { Self.log.add("beforeCreate") }
    mutating func beforeUpdate() async throws { Self.log.add("beforeUpdate") }
    func afterCreate() async throws { Self.log.add("afterCreate \(id != nil)") }
    func afterUpdate() async throws { Self.log.add("afterUpdate") }
    func afterSave() async throws { Self.log.add("afterSave") }
    func beforeDestroy() async throws { Self.log.add("beforeDestroy") }
    func afterDestroy() async throws { Self.log.add("afterDestroy") }
    func afterCommit(_ action: PersistenceAction) async { Self.log.add("afterCommit \(action)") }
}

@Suite(.serialized) struct CallbackAndLockingTests {
    @Test func callbacksRunInRailsOrder() async throws {
        try await withConnection(.local) { db, _ in
            let user = try await User.create(User(name: "A", email: "a@x"), on: db)
            var article = try await Article.create(Article(userId: user.id!, title: "  Hello  "), on: db)
            #expect(article.title == "Hello")
            #expect(Article.log.events == [
                "beforeValidation", "afterValidation", "beforeSave", "beforeCreate", "afterCreate true", "afterSave", "afterCommit create",
            ])
            let mark = Article.log.events.count
            try await article.update(on: db) { $0.status = .published }
            #expect(Array(Article.log.events[mark...]) == [
                "beforeValidation", "afterValidation", "beforeSave", "beforeUpdate", "afterUpdate", "afterSave", "afterCommit update",
            ])
            let destroyMark = Article.log.events.count
            try await article.destroy(on: db)
            #expect(Array(Article.log.events[destroyMark...]) == ["beforeDestroy", "afterDestroy", "afterCommit destroy"])

            await #expect(throws: CancellationError.self) { try await Article.create(Article(userId: user.id!, title: "abort"), on: db) }
            #expect(try await Article.count(on: db) == 0)
        }
    }

    @Test(arguments: Backend.allCases)
    func timestampsAndDirtyTracking(_ backend: Backend) async throws {
        try await withConnection(backend) { db, server in
            let user = try await User.create(User(name: "A", email: "a@x"), on: db)
            let created = try #require(user.createdAt)
            #expect(user.updatedAt == created)
            var changed = user
            changed.email = "b@x"
            changed.age = 3
            let changes = try changed.changes(from: user)
            #expect(Set(changes.keys) == ["email", "age"])
            #expect(changes["email"]?.old == .text("a@x"))
            #expect(changes["email"]?.new == .text("b@x"))

            var stored = user
            try await Task.sleep(for: .milliseconds(5))
            try await stored.update(on: db) { $0.email = "c@x" }
            #expect(stored.createdAt == created)
            #expect(try #require(stored.updatedAt) > created)

            // No change, no statement.
            let before = server?.requestCount(path: "/v3/pipeline")
            try await stored.update(on: db) { $0.email = "c@x" }
            if let server, let before { #expect(server.requestCount(path: "/v3/pipeline") == before) }

            // Only changed columns are written: a concurrent change to another column survives.
            try await User.where(["id": stored.id!]).on(db).updateAll(["name": "Renamed elsewhere"])
            try await stored.update(on: db) { $0.age = 40 }
            #expect(stored.name == "Renamed elsewhere")
            #expect(stored.age == 40)
        }
    }

    @Test(arguments: Backend.allCases)
    func optimisticLockingDetectsStaleRecords(_ backend: Backend) async throws {
        try await withConnection(backend) { db, _ in
            let user = try await User.create(User(name: "A", email: "a@x"), on: db)
            var first = try await Post.create(Post(userId: user.id!, title: "v1"), on: db)
            #expect(first.lockVersion == 0)
            var second = try await Post.find(first.id!, on: db)
            try await first.update(on: db) { $0.title = "first wins" }
            #expect(first.lockVersion == 1)
            let stale = await expectRecordError(.staleObject) { try await second.update(on: db) { $0.title = "second loses" } }
            #expect(stale?.sql?.contains("\"lock_version\" IS ?") == true)
            #expect(try await Post.find(first.id!, on: db).title == "first wins")
            await expectRecordError(.staleObject) { try await second.destroy(on: db) }
            second = try await second.reload(on: db)
            try await second.update(on: db) { $0.title = "second after reload" }
            #expect(second.lockVersion == 2)
            try await second.destroy(on: db)
            #expect(try await Post.count(on: db) == 0)
        }
    }
}
