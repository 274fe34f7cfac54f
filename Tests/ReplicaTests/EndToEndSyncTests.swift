import Fixtures
import Foundation
import LibSQLClient
import LibSQLServer
import Testing
@testable import Replica

/// A replica following our server over real loopback HTTP: every kind of write, synced step by step.
@Suite struct EndToEndSyncTests {
    static let workload: [String] = [
        "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, payload BLOB)",
        "INSERT INTO t(name, payload) VALUES ('a', randomblob(100)), ('b', randomblob(200))",
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300) INSERT INTO t(name) SELECT 'row' || i FROM n",
        "UPDATE t SET name = name || '!' WHERE id % 3 = 0",
        "DELETE FROM t WHERE id % 4 = 0",
        "CREATE INDEX t_name ON t(name)",
        "INSERT INTO t(name, payload) VALUES ('blob', randomblob(60000))",
        "CREATE TABLE kv(k TEXT PRIMARY KEY, v) WITHOUT ROWID",
        "INSERT INTO kv VALUES ('x', 1), ('y', 2)",
        "DROP INDEX t_name",
        "DELETE FROM t WHERE id > 20",
        "VACUUM",
        "ALTER TABLE kv ADD COLUMN w DEFAULT 7",
        "DROP TABLE kv",
        "PRAGMA user_version = 42",
    ]

    @Test(arguments: [2000, 6])
    func followsEveryKindOfWrite(framesPerGeneration: Int) async throws {
        try await withTemporaryDirectory { directory in
            try await withReplicationServer(directory: directory, framesPerGeneration: framesPerGeneration) { server, primary in
                let replica = try await EmbeddedReplica.open(path: directory + "/replica.db", url: server.url.absoluteString)
                var sizes: [Int64] = []
                for statement in Self.workload {
                    try await primary.execute(Statement(statement))
                    if framesPerGeneration < 100 { try await Task.sleep(for: .milliseconds(60)) }
                    try await replica.sync()
                    #expect(try integrityCheck(replica.path) == "ok", "\(statement)")
                    #expect(try dump(replica.path) == (try await remoteDump(primary)), "\(statement)")
                    sizes.append(LocalFiles.size(replica.path) ?? 0)
                }
                #expect(sizes.max()! > sizes.last!, "VACUUM shrank the file")
                let result = try await replica.sync()
                #expect(result.framesApplied == 0)
                if framesPerGeneration < 100 { #expect(result.generation > 1, "the server cut generations") }
                await replica.close()
            }
        }
    }

    @Test func reopeningResumesWithoutABootstrap() async throws {
        try await withTemporaryDirectory { directory in
            try await withReplicationServer(directory: directory) { server, primary in
                let path = directory + "/replica.db"
                try await primary.execute("CREATE TABLE t(v)")
                var replica = try await EmbeddedReplica.open(path: path, url: server.url.absoluteString)
                try await replica.sync()
                await replica.close()
                try await primary.execute("INSERT INTO t VALUES (1)")
                let exports = server.requestCount(path: "/export/1")
                replica = try await EmbeddedReplica.open(path: path, url: server.url.absoluteString)
                let result = try await replica.sync()
                #expect(result.transactionsApplied == 1)
                #expect(!result.rebuilt)
                #expect(server.requestCount(path: "/export/1") == exports)
                #expect(try await replica.execute("SELECT v FROM t").rows.map { $0.values } == [[.integer(1)]])
                await replica.close()
            }
        }
    }

    @Test func readYourWrites() async throws {
        try await withTemporaryDirectory { directory in
            try await withReplicationServer(directory: directory) { server, _ in
                let replica = try await EmbeddedReplica.open(path: directory + "/replica.db", url: server.url.absoluteString)
                try await replica.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)")
                try await replica.execute("INSERT INTO t(v) VALUES (?)", ["one"])
                #expect(try await replica.execute("SELECT v FROM t").rows.map { $0.values } == [[.text("one")]])
                try await replica.transaction(.write) { tx in
                    try await tx.execute("UPDATE t SET v = 'two'")
                }
                let read: String = try await replica.transaction(.read) { tx in
                    try await tx.execute("SELECT v FROM t").rows[0][0]
                }
                #expect(read == "two")
                var streamed: [String] = []
                for try await row in replica.query("SELECT v FROM t") { streamed.append(try row[0]) }
                #expect(streamed == ["two"])
                await replica.close()
            }
        }
    }

    @Test func withoutReadYourWritesReadsStayLocalUntilASync() async throws {
        try await withTemporaryDirectory { directory in
            try await withReplicationServer(directory: directory) { server, primary in
                try await primary.execute("CREATE TABLE t(v)")
                let replica = try await EmbeddedReplica.open(
                    path: directory + "/replica.db", url: server.url.absoluteString,
                    options: EmbeddedReplica.Options(readYourWrites: false))
                try await replica.execute("INSERT INTO t VALUES (1)")
                #expect(try await replica.execute("SELECT count(*) FROM t").rows[0][0] as Int64 == 0)
                try await replica.sync()
                #expect(try await replica.execute("SELECT count(*) FROM t").rows[0][0] as Int64 == 1)
                await replica.close()
            }
        }
    }

    @Test func backgroundSyncFollowsThePrimaryAndStopsOnClose() async throws {
        try await withTemporaryDirectory { directory in
            try await withReplicationServer(directory: directory) { server, primary in
                try await primary.execute("CREATE TABLE t(v)")
                let replica = try await EmbeddedReplica.open(
                    path: directory + "/replica.db", url: server.url.absoluteString, syncInterval: .milliseconds(50),
                    options: EmbeddedReplica.Options(readYourWrites: false))
                try await primary.execute("INSERT INTO t VALUES (1)")
                var seen: Int64 = 0
                for _ in 0..<400 where seen == 0 {
                    seen = try await replica.execute("SELECT count(*) FROM t").rows[0][0]
                    try await Task.sleep(for: .milliseconds(25))
                }
                #expect(seen == 1)
                await replica.close()
                let after = server.requestCount(path: nil)
                try await Task.sleep(for: .milliseconds(300))
                #expect(server.requestCount(path: nil) == after, "no sync after close")
            }
        }
    }
}
