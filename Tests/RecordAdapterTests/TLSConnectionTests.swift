import Foundation
import LibSQLClient
import LibSQLServer
import RecordAdapter
import TLSProxy
import Testing

/// `ca_file` in a connection configuration: records over `https:` to our server behind a TLS proxy that presents
/// a certificate of the test CA, for a remote connection and for an embedded replica.
@Suite struct TLSConnectionTests {
    static let yaml = """
        production:
          adapter: turso
          database: ${URL}
          token: ${TOKEN}
          ca_file: ${CA}
          replica_path: ${REPLICA}
          sync_interval: 0

        remote:
          adapter: turso
          database: ${URL}
          token: ${TOKEN}
          ca_file: ${CA}
        """

    static let token = "records-tls-token-41ad"

    @Test("ca_file makes the test CA trusted: records over https, remote and through a replica")
    func caFileTrustsTheCA() async throws {
        try await withTemporaryDirectory { directory in
            var server = ServerConfiguration(
                databasePath: directory.appendingPathComponent("primary.db").path, port: 0, authToken: Self.token)
            server.replication.isEnabled = true
            server.replication.pollInterval = .milliseconds(20)
            try await HranaServer.withRunning(server) { running in
                let proxy = try await TLSProxy.start(upstreamPort: running.port)
                let variables = [
                    "URL": "https://localhost:\(proxy.port)", "TOKEN": Self.token, "CA": try TLSFixture.path("ca.pem"),
                    "REPLICA": directory.appendingPathComponent("replica.db").path,
                ]
                let remoteConfiguration = try ConnectionConfiguration(
                    yaml: Self.yaml, environment: "remote", environmentVariables: variables)
                #expect(remoteConfiguration.caFile == variables["CA"])
                #expect(remoteConfiguration.description.contains("ca_file:"))
                #expect(!remoteConfiguration.description.contains(Self.token))
                let remote = try await RecordConnection.open(remoteConfiguration)
                try await remote.database.executeMultiple(blogSchema)
                try await User.create(User(name: "Alice", email: "alice@example.com"), on: remote)

                let replica = try await RecordConnection.open(try ConnectionConfiguration(
                    yaml: Self.yaml, environment: "production", environmentVariables: variables))
                try await User.create(User(name: "Bob", email: "bob@example.com"), on: replica)
                try await replica.sync()
                #expect(try await User.order("name").on(replica).pluck("name", as: String.self) == ["Alice", "Bob"])
                #expect(try await User.count(on: remote) == 2)
                #expect(proxy.completedHandshakes >= 2)
                await replica.close()
                await remote.close()
                await proxy.stop()
            }
        }
    }

    @Test("a ca_file that holds no certificate fails the open with connectionNotEstablished, naming TLS")
    func unusableCAFile() async throws {
        try await withTemporaryDirectory { directory in
            let bad = directory.appendingPathComponent("not-a-ca.pem").path
            try Data("not a certificate".utf8).write(to: URL(fileURLWithPath: bad))
            for replicaPath in [nil, directory.appendingPathComponent("replica.db").path] {
                let error = await expectRecordError(.connectionNotEstablished) {
                    _ = try await RecordConnection.open(ConnectionConfiguration(
                        database: "https://localhost:1", token: Self.token, replicaPath: replicaPath, caFile: bad))
                }
                #expect(error?.message.contains("PEM") == true, "\(error?.message ?? "")")
                #expect(error.map { !"\($0)".contains(Self.token) } == true)
            }
        }
    }
}
