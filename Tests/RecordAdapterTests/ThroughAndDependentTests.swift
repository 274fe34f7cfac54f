import Foundation
import LibSQLClient
import LogCapture
import Logging
import RecordAdapter
import Testing

let associationSchema = blogSchema + """

    CREATE TABLE comments (id INTEGER PRIMARY KEY, post_id INTEGER REFERENCES posts(id), body TEXT NOT NULL);
    CREATE TABLE labels (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
    CREATE TABLE labelings (
        id INTEGER PRIMARY KEY, post_id INTEGER NOT NULL REFERENCES posts(id), label_id INTEGER NOT NULL REFERENCES labels(id)
    );
    CREATE TABLE notes (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id), text TEXT NOT NULL);
    """

struct Comment: Model, Equatable {
    var id: Int64?
    var postId: Int64?
    var body: String
}

struct Label: Model, Equatable {
    var id: Int64?
    var name: String
}

struct Labeling: Model {
    var id: Int64?
    var postId: Int64
    var labelId: Int64
    static let label = belongsTo(Label.self)
}

struct Note: Model, Equatable {
    var id: Int64?
    var userId: Int64?
    var text: String
}

extension Post {
    static let comments = hasMany(Comment.self)
    static let labelings = hasMany(Labeling.self)
    static let labels = hasMany(Label.self, through: labelings, source: Labeling.label)
}

extension User {
    static let comments = hasMany(Comment.self, through: posts, source: Post.comments)
}

/// A post whose comments go with it, and whose destroy is logged.
struct OwnedPost: Model {
    static let tableName = "posts"
    static let comments = hasMany(Comment.self, foreignKey: "post_id", dependent: .deleteAll)
    static var dependents: [Dependent<OwnedPost>] { [Dependent(comments)] }
    static let destroyed = EventLog()

    var id: Int64?
    var userId: Int64
    var title: String

    func afterDestroy() async throws { Self.destroyed.add(title) }
}

/// A user whose articles are destroyed (with callbacks), notes nullified and profile deleted with it.
struct Account: Model {
    static let tableName = "users"
    static let articles = hasMany(OwnedPost.self, foreignKey: "user_id", dependent: .destroy)
    static let notes = hasMany(Note.self, foreignKey: "user_id", dependent: .nullify)
    static let profile = hasOne(Profile.self, foreignKey: "user_id", dependent: .deleteAll)
    static var dependents: [Dependent<Account>] { [Dependent(articles), Dependent(notes), Dependent(profile)] }

    var id: Int64?
    var name: String
    var email: String
}

/// A user that cannot be destroyed while it has posts.
struct GuardedUser: Model {
    static let tableName = "users"
    static let posts = hasMany(Post.self, foreignKey: "user_id", dependent: .restrictWithError)
    static var dependents: [Dependent<GuardedUser>] { [Dependent(posts)] }

    var id: Int64?
    var name: String
    var email: String
}

/// Lists an association without a `dependent:` action: a clear error, nothing deleted.
struct MisdeclaredUser: Model {
    static let tableName = "users"
    static let posts = hasMany(Post.self, foreignKey: "user_id")
    static var dependents: [Dependent<MisdeclaredUser>] { [Dependent(posts)] }

    var id: Int64?
    var name: String
    var email: String
}

/// Counts the statements a connection runs, from its debug log.
func withStatementCount(_ db: RecordConnection, _ body: (RecordConnection) async throws -> Void) async throws -> Int {
    let handler = CapturingLogHandler()
    let counted = RecordConnection(db.database, logger: Logger(label: "count", factory: { _ in handler }))
    try await body(counted)
    return handler.entries.filter { $0.metadata["duration_ms"] != nil }.count
}

@Suite struct ThroughAndDependentTests {
    struct Fixture {
        var users: [User]
        var posts: [Post]
        var labels: [Label]
    }

    /// Three users; the first two have two posts each, every post has comments and labels.
    func seed(_ db: RecordConnection) async throws -> Fixture {
        let users = try await User.insertAll((1...3).map { User(name: "u\($0)", email: "u\($0)@x") }, on: db)
        let posts = try await Post.insertAll(
            users.prefix(2).flatMap { user in (1...2).map { Post(userId: user.id!, title: "\(user.name)p\($0)") } }, on: db)
        _ = try await Comment.insertAll(posts.flatMap { post in (1...2).map { Comment(postId: post.id, body: "\(post.title)c\($0)") } }, on: db)
        let labels = try await Label.insertAll(["swift", "sql", "rails"].map { Label(name: $0) }, on: db)
        // Each post is tagged swift, and its own second tag; tag "rails" is never used.
        _ = try await Labeling.insertAll(posts.enumerated().flatMap { index, post in
            [Labeling(postId: post.id!, labelId: labels[0].id!), Labeling(postId: post.id!, labelId: labels[index % 2].id!)]
        }, on: db)
        return Fixture(users: users, posts: posts, labels: labels)
    }

