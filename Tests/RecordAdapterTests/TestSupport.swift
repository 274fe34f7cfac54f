import Foundation
import LibSQLClient
import LibSQLServer
import Logging
import RecordAdapter
import Testing

/// Where a shared test body runs: our server over real loopback HTTP, a local SQLite file, or an embedded replica
/// of our server (reads local, writes remote).
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case remote, local, replica

    var testDescription: String { rawValue }
}

/// A temporary folder, removed after the body.
func withTemporaryDirectory<T>(_ body: (URL) async throws -> T) async throws -> T {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("records-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try await body(directory)
}

/// Runs `body` with a fresh database on the backend; `server` is the in-process server for `.remote` (where
/// request counts are exact).
func withConnection(
    _ backend: Backend, schema: String = blogSchema,
    _ body: (RecordConnection, RunningServer?) async throws -> Void
) async throws {
    try await withTemporaryDirectory { directory in
        switch backend {
        case .remote:
            let configuration = ServerConfiguration(databasePath: directory.appendingPathComponent("server.db").path, port: 0)
            try await HranaServer.withRunning(configuration) { server in
                let connection = RecordConnection(try Database(url: server.url.absoluteString))
                try await connection.database.executeMultiple(schema)
                do {
                    try await body(connection, server)
                } catch {
                    await connection.close()
                    throw error
                }
                await connection.close()
            }
        case .replica:
            var configuration = ServerConfiguration(databasePath: directory.appendingPathComponent("primary.db").path, port: 0)
            configuration.replication.isEnabled = true
            configuration.replication.pollInterval = .milliseconds(20)
            try await HranaServer.withRunning(configuration) { server in
                let replicaPath = directory.appendingPathComponent("replica.db").path
                let connection = try await RecordConnection.open(
                    ConnectionConfiguration(database: server.url.absoluteString, replicaPath: replicaPath))
                try await connection.database.executeMultiple(schema)
                try await connection.sync()
                do {
                    try await body(connection, nil)
                } catch {
                    await connection.close()
                    throw error
                }
                await connection.close()
            }
        case .local:
            let connection = RecordConnection(try Database(url: "file:" + directory.appendingPathComponent("local.db").path))
            try await connection.database.executeMultiple(schema)
            do {
                try await body(connection, nil)
            } catch {
                await connection.close()
                throw error
            }
            await connection.close()
        }
    }
}

/// Expects a ``RecordError`` of one kind and returns it.
@discardableResult
func expectRecordError(
    _ kind: RecordError.Kind, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void
) async -> RecordError? {
    do {
        try await body()
        Issue.record("Expected RecordError.\(kind), nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as RecordError {
        #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("Expected RecordError.\(kind), got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

let blogSchema = """
    PRAGMA foreign_keys = ON;
    CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        email TEXT NOT NULL UNIQUE,
        age INTEGER CHECK (age IS NULL OR age >= 0),
        role TEXT,
        created_at DATETIME,
        updated_at DATETIME
    );
    CREATE TABLE posts (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id),
        title TEXT NOT NULL,
        body TEXT,
        status TEXT NOT NULL DEFAULT 'draft',
        lock_version INTEGER NOT NULL DEFAULT 0,
        created_at DATETIME,
        updated_at DATETIME
    );
    CREATE TABLE profiles (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id), bio TEXT);
    CREATE TABLE samples (
        id INTEGER PRIMARY KEY, count INTEGER, big INTEGER, ratio REAL, flag BOOLEAN, label TEXT, payload BLOB,
        happened_at DATETIME, token TEXT, price TEXT, mood INTEGER, settings TEXT, maybe TEXT
    );
    """

struct User: Model, Equatable {
    var id: Int64?
    var name: String
    var email: String
    var age: Int?
    var role: String?
    var createdAt: Date?
    var updatedAt: Date?

    init(id: Int64? = nil, name: String, email: String, age: Int? = nil, role: String? = nil) {
        self.id = id
        self.name = name
        self.email = email
        self.age = age
        self.role = role
    }

    static let posts = hasMany(Post.self)
    static let profile = hasOne(Profile.self)

    enum Columns {
        static let name = Column("name"), age = Column("age"), email = Column("email"), role = Column("role")
    }
}

enum PostStatus: String, Codable, Sendable, SQLValueConvertible {
    case draft, published
}

struct Post: Model, Equatable {
    var id: Int64?
    var userId: Int64
    var title: String
    var body: String?
    var status: PostStatus
    var lockVersion: Int?
    var createdAt: Date?
    var updatedAt: Date?

    init(userId: Int64, title: String, body: String? = nil, status: PostStatus = .draft) {
        self.userId = userId
        self.title = title
        self.body = body
        self.status = status
    }

    static let author = belongsTo(User.self)
}

struct Profile: Model, Equatable {
    var id: Int64?
    var userId: Int64
    var bio: String?
}
