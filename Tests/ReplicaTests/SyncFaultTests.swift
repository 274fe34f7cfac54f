import Foundation
import SQLiteCore
import LibSQLClient
import LibSQLServer
import Testing
@testable import Replica

/// Broken networks and servers: each gives a typed error or a correct resume, never a replica that differs from
/// the primary.
@Suite struct SyncFaultTests {
    /// Opens a replica through a ``FaultyTransport`` on a primary that already has a table.
    func withFaultyReplica(
        syncTimeout: Duration = .seconds(30),
        _ body: (EmbeddedReplica, FaultyTransport, Database) async throws -> Void
    ) async throws {
        try await withTemporaryDirectory { directory in
            try await withReplicationServer(directory: directory) { server, primary in
                try await primary.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, b BLOB)")
                let transport = FaultyTransport(AsyncHTTPClientTransport())
                let replica = try await EmbeddedReplica.open(
                    path: directory + "/replica.db", url: server.url.absoluteString,
                    options: EmbeddedReplica.Options(readYourWrites: false, syncTimeout: syncTimeout, transport: transport))
                try await replica.sync()
                do {
                    try await body(replica, transport, primary)
                } catch {
                    await replica.close()
                    try await transport.shutdown()
                    throw error
                }
                await replica.close()
                try await transport.shutdown()
            }
        }
    }

    func expectConverges(_ replica: EmbeddedReplica, _ primary: Database) async throws {
        try await replica.sync()
        #expect(try integrityCheck(replica.path) == "ok")
        #expect(try dump(replica.path) == (try await remoteDump(primary)))
        #expect(!LocalFiles.exists(replica.path + "-journal"))
    }

    /// A multi-page transaction (a blob over several overflow pages).
    func bigTransaction(_ primary: Database, _ tag: String) async throws {
        try await primary.execute("INSERT INTO t(v, b) VALUES (?, randomblob(30000))", [tag])
    }

    @Test func connectionResetIsRetried() async throws {
        try await withFaultyReplica { replica, transport, primary in
            try await bigTransaction(primary, "a")
            transport.inject(.connectionReset)
            let result = try await replica.sync()
            #expect(result.transactionsApplied == 1)
            try await expectConverges(replica, primary)
        }
    }

    @Test func aTornBodyFailsAndChangesNothing() async throws {
        try await withFaultyReplica { replica, transport, primary in
            try await bigTransaction(primary, "a")
            let before = try dump(replica.path)
            transport.inject(.truncate(WALFrame.size * 2 + 100))
            await #expect { try await replica.sync() } throws: { ($0 as? ReplicaError)?.code == .protocolViolation }
            #expect(try dump(replica.path) == before)
            try await expectConverges(replica, primary)
        }
    }

    @Test func aResponseCutAtAFrameBoundaryResumesInTheSameSync() async throws {
        try await withFaultyReplica { replica, transport, primary in
            try await bigTransaction(primary, "a")
            transport.inject(.truncate(WALFrame.size * 2))
            let result = try await replica.sync()
            #expect(result.transactionsApplied == 1)
            try await expectConverges(replica, primary)
        }
    }

    @Test func aGenerationThatEndsInsideATransactionIsRefused() async throws {
        try await withFaultyReplica { replica, transport, primary in
            try await primary.execute("INSERT INTO t(v) VALUES ('small')")
            try await bigTransaction(primary, "a")
            let before = await replica.position
            transport.inject(.endInsideTransaction)
            await #expect { try await replica.sync() } throws: { ($0 as? ReplicaError)?.code == .protocolViolation }
            #expect(try integrityCheck(replica.path) == "ok")
            let after = await replica.position
            #expect(after.frame > before.frame, "the complete transaction before the cut was applied")
            try await expectConverges(replica, primary)
        }
    }

    @Test func aStalledServerTimesOut() async throws {
        try await withFaultyReplica(syncTimeout: .seconds(1)) { replica, transport, primary in
            try await bigTransaction(primary, "a")
            transport.inject(.stall)
            let started = ContinuousClock.now
            await #expect { try await replica.sync() } throws: { ($0 as? ReplicaError)?.code == .timeout }
            #expect(ContinuousClock.now - started < .seconds(30))
            try await expectConverges(replica, primary)
        }
    }

    @Test func aWrongTokenIsRefusedWithoutEchoingIt() async throws {
        try await withTemporaryDirectory { directory in
            try await withReplicationServer(directory: directory, authToken: "right-token") { server, _ in
                await #expect {
                    _ = try await EmbeddedReplica.open(
                        path: directory + "/replica.db", url: server.url.absoluteString, authToken: "wrong-token-123")
                } throws: { error in
                    (error as? ReplicaError)?.code == .unauthorized && !"\(error)".contains("wrong-token-123")
                }
                let replica = try await EmbeddedReplica.open(
                    path: directory + "/replica.db", url: server.url.absoluteString, authToken: "right-token")
                try await replica.sync()
                await replica.close()
            }
        }
    }

    @Test func aServerRestartIsAConnectionErrorThenResumes() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/replica.db"
            let port = try await withReplicationServer(directory: directory) { server, primary in
                try await primary.execute("CREATE TABLE t(v)")
                try await primary.execute("INSERT INTO t VALUES (1)")
                return server.port
            }
            let url = "http://127.0.0.1:\(port)"
            try await withReplicationServer(directory: directory, port: port) { _, _ in }
            let replica: EmbeddedReplica = try await withReplicationServer(directory: directory, port: port) { _, primary in
                let replica = try await EmbeddedReplica.open(path: path, url: url)
                try await primary.execute("INSERT INTO t VALUES (2)")
                return replica
            }
            await #expect { try await replica.sync() } throws: { ($0 as? ReplicaError)?.code == .connectionFailed }
            try await withReplicationServer(directory: directory, port: port) { _, primary in
                try await primary.execute("INSERT INTO t VALUES (3)")
                try await replica.sync()
                #expect(try dump(path) == (try await remoteDump(primary)))
                #expect(try integrityCheck(path) == "ok")
            }
            await replica.close()
        }
    }
}

