import Foundation
import LibSQLClient
import LibSQLServer
import SQLiteCore
import Testing
@testable import Replica

/// The apply killed with SIGKILL at every step, in a child process (`libsql sync --crash-after STEP`): the file
/// then holds exactly the state before or after the transaction, and the next sync converges.
@Suite struct CrashRecoveryTests {
    enum Scenario: String, CaseIterable, Sendable {
        /// A transaction that grows the file (overflow pages).
        case grow
        /// A VACUUM that shrinks it (pages rewritten, the file truncated).
        case shrink
    }

    static let cases: [(Scenario, String)] =
        ["journal", "metadata", "page-1", "page-4", "synced", "commit-point", "committed"].map { (.grow, $0) }
        + ["journal", "page-2", "truncate", "synced", "commit-point"].map { (.shrink, $0) }

    @Test(arguments: cases)
    func crashAtEveryStep(scenario: Scenario, step: String) async throws {
        try await withTemporaryDirectory { directory in
            try await withReplicationServer(directory: directory) { server, primary in
                let url = server.url.absoluteString
                let path = directory + "/replica.db"
                if scenario == .shrink {
                    // With auto_vacuum=FULL a DELETE gives its pages back in the same transaction: the file shrinks.
                    try await primary.executeMultiple("PRAGMA auto_vacuum = FULL; VACUUM")
                    #expect(try await primary.execute("PRAGMA auto_vacuum").rows[0][0] as Int64 == 1)
                }
                try await primary.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, b BLOB)")
                try await primary.execute("INSERT INTO t(v, b) VALUES ('seed', randomblob(20000))")
                if scenario == .shrink {
                    try await primary.execute("INSERT INTO t(v, b) VALUES ('gone', randomblob(60000))")
                }
                let replica = try await EmbeddedReplica.open(path: path, url: url)
                try await replica.sync()
                await replica.close()
                let before = try dump(path)

                let sizeBefore = LocalFiles.size(path) ?? 0
                try await primary.execute(scenario == .grow
                    ? "INSERT INTO t(v, b) VALUES ('new', randomblob(30000))" : "DELETE FROM t WHERE v = 'gone'")
                let after = try await remoteDump(primary)
                #expect(after != before)

                let status = try await runSync(path: path, url: url, crashAfter: step)
                #expect(status == SIGKILL, "the child must die at \(step), not exit (\(status))")

                // Any SQLite connection rolls a hot journal back on open; then the file is old or new, never mixed.
                let committed = step == "commit-point" || step == "committed"
                #expect(try dump(path) == (committed ? after : before), "after a crash at \(step)")
                #expect(try integrityCheck(path) == "ok")
                #expect(!LocalFiles.exists(path + "-journal"))

                let reopened = try await EmbeddedReplica.open(path: path, url: url)
                let result = try await reopened.sync()
                #expect(!result.rebuilt, "a crash is recovered, not rebuilt")
                #expect(try dump(path) == after)
                let sizeAfter = LocalFiles.size(path) ?? 0
                if scenario == .shrink { #expect(sizeAfter < sizeBefore, "the file was truncated") }
                #expect(try integrityCheck(path) == "ok")
                await reopened.close()
            }
        }
    }

    /// A second process is refused while this one has the replica open, and succeeds once it is closed.
    @Test func aSecondProcessIsRefused() async throws {
        try await withTemporaryDirectory { directory in
            try await withReplicationServer(directory: directory) { server, primary in
                let url = server.url.absoluteString
                let path = directory + "/replica.db"
                try await primary.execute("CREATE TABLE t(v)")
                let replica = try await EmbeddedReplica.open(path: path, url: url)
                let (refused, output) = try await runSync(path: path, url: url, arguments: [])
                #expect(refused == 1)
                #expect(output.contains("alreadyOpen"), "\(output)")
                await replica.close()
                let (status, _) = try await runSync(path: path, url: url, arguments: [])
                #expect(status == 0)
            }
        }
    }

    func runSync(path: String, url: String, crashAfter: String) async throws -> Int32 {
        try await runSync(path: path, url: url, arguments: ["--crash-after", crashAfter]).status
    }

    func runSync(path: String, url: String, arguments: [String]) async throws -> (status: Int32, errors: String) {
        try await runSyncProcess(path: path, url: url, arguments: arguments)
    }
}
