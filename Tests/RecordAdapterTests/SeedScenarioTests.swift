import Foundation
import LibSQLClient
import LibSQLServer
import RecordAdapter
import Testing

/// The seed README's usage section, line by line, on our server over HTTP and on a local file.
@Suite struct SeedScenarioTests {
    @Test(arguments: Backend.allCases)
    func readmeUsage(_ backend: Backend) async throws {
        try await withConnection(backend) { db, _ in
            // User.create!(name: "Alice", email: "alice@example.com")
            let created = try await User.create(User(name: "Alice", email: "alice@example.com"), on: db)
            let id = try #require(created.id)
            #expect(created.name == "Alice")
            #expect(created.createdAt != nil && created.createdAt == created.updatedAt)

            // User.where(name: "Alice").first
            let alice = try await User.where(["name": "Alice"]).on(db).first()
            #expect(alice == created)

            // User.find(1)
            var found = try await User.find(id, on: db)
            #expect(found == created)

            // User.order(:name).limit(10)
            try await User.create(User(name: "Bob", email: "bob@example.com"), on: db)
            try await User.create(User(name: "Aaron", email: "aaron@example.com"), on: db)
            let page = try await User.order("name").limit(10).on(db).all()
            #expect(page.map(\.name) == ["Aaron", "Alice", "Bob"])
            #expect(try await User.order("name").limit(2).on(db).all().map(\.name) == ["Aaron", "Alice"])

            // User.find(1).update!(email: "new@example.com")
            try await found.update(on: db) { $0.email = "new@example.com" }
            #expect(try await User.find(id, on: db).email == "new@example.com")
            #expect(found.email == "new@example.com")

            // User.find(1).destroy
            try await User.find(id, on: db).destroy(on: db)
            await expectRecordError(.recordNotFound) { _ = try await User.find(id, on: db) }
            #expect(try await User.count(on: db) == 2)
        }
    }

    /// `ActiveRecord::Base.establish_connection(adapter: "turso", database: …, token: …)` then models with no
    /// explicit connection; `connection.sync` without a replica is a clear error.
    @Test func establishConnectionAndDefaultConnection() async throws {
        try await withTemporaryDirectory { directory in
                let path = directory.appendingPathComponent("default.db").path
                let db = try await Records.establishConnection(adapter: "turso", database: "file:" + path)
                try await db.database.executeMultiple(blogSchema)
                let alice = try await User.create(User(name: "Alice", email: "alice@example.com"))
                #expect(try await User.find(alice.id!) == alice)
                #expect(try await User.where(["name": "Alice"]).first() == alice)
                let error = await expectRecordError(.statementInvalid) { try await Records.connection.sync() }
                #expect(error?.message.contains("replica") == true)
                await Records.removeConnection()
                await expectRecordError(.connectionNotEstablished) { _ = try await User.count() }
        }
    }

    /// The seed's replica configuration (`replica_path`, `sync_interval`) and `connection.sync`: writes go to the
    /// server, reads come from the local file, `sync()` pulls what others wrote.
    @Test func replicaPathAndSync() async throws {
        try await withTemporaryDirectory { directory in
            var server = ServerConfiguration(databasePath: directory.appendingPathComponent("primary.db").path, port: 0)
            server.replication.isEnabled = true
            server.replication.pollInterval = .milliseconds(20)
            try await HranaServer.withRunning(server) { running in
                let primary = RecordConnection(try Database(url: running.url.absoluteString))
                try await primary.database.executeMultiple(blogSchema)
                let configuration = try ConnectionConfiguration(dictionary: [
                    "adapter": "turso", "url": running.url.absoluteString,
                    "replica_path": directory.appendingPathComponent("replica.db").path, "sync_interval": 0,
                ])
                let replica = try await RecordConnection.open(configuration)
                let alice = try await User.create(User(name: "Alice", email: "alice@example.com"), on: replica)
                #expect(try await User.find(alice.id!, on: replica) == alice)       // read-your-writes
                #expect(try await User.count(on: primary) == 1)                     // the write went to the server
                try await User.create(User(name: "Bob", email: "bob@example.com"), on: primary)
                try await replica.sync()
                #expect(try await User.order("name").on(replica).pluck("name", as: String.self) == ["Alice", "Bob"])
                await replica.close()
                await primary.close()
            }
        }
        let error = await expectRecordError(.connectionNotEstablished) {
            _ = try await RecordConnection.open(ConnectionConfiguration(database: "http://127.0.0.1:9", token: "secret-token", replicaPath: "/nonexistent-dir/x.db"))
        }
        #expect(error?.description.contains("secret-token") == false)
}
}

/// The seed README's `schema.sql`: text primary keys assigned by the application.
@Suite struct SeedSchemaTests {
    static let schema = """
        CREATE TABLE users (id TEXT PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL);
        CREATE TABLE posts (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, title TEXT NOT NULL, body TEXT, created_at TEXT NOT NULL);
        """

    struct User: Model, Equatable {
        var id: UUID
        var name: String
        var email: String
    }

    struct Post: Model, Equatable {
        var id: UUID
        var userId: UUID
        var title: String
        var body: String?
        var createdAt: Date?
    }

    @Test(arguments: Backend.allCases)
    func textKeysAssignedByTheApplication(_ backend: Backend) async throws {
        try await withConnection(backend, schema: Self.schema) { db, _ in
            var alice = User(id: UUID(), name: "Alice", email: "alice@example.com")
            try await alice.save(on: db)
            #expect(try await User.find(alice.id, on: db) == alice)
            alice.email = "new@example.com"
            try await alice.save(on: db)
            #expect(try await User.count(on: db) == 1)
            #expect(try await User.find(alice.id, on: db).email == "new@example.com")
            let post = try await Post.create(Post(id: UUID(), userId: alice.id, title: "Hello"), on: db)
            #expect(post.createdAt != nil)
            #expect(try await Post.where(["user_id": alice.id]).on(db).all() == [post])
            try await User.find(alice.id, on: db).destroy(on: db)
            await expectRecordError(.recordNotFound) { _ = try await User.find(alice.id, on: db) }
        }
    }
}
