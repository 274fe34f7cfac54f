import Foundation
import LibSQLClient
import LibSQLServer
import Logging
import Testing
@testable import Replica

/// A server that keeps only its last generations (`keepGenerations`): a replica left in a purged one rebuilds
/// itself from the current export and follows the primary again.
@Suite struct PurgedGenerationTests {
    @Test func aReplicaOnAPurgedGenerationRebuilds() async throws {
        try await withTemporaryDirectory { directory in
            try await withReplicationServer(directory: directory, framesPerGeneration: 6, keepGenerations: 2) { server, primary in
                let url = server.url.absoluteString
                try await primary.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, b BLOB)")
                try await primary.execute("INSERT INTO t(v) VALUES ('first')")
                let replica = try await EmbeddedReplica.open(
                    path: directory + "/replica.db", url: url, options: EmbeddedReplica.Options(readYourWrites: false))
                try await replica.sync()
                let left = await replica.position
                let transport = AsyncHTTPClientTransport()
                let client = SyncProtocolClient(
                    baseURL: server.url, authToken: AuthTokenStore(nil), transport: transport, requestTimeout: .seconds(10),
                    logger: Logger(label: "test"))
                var current = try await client.currentGeneration()
                for index in 0..<40 where current < left.generation + 3 {
                    try await primary.execute("INSERT INTO t(v, b) VALUES (?, randomblob(5000))", ["row-\(index)"])
                    try await Task.sleep(for: .milliseconds(40))
                    current = try await client.currentGeneration()
                }
                try await transport.shutdown()
                #expect(current >= left.generation + 3, "the server cut generations")
                let result = try await replica.sync()
                #expect(result.rebuilt, "generation \(left.generation) was purged")
                #expect(result.generation >= current)
                #expect(try integrityCheck(replica.path) == "ok")
                #expect(try dump(replica.path) == (try await remoteDump(primary)))
                try await primary.execute("INSERT INTO t(v) VALUES ('after')")
                #expect(!(try await replica.sync()).rebuilt)
                #expect(try dump(replica.path) == (try await remoteDump(primary)))
                await replica.close()
            }
        }
    }
}
