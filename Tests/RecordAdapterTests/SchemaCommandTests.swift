import Foundation
import LibSQLClient
import LibSQLServer
import Replica
import Testing

/// The built `libsql schema` command as a separate process: output, exit codes, URL from flags or environment.
@Suite("libsql schema command")
struct SchemaCommandTests {
    struct Run {
        var status: Int32
        var output: String
        var error: String
    }

    /// Runs the `libsql` binary next to the test runner, with a bounded wait.
    static func libsql(_ arguments: [String], environment: [String: String] = [:], in folder: URL) async throws -> Run {
        let binary = try #require(
            Bundle.main.executableURL?.deletingLastPathComponent().appendingPathComponent("libsql"), "the runner's folder")
        try #require(FileManager.default.isExecutableFile(atPath: binary.path), "build the package first: \(binary.path)")
        let outURL = folder.appendingPathComponent("out-\(UUID().uuidString)")
        let errURL = folder.appendingPathComponent("err-\(UUID().uuidString)")
        try Data().write(to: outURL)
        try Data().write(to: errURL)
        let process = Process()
        process.executableURL = binary
        process.arguments = ["schema"] + arguments
        var processEnvironment = ProcessInfo.processInfo.environment
        processEnvironment["TURSO_DATABASE_URL"] = nil
        processEnvironment["TURSO_AUTH_TOKEN"] = nil
        processEnvironment.merge(environment) { _, new in new }
        process.environment = processEnvironment
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        try process.run()
        let deadline = ContinuousClock.now + .seconds(120)
        while process.isRunning {
            guard ContinuousClock.now < deadline else {
                process.terminate()
                throw CancellationError()
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return Run(
            status: process.terminationStatus,
            output: try String(contentsOf: outURL, encoding: .utf8), error: try String(contentsOf: errURL, encoding: .utf8))
    }

    @Test("diff --check exits 2 while changes are pending, apply prints the seed's four steps, then 0 and up to date")
    func checkApplyCheck() async throws {
        try await withSchemaDirectory { folder in
            let configuration = ServerConfiguration(databasePath: folder.appendingPathComponent("server.db").path, port: 0)
            try await HranaServer.withRunning(configuration) { server in
                let url = server.url.absoluteString
                let database = try Database(url: url)
                try await database.executeMultiple("CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users(name) VALUES ('ann');")
                await database.close()
                let schema = folder.appendingPathComponent("schema.sql")
                try """
                    CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT);
                    CREATE INDEX users_email ON users(email);
                    """.write(to: schema, atomically: true, encoding: .utf8)

                let pending = try await Self.libsql(["diff", schema.path, "--check", "--url", url], in: folder)
                #expect(pending.status == 2, "\(pending.error)")
                #expect(pending.output.contains("==> [2/2] Computing schema diff..."))
                #expect(pending.output.contains("statement(s) to apply:"))
                #expect(pending.output.contains("CREATE INDEX users_email ON users(email);"))

                let applied = try await Self.libsql(["apply", schema.path], environment: ["TURSO_DATABASE_URL": url], in: folder)
                #expect(applied.status == 0, "\(applied.error)")
                let lines = applied.output.split(separator: "\n").map(String.init)
                #expect(lines.first == "==> [1/4] Pulling latest schema from remote...")
                #expect(lines.contains("==> [2/4] Computing schema diff..."))
                #expect(lines.contains { $0.hasPrefix("    ") && $0.hasSuffix("statement(s) to apply:") })
                #expect(lines.contains("==> [3/4] Applying schema to remote..."))
                #expect(lines.contains("==> [4/4] Pulling to confirm..."))
                #expect(lines.last == "==> Schema applied successfully!")
                #expect(lines.filter { $0 == "    Done." }.count == 3)

                let clean = try await Self.libsql(["diff", schema.path, "--check", "--url", url], in: folder)
                #expect(clean.status == 0, "\(clean.error)")
                #expect(clean.output.contains("    Already up to date."))

                let again = try await Self.libsql(["apply", schema.path, "--url", url], in: folder)
                #expect(again.status == 0)
                #expect(again.output.contains("    Already up to date."))
                #expect(!again.output.contains("[3/4]"))

                let exported = try await Self.libsql(["diff", "--export", "--url", url], in: folder)
                #expect(exported.status == 0)
                #expect(exported.output.contains("CREATE INDEX users_email ON users(email);"))
            }
        }
    }

    @Test("a syntax error and a missing URL exit 1 with a message on stderr; a local file works")
    func errors() async throws {
        try await withSchemaDirectory { folder in
            let bad = folder.appendingPathComponent("bad.sql")
            try "CREATE TABLE t(a);\nCREATE TABLE u(b TEXT DEFALT 1);\n".write(to: bad, atomically: true, encoding: .utf8)
            let url = "file:" + folder.appendingPathComponent("local.db").path
            let failed = try await Self.libsql(["diff", bad.path, "--check", "--url", url], in: folder)
            #expect(failed.status == 1)
            #expect(failed.error.contains("statement 2 (line 2, column"), "\(failed.error)")

            let noURL = try await Self.libsql(["diff", bad.path], in: folder)
            #expect(noURL.status != 0 && noURL.status != 2)
            #expect(noURL.error.contains("TURSO_DATABASE_URL"))

            let good = folder.appendingPathComponent("good.sql")
            try "CREATE TABLE t(a);".write(to: good, atomically: true, encoding: .utf8)
            #expect(try await Self.libsql(["diff", good.path, "--check", "--url", url], in: folder).status == 2)
            #expect(try await Self.libsql(["apply", good.path, "--url", url], in: folder).status == 0)
            #expect(try await Self.libsql(["diff", good.path, "--check", "--url", url], in: folder).status == 0)
        }
    }

    @Test("--config reads database.yml (environment, merge, ${VAR}); a replica_path is synced before and after apply")
    func configFileWithReplica() async throws {
        try await withSchemaDirectory { folder in
            var configuration = ServerConfiguration(databasePath: folder.appendingPathComponent("server.db").path, port: 0)
            configuration.replication.isEnabled = true
            try await HranaServer.withRunning(configuration) { server in
                let url = server.url.absoluteString
                let database = try Database(url: url)
                try await database.executeMultiple("CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users(name) VALUES ('ann');")
                await database.close()
                let replicaPath = folder.appendingPathComponent("replica.db").path
                let yaml = folder.appendingPathComponent("database.yml")
                try """
                    default: &default
                      adapter: turso
                      database: ${SCHEMA_TEST_URL}
                    test:
                      <<: *default
                      replica_path: \(replicaPath)
                    broken:
                      <<: *default
                      replica_pth: \(replicaPath)
                    """.write(to: yaml, atomically: true, encoding: .utf8)
                let schema = folder.appendingPathComponent("schema.sql")
                try "CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT, bio TEXT);\n".write(to: schema, atomically: true, encoding: .utf8)

                let applied = try await Self.libsql(
                    ["apply", schema.path, "--config", yaml.path, "--environment", "test"],
                    environment: ["SCHEMA_TEST_URL": url], in: folder)
                #expect(applied.status == 0, "\(applied.error)")
                #expect(applied.output.contains("ALTER TABLE"))
                #expect(applied.output.hasSuffix("==> Schema applied successfully!\n"))

                let replica = try await EmbeddedReplica.open(path: replicaPath, url: url)
                let columns = try await replica.execute("SELECT name FROM pragma_table_info('users') ORDER BY cid")
                #expect(columns.rows.map { $0[0] } == [.text("id"), .text("name"), .text("bio")], "the replica was synced after apply")
                await replica.close()

                let clean = try await Self.libsql(
                    ["diff", schema.path, "--check", "--config", yaml.path, "--environment", "test"],
                    environment: ["SCHEMA_TEST_URL": url], in: folder)
                #expect(clean.status == 0, "\(clean.error)")

                let broken = try await Self.libsql(
                    ["diff", schema.path, "--config", yaml.path, "--environment", "broken"],
                    environment: ["SCHEMA_TEST_URL": url], in: folder)
                #expect(broken.status != 0 && broken.status != 2)
                #expect(broken.error.contains("replica_pth"), "\(broken.error)")
            }
        }
    }
}
