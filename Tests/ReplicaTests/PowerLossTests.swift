import Foundation
import SQLiteCore
import Testing
@testable import Replica

/// The apply under simulated power loss: a fault-injecting VFS (``PowerLossVFS``) drops every durable operation
/// from the N-th on, for every N, and the disk then keeps none, all, or a random half of the writes that were not
/// synced. Reopened with the normal VFS, the file holds exactly the state before the transaction (every cut up
/// to the journal's deletion, the commit point) or after it, and the next apply converges.
@Suite(.serialized) struct PowerLossTests {
    enum Scenario: String, CaseIterable, Sendable {
        /// New pages at the end of the file (overflow pages of a blob).
        case grow
        /// Existing pages rewritten in place.
        case rewrite
        /// A DELETE under auto_vacuum=FULL: pages rewritten and the file truncated.
        case shrink
    }

    struct Case {
        var export: [UInt8]
        var frames: [(number: UInt32, frame: WALFrame)]
        var before: [String]
        var after: [String]
    }

    static func make(_ scenario: Scenario, directory: String) throws -> Case {
        let primary = try WALPrimary(path: directory + "/primary.db")
        if scenario == .shrink { try primary.execute("PRAGMA auto_vacuum = FULL; VACUUM") }
        try primary.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, b BLOB)")
        try primary.execute("""
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
            INSERT INTO t(v, b) SELECT 'row-' || i, randomblob(i % 7 * 40) FROM n
            """)
        try primary.execute("INSERT INTO t(v, b) VALUES ('gone', randomblob(60000))")
        let export = primary.image()
        _ = try primary.newFrames()
        let before = try dump(primary.connection)
        switch scenario {
        case .grow: try primary.execute("INSERT INTO t(v, b) VALUES ('new', randomblob(40000))")
        case .rewrite: try primary.execute("UPDATE t SET v = v || '-changed' WHERE id % 2 = 0")
        case .shrink: try primary.execute("DELETE FROM t WHERE v = 'gone'")
        }
        let frames = try primary.newFrames()
        return Case(export: export, frames: frames, before: before, after: try dump(primary.connection))
    }

    /// No journal is left, or only one SQLite does not consider hot (empty, or its first byte zero: the power went
    /// before its header reached the disk); the next apply overwrites it.
    static func noHotJournal(_ path: String) -> Bool {
        guard let journal = LocalFiles.read(path + "-journal") else { return true }
        return journal.first ?? 0 == 0
    }

    @Test(arguments: Scenario.allCases)
    func everyCutPointLeavesTheOldOrTheNewStateAndConverges(scenario: Scenario) async throws {
        PowerLossVFS.register()
        let disk = PowerLossDisk.shared
        try await withTemporaryDirectory { directory in
            let transaction = try Self.make(scenario, directory: directory)
            #expect(transaction.before != transaction.after)
            let sizeBefore = transaction.export.count

            // The durable operations of an apply that is not cut.
            let dry = directory + "/dry"
            try FileManager.default.createDirectory(atPath: dry, withIntermediateDirectories: true)
            let uncut = try TestReplica(path: dry + "/replica.db", export: transaction.export, vfs: PowerLossVFS.name)
            disk.arm(directory: dry, cut: nil)
            #expect(try uncut.apply(transaction.frames) == 1)
            let total = disk.operations
            uncut.applier.close()
            try disk.reboot(.keepUnsynced)
            #expect(try dump(dry + "/replica.db") == transaction.after, "the VFS passes an uncut apply through")
            #expect(total >= 6, "journal write and sync, page writes, database sync, journal deletion (\(total))")
            if scenario == .shrink { #expect(LocalFiles.size(dry + "/replica.db")! < sizeBefore) }

            var outcomes: [String: [String]] = [:]
            for cut in 1...(total + 1) {
                for loss in PowerLossDisk.Loss.allCases {
                    let run = "\(directory)/cut-\(cut)-\(loss)"
                    try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
                    let path = run + "/replica.db"
                    let replica = try TestReplica(path: path, export: transaction.export, vfs: PowerLossVFS.name)
                    disk.arm(directory: run, cut: cut)
                    // Past the cut every write "succeeds" into the void, so the apply runs to its end.
                    #expect(try replica.apply(transaction.frames) == 1)
                    #expect(disk.poweredOff == (cut <= total))
                    replica.applier.close()
                    try disk.reboot(loss, seed: UInt64(cut))

                    let label = "cut at operation \(cut) of \(total), \(loss)"
                    let state = try dump(path)  // any connection rolls a hot journal back
                    let outcome = state == transaction.after ? "new" : state == transaction.before ? "old" : "mixed"
                    #expect(outcome == (cut <= total ? "old" : "new"), "\(label)")
                    outcomes[outcome, default: []].append(label)
                    #expect(try integrityCheck(path) == "ok", "\(label)")
                    #expect(Self.noHotJournal(path), "\(label)")

                    let reopened = try #require(try TestReplica.reopen(path), "the metadata names the file's state: \(label)")
                    #expect(reopened.metadata.committed.frame == (cut <= total ? 0 : transaction.frames.last!.number), "\(label)")
                    if reopened.metadata.committed.frame == 0 { #expect(try reopened.apply(transaction.frames) == 1) }
                    reopened.applier.close()
                    #expect(try dump(path) == transaction.after ? true : false, "the next apply converges: \(label)")
                    #expect(try integrityCheck(path) == "ok", "\(label)")
                    try FileManager.default.removeItem(atPath: run)
                }
            }
            #expect(outcomes["mixed"] == nil, "\(outcomes["mixed"] ?? [])")
            #expect(outcomes["old"]?.count == total * PowerLossDisk.Loss.allCases.count)
            #expect(outcomes["new"]?.count == PowerLossDisk.Loss.allCases.count)
        }
    }
}
