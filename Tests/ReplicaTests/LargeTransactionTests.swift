import Foundation
import LibSQLClient
import LibSQLServer
import SQLiteCore
import Testing
@testable import Replica

/// A primary transaction far larger than one `/sync` response (128 frames, 512 KiB) is spooled to disk until its
/// commit frame arrives: memory stays bounded, and a spool a crash left behind is discarded on the next open.
@Suite struct LargeTransactionTests {
    /// One transaction of `megabytes` rows of 1 MB blobs.
    static func insertLarge(_ primary: Database, megabytes: Int) async throws {
        try await primary.execute(Statement(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < \(megabytes)) "
                + "INSERT INTO t(v, b) SELECT 'big' || i, randomblob(1000000) FROM n"))
    }

    /// Rows too large for one Hrana response, compared by length and samples of every blob.
    static let digestSQL = """
        SELECT id, v, length(b), hex(substr(b, 1, 64)), hex(substr(b, 4000, 64)), hex(substr(b, 500000, 64)),
               hex(substr(b, -64)) FROM t ORDER BY id
        """

    static func remoteDigest(_ primary: Database) async throws -> [String] {
        try await primary.execute(Statement(digestSQL)).rows.map { $0.values.map(plain).joined(separator: "|") }
    }

    static func localDigest(_ path: String) throws -> [String] {
        let connection = try SQLiteConnection(path: path, mode: .readOnly, create: false)
        defer { connection.close() }
        let statement = try connection.prepare(digestSQL).statement!
        var rows: [String] = []
        while try statement.step() { rows.append(try statement.row().map(plain).joined(separator: "|")) }
        return rows
    }

    static func prepare(_ primary: Database) async throws {
        try await primary.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, b BLOB)")
        try await primary.execute("INSERT INTO t(v) VALUES ('seed')")
    }

    /// A primary with a table and a replica file synced to it and closed (for `libsql sync` child processes).
    static func withSyncedReplica(_ body: (String, String, Database) async throws -> Void) async throws {
        try await withTemporaryDirectory { directory in
            try await withReplicationServer(directory: directory, framesPerGeneration: 100_000) { server, primary in
                let url = server.url.absoluteString
                let path = directory + "/replica.db"
                try await prepare(primary)
                let replica = try await EmbeddedReplica.open(path: path, url: url)
                try await replica.sync()
                await replica.close()
                try await body(url, path, primary)
            }
        }
    }

    @Test func aTransactionOfManyResponsesIsSpooledAndAppliedAtOnce() async throws {
        try await withTemporaryDirectory { directory in
            try await withReplicationServer(directory: directory, framesPerGeneration: 100_000) { server, primary in
                try await Self.prepare(primary)
                let replica = try await EmbeddedReplica.open(
                    path: directory + "/replica.db", url: server.url.absoluteString,
                    options: EmbeddedReplica.Options(readYourWrites: false))
                try await replica.sync()
                try await Self.insertLarge(primary, megabytes: 16)
                let result = try await replica.sync()
                #expect(result.transactionsApplied == 1)
                #expect(result.framesApplied > 30 * Int(SyncProtocolClient.batchSize), "many responses")
                let spooled = await replica.syncer.lastSpoolPeak
                #expect(spooled > 15_000_000, "the transaction's pages went to the spool (\(spooled) bytes)")
                #expect(!LocalFiles.exists(replica.path + "-sync.spool"))
                #expect(try integrityCheck(replica.path) == "ok")
                #expect(try Self.localDigest(replica.path) == (try await Self.remoteDigest(primary)))
                // A small transaction afterwards stays in memory.
                try await primary.execute("INSERT INTO t(v) VALUES ('after')")
                #expect(try await replica.sync().transactionsApplied == 1)
                #expect(await replica.syncer.lastSpoolPeak == 0)
                await replica.close()
            }
        }
    }

    /// The peak resident memory of a `libsql sync` process that applies one 64 MB transaction, beside one that
    /// applies a single small row and one that applies 16 MB: the difference stays far below the transaction's size
    /// and does not grow with it.
    @Test func peakMemoryDoesNotGrowWithTheTransaction() async throws {
        try await Self.withSyncedReplica { url, path, primary in
                func peak() async throws -> Int {
                    let (status, output) = try await runSyncProcess(
                        path: path, url: url, arguments: ["--report-peak-memory", "--timeout", "600"],
                        environment: ["PATH": "/usr/bin:/bin"])
                    #expect(status == 0, "\(output)")
                    let line = try #require(output.split(separator: "\n").first { $0.hasPrefix("peak-rss-kb ") })
                    return try #require(Int(line.dropFirst("peak-rss-kb ".count)))
                }
                try await primary.execute("INSERT INTO t(v) VALUES ('small')")
                let small = try await peak()
                try await Self.insertLarge(primary, megabytes: 16)
                let medium = try await peak()
                try await Self.insertLarge(primary, megabytes: 64)
                let large = try await peak()
                print("peak RSS of libsql sync: \(small) KiB for one small row, \(medium) KiB for one 16 MB transaction, \(large) KiB for one 64 MB transaction")
                #expect(large - small < 16 * 1024, "peak grew by \(large - small) KiB for a 65,536 KiB transaction")
                #expect(large - medium < 8 * 1024, "48 MB more in the transaction added \(large - medium) KiB")
                #expect(try integrityCheck(path) == "ok")
                #expect(try Self.localDigest(path) == (try await Self.remoteDigest(primary)))
        }
    }

    @Test func aSpoolLeftByACrashIsDiscardedOnTheNextOpen() async throws {
        try await Self.withSyncedReplica { url, path, primary in
                let before = try dump(path)
                try await Self.insertLarge(primary, megabytes: 4)
                let (status, output) = try await runSyncProcess(path: path, url: url, arguments: ["--crash-after", "spool"])
                #expect(status == SIGKILL, "the child must die once it spools (\(status)): \(output)")
                #expect(LocalFiles.exists(path + "-sync.spool"), "the crash left the spool behind")
                #expect(try dump(path) == before, "nothing of the spooled transaction reached the file")

                let replica = try await EmbeddedReplica.open(path: path, url: url)
                #expect(!LocalFiles.exists(path + "-sync.spool"), "opening discards the spool")
                let result = try await replica.sync()
                #expect(!result.rebuilt)
                #expect(result.transactionsApplied == 1)
                #expect(try integrityCheck(path) == "ok")
                #expect(try Self.localDigest(path) == (try await Self.remoteDigest(primary)))
                await replica.close()
        }
    }
}