    @Test(arguments: Backend.allCases)
    func throughAssociationsLoadAndPreloadInOneQueryPerLevel(_ backend: Backend) async throws {
        try await withConnection(backend, schema: associationSchema) { db, server in
            let fixture = try await seed(db)
            let (users, posts) = (fixture.users, fixture.posts)

            #expect(try await User.comments.load(for: users[0], on: db).map(\.body).sorted() == ["u1p1c1", "u1p1c2", "u1p2c1", "u1p2c2"])
            #expect(try await User.comments.load(for: users[2], on: db).isEmpty)
            #expect(try await Post.labels.load(for: posts[0], on: db).map(\.name) == ["swift"])
            #expect(try await Post.labels.query(for: posts[1], on: db).order("name").all().map(\.name) == ["sql", "swift"])

            let before = server?.requestCount(path: "/v3/pipeline")
            var comments: Preloaded<User, [Comment]>?
            var labels: Preloaded<Post, [Label]>?
            let statements = try await withStatementCount(db) { counted in
                comments = try await User.comments.preload(for: users, on: counted)
                labels = try await Post.labels.preload(for: posts, on: counted)
            }
            // Two levels each: the intermediate rows, then the targets; never one query per owner.
            #expect(statements == 4)
            if let server, let before { #expect(server.requestCount(path: "/v3/pipeline") - before == 4) }
            let byUser = try #require(comments)
            let byPost = try #require(labels)
            #expect(byUser[users[0]].map(\.body).sorted() == ["u1p1c1", "u1p1c2", "u1p2c1", "u1p2c2"])
            #expect(byUser[users[1]].count == 4)
            #expect(byUser[users[2]].isEmpty)
            // A tag reached twice through one post's labelings appears once.
            #expect(byPost[posts[0]].map(\.name) == ["swift"])
            #expect(Set(byPost[posts[1]].map(\.name)) == ["swift", "sql"])

            let none = try await withStatementCount(db) { counted in
                let empty = try await User.comments.preload(for: [], on: counted)
                #expect(empty[users[0]].isEmpty)
            }
            #expect(none == 0)
        }
    }

    @Test(arguments: Backend.allCases)
    func destroyRunsDependentActions(_ backend: Backend) async throws {
        try await withConnection(backend, schema: associationSchema) { db, _ in
            let fixture = try await seed(db)
            _ = try await Labeling.deleteAll(on: db)
            let owner = fixture.users[0]
            try await Profile.create(Profile(userId: owner.id!, bio: "bio"), on: db)
            try await Note.create(Note(userId: owner.id!, text: "kept"), on: db)
            try await Note.create(Note(userId: fixture.users[1].id!, text: "other"), on: db)

            let account = try await Account.find(owner.id!, on: db)
            try await account.destroy(on: db)

            #expect(try await User.findBy(["id": owner.id!], on: db) == nil)
            // .destroy: each article destroyed with its callbacks, and their own .deleteAll took the comments.
            #expect(Set(OwnedPost.destroyed.events).isSuperset(of: ["u1p1", "u1p2"]))
            #expect(try await Post.where(["user_id": owner.id!]).on(db).count() == 0)
            #expect(try await Comment.count(on: db) == 4, "only the other user's comments are left")
            // .nullify and hasOne .deleteAll.
            #expect(try await Note.where(["text": "kept"]).on(db).first()?.userId == nil)
            #expect(try await Note.where(["text": "other"]).on(db).first()?.userId == fixture.users[1].id)
            #expect(try await Profile.count(on: db) == 0)
            #expect(try await User.count(on: db) == 2)
        }
    }

    @Test(arguments: Backend.allCases)
    func restrictWithErrorRefusesAndChangesNothing(_ backend: Backend) async throws {
        try await withConnection(backend, schema: associationSchema) { db, _ in
            let fixture = try await seed(db)
            let guarded = try await GuardedUser.find(fixture.users[0].id!, on: db)
            let error = await expectRecordError(.recordNotDestroyed) { try await guarded.destroy(on: db) }
            #expect(error?.validationErrors?["base"] == ["Cannot delete record because dependent posts exist"])
            let users = try await User.count(on: db)
            #expect(users == 3)

            // Without posts it goes.
            let lonely = try await GuardedUser.find(fixture.users[2].id!, on: db)
            try await lonely.destroy(on: db)
            let left = try await User.count(on: db)
            #expect(left == 2)

            let misdeclared = try await MisdeclaredUser.find(fixture.users[1].id!, on: db)
            await expectRecordError(.statementInvalid) { try await misdeclared.destroy(on: db) }
            let posts = try await Post.count(on: db)
            #expect(posts == 4)
        }
    }

    /// A failure half-way (the user's own DELETE hits a foreign key that no dependent handles) rolls the
    /// dependents' work back too.
    @Test func aFailingDestroyRollsBackItsDependents() async throws {
        try await withConnection(.local, schema: associationSchema) { db, _ in
            let fixture = try await seed(db)
            _ = try await Labeling.deleteAll(on: db)
            try await Note.create(Note(userId: fixture.users[0].id!, text: "n"), on: db)
            // comments of the articles are removed by OwnedPost's dependent, but the labelings we add are not.
            try await Labeling.create(Labeling(postId: fixture.posts[0].id!, labelId: fixture.labels[0].id!), on: db)
            let account = try await Account.find(fixture.users[0].id!, on: db)
            await expectRecordError(.invalidForeignKey) { try await account.destroy(on: db) }
            let notes = try await Note.where(["text": "n"]).on(db).first()
            #expect(notes?.userId == fixture.users[0].id, "the nullify was rolled back")
            let comments = try await Comment.count(on: db)
            #expect(comments == 8)
            let posts = try await Post.count(on: db)
            #expect(posts == 4)
        }
    }
}