/// Opening: what is refused, and what is rebuilt.
@Suite struct ReplicaOpenTests {
    @Test func refusesAFileThatIsNotAReplica() async throws {
        try await withTemporaryDirectory { directory in
            try await withReplicationServer(directory: directory) { server, _ in
                let path = directory + "/plain.db"
                let plain = try SQLiteCore.SQLiteConnection(path: path)
                try plain.execute(script: "CREATE TABLE mine(x)")
                plain.close()
                await #expect {
                    _ = try await EmbeddedReplica.open(path: path, url: server.url.absoluteString)
                } throws: { ($0 as? ReplicaError)?.code == .notAReplica }
            }
        }
    }

    @Test func refusesASecondOpenOfTheSamePath() async throws {
        try await withTemporaryDirectory { directory in
            try await withReplicationServer(directory: directory) { server, _ in
                let path = directory + "/replica.db"
                let first = try await EmbeddedReplica.open(path: path, url: server.url.absoluteString)
                await #expect {
                    _ = try await EmbeddedReplica.open(path: path, url: server.url.absoluteString)
                } throws: { ($0 as? ReplicaError)?.code == .alreadyOpen }
                await first.close()
                let again = try await EmbeddedReplica.open(path: path, url: server.url.absoluteString)
                await again.close()
            }
        }
    }

    @Test func refusesAReplicaOfAnotherRemote() async throws {
        try await withTemporaryDirectory { directory in
            try await withReplicationServer(directory: directory) { server, _ in
                let path = directory + "/replica.db"
                await (try await EmbeddedReplica.open(path: path, url: server.url.absoluteString)).close()
                await #expect {
                    _ = try await EmbeddedReplica.open(path: path, url: "http://127.0.0.1:1/other")
                } throws: { ($0 as? ReplicaError)?.code == .metadataMismatch }
            }
        }
    }

    @Test func bootstrapsAnEmptyFileAndAnEmptyPrimary() async throws {
        try await withTemporaryDirectory { directory in
            try await withReplicationServer(directory: directory) { server, primary in
                let path = directory + "/replica.db"
                #expect(FileManager.default.createFile(atPath: path, contents: Data()))
                let replica = try await EmbeddedReplica.open(path: path, url: server.url.absoluteString)
                let result = try await replica.sync()
                #expect(result.framesApplied == 0)
                try await primary.execute("CREATE TABLE t(v)")
                try await replica.sync()
                #expect(try dump(path) == (try await remoteDump(primary)))
                await replica.close()
            }
        }
    }

    @Test func rebuildsAFileWrittenBehindItsBack() async throws {
        try await withTemporaryDirectory { directory in
            try await withReplicationServer(directory: directory) { server, primary in
                let path = directory + "/replica.db"
                try await primary.execute("CREATE TABLE t(v)")
                let replica = try await EmbeddedReplica.open(path: path, url: server.url.absoluteString)
                try await replica.sync()
                await replica.close()
                let intruder = try SQLiteCore.SQLiteConnection(path: path)
                try intruder.execute(script: "INSERT INTO t VALUES ('local')")
                intruder.close()
                let exports = server.requestCount(path: nil)
                let reopened = try await EmbeddedReplica.open(path: path, url: server.url.absoluteString)
                #expect(server.requestCount(path: nil) > exports)
                try await primary.execute("INSERT INTO t VALUES ('remote')")
                try await reopened.sync()
                #expect(try dump(path) == (try await remoteDump(primary)))
                await reopened.close()
            }
        }
    }
}
