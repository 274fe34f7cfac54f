import ArgumentParser
import Foundation
import LibSQLClient
import LibSQLServer

/// `libsql demo`: the seed's usage, end to end, on the embedded default.
///
/// Starts a local libSQL server on a free loopback port (no account, no configuration), connects the client to it
/// over HTTP exactly as it would connect to Turso, and runs create / read / update / delete, a batch and an
/// interactive transaction. With `--url` it runs the same steps against any libSQL server or `file:` database.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "Run the SDK's basic usage against the embedded server (or --url).")

    @Option(help: "Database URL (libsql://, https://, http://, file:). Default: an embedded server on a temporary file.")
    var url: String?

    @Option(help: "Auth token for --url.")
    var token: String?

    func run() async throws {
        if let url {
            let client = try Database(url: url, authToken: token ?? ProcessInfo.processInfo.environment["TURSO_AUTH_TOKEN"])
            try await Self.tour(client, describing: url)
            return
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("libsql-demo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let configuration = ServerConfiguration(databasePath: folder.appendingPathComponent("demo.db").path, port: 0)
        try await HranaServer.withRunning(configuration) { server in
            let client = try Database(url: server.url.absoluteString)
            try await Self.tour(client, describing: "embedded server at \(server.url.absoluteString)")
            print("HTTP requests served: \(server.requestCount())")
        }
    }

    static func tour(_ db: Database, describing target: String) async throws {
        defer { Task { await db.close() } }
        print("Connected to \(target)")
        try await db.execute("DROP TABLE IF EXISTS users")
        try await db.execute(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL UNIQUE)")

        let alice = try await db.execute(
            "INSERT INTO users (name, email) VALUES (\("Alice"), \("alice@example.com"))")
        print("Created Alice with id \(alice.lastInsertRowID.map(String.init) ?? "?")")

        try await db.batch([
            "INSERT INTO users (name, email) VALUES ('Bob', 'bob@example.com')",
            Statement("INSERT INTO users (name, email) VALUES (?, ?)", ["Carol", "carol@example.com"]),
        ], mode: .write)

        let found = try await db.execute("SELECT id, name, email FROM users WHERE name = \("Alice")")
        print("where(name: Alice).first: \(found.rows.first.map { "\($0)" } ?? "none")")

        let byID = try await db.execute("SELECT id, name, email FROM users WHERE id = \(Int64(1))")
        print("find(1): \(byID.rows.first.map { "\($0)" } ?? "none")")

        let page = try await db.execute("SELECT name FROM users ORDER BY name LIMIT \(10)")
        print("order(:name).limit(10): \(page.rows.map { "\($0[0])" }.joined(separator: ", "))")

        try await db.transaction(.write) { tx in
            try await tx.execute("UPDATE users SET email = \("new@example.com") WHERE id = \(Int64(1))")
            try await tx.execute("DELETE FROM users WHERE name = \("Bob")")
        }
        let count = try await db.execute("SELECT count(*) FROM users")
        print("After update and destroy in one transaction: \(count.rows[0][0]) users")

        do {
            try await db.execute("INSERT INTO users (name, email) VALUES (\("Eve"), \("new@example.com"))")
        } catch let error as LibSQLError {
            print("A duplicate email is refused: \(error.code) (\(error.constraint.map { "\($0)" } ?? "-"))")
        }
    }
}
