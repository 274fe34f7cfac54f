// A small blog on the record layer. Run it with `swift run BlogExample`.
//
// With no configuration it starts our libSQL server in-process on loopback (a temporary database) and reads
// through an embedded replica of it in a temporary folder; with TURSO_DATABASE_URL (and TURSO_AUTH_TOKEN, and
// optionally TURSO_REPLICA_PATH) set it runs the same against that database.
import Foundation
import LibSQLServer
import RecordAdapter

struct Author: Model {
    static let tableName = "blog_authors"
    static let validations: [Validation<Author>] = [
        .presence("name"),
        .format("email", #"^[^@\s]+@[^@\s]+$"#),
        .uniqueness("email"),
    ]
    static let posts = hasMany(Article.self, foreignKey: "author_id")

    var id: Int64?
    var name: String
    var email: String
    var createdAt: Date?
    var updatedAt: Date?
}

struct Article: Model {
    static let tableName = "blog_articles"
    static let validations: [Validation<Article>] = [.length("title", in: 1...120)]
    static let author = belongsTo(Author.self, foreignKey: "author_id")

    var id: Int64?
    var authorId: Int64
    var title: String
    var published: Bool
    var createdAt: Date?
    var updatedAt: Date?
}

let migrations = [
    Migration(20_240_501_000_001, "create blog tables") { schema in
        try await schema.createTable("blog_authors") { t in
            t.string("name", null: false)
            t.string("email", null: false, unique: true)
            t.timestamps()
        }
        try await schema.createTable("blog_articles") { t in
            t.references("author", foreignKey: false)
            t.string("title", null: false)
            t.column("published", .boolean, null: false, default: .integer(0))
            t.timestamps()
        }
        try await schema.addIndex("blog_articles", ["author_id"])
    },
]

func runBlog(_ db: RecordConnection) async throws {
    let applied = try await Migrator(migrations).migrate(on: db)
    print("migrations applied: \(applied)")
    let suffix = String(UUID().uuidString.prefix(8))

    // Validations stop a bad record before it reaches the database.
    do {
        try await Author.create(Author(name: "", email: "nobody"), on: db)
    } catch let error as RecordError where error.kind == .recordInvalid {
        print("rejected: \(error.validationErrors?.fullMessages.joined(separator: ", ") ?? "")")
    }

    // A transaction: the author and their articles are stored together or not at all.
    let ada = try await db.transaction {
        let ada = try await Author.create(Author(name: "Ada", email: "ada-\(suffix)@example.com"), on: db)
        try await Article.create(Article(authorId: ada.id!, title: "Notes on the Engine", published: true), on: db)
        try await Article.create(Article(authorId: ada.id!, title: "Draft: loops", published: false), on: db)
        return ada
    }
    let grace = try await Author.create(Author(name: "Grace", email: "grace-\(suffix)@example.com"), on: db)
    try await Article.insertAll([
        Article(authorId: grace.id!, title: "Compilers", published: true),
        Article(authorId: grace.id!, title: "Debugging", published: true),
    ], on: db)
    print("authors: \(ada.name) (id \(ada.id!)), \(grace.name) (id \(grace.id!))")

    // An association, eagerly loaded: one query for all the authors' articles.
    let authors = try await Author.where(Column("id").in([ada.id!, grace.id!])).order("name").on(db).all()
    let articles = try await Author.posts.preload(for: authors, on: db)
    for author in authors {
        let titles = articles[author].map { "\($0.title)\($0.published ? "" : " (draft)")" }
        print("\(author.name): \(titles.joined(separator: "; "))")
    }

    // Dirty tracking: only the changed column is written.
    if var draft = try await Article.where(["author_id": ada.id!, "published": false]).on(db).first() {
        try await draft.update(on: db) { $0.published = true }
        print("published \"\(draft.title)\"")
    }
    let count = try await Article.where(Column("author_id").in([ada.id!, grace.id!]) && Column("published") == true).on(db).count()
    print("published articles: \(count)")

    // On a replica, reads are local; sync() pulls what other clients wrote.
    if db.isReplica {
        try await db.sync()
        print("replica synced: \(try await Author.count(on: db)) authors read locally")
    }
}

if let url = ProcessInfo.processInfo.environment["TURSO_DATABASE_URL"], !url.isEmpty {
    let db = try await RecordConnection.open(ConnectionConfiguration.fromEnvironment())
    print("using \(ConnectionConfiguration(database: url))")
    try await runBlog(db)
    await db.close()
} else {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("blog-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    var configuration = ServerConfiguration(databasePath: folder.appendingPathComponent("blog.db").path, port: 0)
    configuration.replication.isEnabled = true
    try await HranaServer.withRunning(configuration) { server in
        print("using the embedded server at \(server.url.absoluteString)")
        let replicaPath = folder.appendingPathComponent("replica.db").path
        let db = try await RecordConnection.open(ConnectionConfiguration(database: server.url.absoluteString, replicaPath: replicaPath))
        print("reading through an embedded replica at \(replicaPath)")
        try await runBlog(db)
        await db.close()
    }
}
