import Foundation
import LibSQLClient
import LibSQLServer
import LogCapture
import Logging
import Testing
@testable import Replica

/// ``EmbeddedReplica/updateAuthToken(_:)`` against our server with token auth: the next sync (manual or in the
/// background) and the next remote write carry the new token, and neither a refusal nor a log line shows it.
@Suite("Replica token rotation")
struct ReplicaTokenRotationTests {
    static let token = "replica-rotation-token-current-1b7d"
    static let revoked = "replica-rotation-token-revoked-9e2a"

    @Test("a rotated token takes effect with the next sync and the next write, in both directions")
    func rotationTakesEffect() async throws {
        try await withTemporaryDirectory { directory in
            try await withReplicationServer(directory: directory, authToken: Self.token) { server, primary in
                try await primary.execute("CREATE TABLE t(v TEXT)")
                let handler = CapturingLogHandler()
                let replica = try await EmbeddedReplica.open(
                    path: directory + "/replica.db", url: server.url.absoluteString, authToken: Self.token,
                    syncInterval: .milliseconds(50), logger: Logger(label: "test") { _ in handler })

                replica.updateAuthToken(Self.revoked)
                try await primary.execute("INSERT INTO t VALUES ('while revoked')")
                await #expect {
                    try await replica.sync()
                } throws: { error in
                    (error as? ReplicaError)?.code == .unauthorized && !"\(error)".contains(Self.revoked)
                }
                await #expect {
                    try await replica.execute("INSERT INTO t VALUES ('refused')")
                } throws: { error in
                    (error as? LibSQLError)?.code == .unauthorized && !"\(error)".contains(Self.revoked)
                }
                #expect(try await eventually { handler.lines.contains { $0.contains("Background sync failed") } },
                        "the background sync is refused too")
                #expect(!(try dump(replica.path)).contains("t: while revoked"), "nothing was pulled")

                replica.updateAuthToken(Self.token)
                #expect(try await eventually { try dump(replica.path).contains("t: while revoked") },
                        "the background sync pulls again with the new token")
                try await replica.execute("INSERT INTO t VALUES ('after')")
                let rows = try await replica.execute("SELECT v FROM t ORDER BY rowid").rows.map { try $0.get(0, as: String.self) }
                #expect(rows == ["while revoked", "after"])
                await replica.close()

                let lines = handler.lines
                #expect(!lines.contains { $0.contains(Self.token) || $0.contains(Self.revoked) }, "no token in any log line")
            }
        }
    }

    /// Whether `condition` holds within 10 s, polling every 20 ms (a poll that throws, such as a dump that meets
    /// an apply's lock, counts as not yet).
    func eventually(_ condition: () throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if (try? condition()) == true { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }
}
