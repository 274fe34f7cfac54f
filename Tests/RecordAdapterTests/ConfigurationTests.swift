import Foundation
import LibSQLClient
import RecordAdapter
import Testing

@Suite struct ConfigurationTests {
    static let yaml = """
        default: &default
          adapter: turso
          database: ${TURSO_DATABASE_URL}
          token: <%= ENV["TURSO_AUTH_TOKEN"] %>

        development:
          <<: *default
          database: ${DEV_URL:-file:dev.db}

        production:
          <<: *default
          replica_path: /var/data/myapp.db
          sync_interval: 60

        urlstyle:
          url: libsql://url.turso.io

        typo:
          <<: *default
          tokn: oops

        empty:
          adapter: turso
        """

    static let env = ["TURSO_DATABASE_URL": "libsql://prod.turso.io", "TURSO_AUTH_TOKEN": "tok-123"]

    @Test func databaseYamlEnvironmentsMergesAndSubstitution() throws {
        let production = try ConnectionConfiguration(yaml: Self.yaml, environment: "production", environmentVariables: Self.env)
        #expect(production == ConnectionConfiguration(
            database: "libsql://prod.turso.io", token: "tok-123", replicaPath: "/var/data/myapp.db", syncInterval: 60))
        #expect(!production.description.contains("tok-123"))
        let development = try ConnectionConfiguration(yaml: Self.yaml, environment: "development", environmentVariables: Self.env)
        #expect(development.database == "file:dev.db")
        #expect(development.token == "tok-123")
        let overridden = try ConnectionConfiguration(
            yaml: Self.yaml, environment: "development", environmentVariables: Self.env.merging(["DEV_URL": "file:other.db"]) { $1 })
        #expect(overridden.database == "file:other.db")
        #expect(try ConnectionConfiguration(yaml: Self.yaml, environment: "urlstyle", environmentVariables: [:]).database == "libsql://url.turso.io")
    }

    @Test func badConfigurationsAreClearErrors() throws {
        func message(_ body: () throws -> Void) -> String? {
            do {
                try body()
            } catch let error as RecordError {
                #expect(error.kind == .configurationInvalid)
                return error.message
            } catch {
                Issue.record("unexpected \(error)")
            }
            Issue.record("expected an error")
            return nil
        }
        #expect(message { _ = try ConnectionConfiguration(yaml: Self.yaml, environment: "typo", environmentVariables: Self.env) }?.contains("unknown key tokn") == true)
        #expect(message { _ = try ConnectionConfiguration(yaml: Self.yaml, environment: "empty", environmentVariables: Self.env) }?.contains("missing required key database") == true)
        #expect(message { _ = try ConnectionConfiguration(yaml: Self.yaml, environment: "staging", environmentVariables: Self.env) }?.contains("no staging environment") == true)
        #expect(message { _ = try ConnectionConfiguration(yaml: Self.yaml, environment: "production", environmentVariables: [:]) }?.contains("TURSO_DATABASE_URL, which is not set") == true)
        #expect(message { _ = try ConnectionConfiguration(yaml: "a: [1", environment: "a", environmentVariables: [:]) }?.contains("not valid YAML") == true)
        #expect(message { _ = try ConnectionConfiguration(dictionary: ["adapter": "postgresql", "database": "x"]) }?.contains("adapter must be turso") == true)
        #expect(message { _ = try ConnectionConfiguration(dictionary: ["database": "a", "url": "b"]) }?.contains("not both") == true)
        #expect(message { _ = try ConnectionConfiguration(dictionary: ["database": "a", "sync_interval": "soon"]) }?.contains("sync_interval") == true)
        #expect(message { _ = try ConnectionConfiguration.fromEnvironment([:]) }?.contains("TURSO_DATABASE_URL") == true)
        #expect(message { _ = try ConnectionConfiguration(yamlFile: "/nonexistent/database.yml", environment: "production") }?.contains("Cannot read") == true)
    }

    @Test func fromEnvironmentAndFile() async throws {
        let configuration = try ConnectionConfiguration.fromEnvironment(Self.env)
        #expect(configuration.database == "libsql://prod.turso.io" && configuration.token == "tok-123")
        try await withTemporaryDirectory { directory in
            let file = directory.appendingPathComponent("database.yml")
            try "test:\n  adapter: turso\n  database: file:\(directory.path)/t.db\n".write(to: file, atomically: true, encoding: .utf8)
            let db = try await RecordConnection.open(ConnectionConfiguration(yamlFile: file.path, environment: "test"))
            try await db.execute("CREATE TABLE t (x)")
            #expect(try await SchemaInspector(db).tables() == ["t"])
            await db.close()
        }
    }
}
