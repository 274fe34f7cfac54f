import Foundation
@testable import LibSQLServer
import SQLiteCore
import Testing

/// The WAL parser on logs SQLite itself wrote (Debian's 3.40), then damaged on copies.
@Suite("WAL scanner")
struct WALScannerTests {
    /// A database in WAL mode that never checkpoints, with its connection kept open while `body` runs.
    static func withWAL<T>(_ body: (SQLiteConnection, String, URL) throws -> T) throws -> T {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("wal-scan-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("scan.db").path
        let connection = try SQLiteConnection(path: path)
        defer { connection.close() }
        try connection.keepWAL()
        try connection.enableWAL()
        return try body(connection, path + "-wal", folder)
    }

    static func scan(_ path: String) throws -> WALScan? {
        let file = try ReplicationFile(path: path)
        defer { file.close() }
        return try WALScanner.scan(file, resuming: nil)
    }

    /// A copy of the log, changed by `damage`.
    static func damagedCopy(of path: String, in folder: URL, _ damage: (inout [UInt8]) -> Void) throws -> String {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        damage(&bytes)
        let copy = folder.appendingPathComponent("copy-\(UUID().uuidString)-wal").path
        try Data(bytes).write(to: URL(fileURLWithPath: copy))
        return copy
    }

    static func size(_ path: String) throws -> Int {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
    }

    @Test("every frame of committed transactions counts; the scan resumes where it stopped")
    func committed() throws {
        try Self.withWAL { connection, wal, _ in
            try connection.execute(script: "CREATE TABLE t(v); INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)")
            let file = try ReplicationFile(path: wal)
            defer { file.close() }
            let first = try #require(try WALScanner.scan(file, resuming: nil))
            #expect(first.committedFrames == (try Self.size(wal) - WALFormat.headerSize) / WALFormat.frameSize)
            #expect(first.pendingFrames == 0)
            #expect(first.pageCount == 2)
            try connection.execute(script: "INSERT INTO t VALUES (3)")
            let resumed = try #require(try WALScanner.scan(file, resuming: first))
            let fresh = try #require(try WALScanner.scan(file, resuming: nil))
            #expect(resumed == fresh)
            #expect(resumed.committedFrames > first.committedFrames)
        }
    }

    @Test("a torn tail ends the log at the last complete commit")
    func tornTail() throws {
        try Self.withWAL { connection, wal, folder in
            try connection.execute(script: "CREATE TABLE t(v); INSERT INTO t VALUES (1)")
            let before = try #require(try Self.scan(wal)).committedFrames
            try connection.execute(script: "INSERT INTO t VALUES (randomblob(9000))")
            let after = try #require(try Self.scan(wal)).committedFrames
            #expect(after > before + 1)
            let torn = try Self.damagedCopy(of: wal, in: folder) { bytes in
                bytes.removeLast(WALFormat.frameSize / 2)
            }
            #expect(try Self.scan(torn)?.committedFrames == before, "the last transaction lost its commit frame")
        }
    }

    @Test("a frame with the wrong salt or a broken checksum ends the log there")
    func saltAndChecksum() throws {
        try Self.withWAL { connection, wal, folder in
            try connection.execute(script: "CREATE TABLE t(v)")
            let first = try #require(try Self.scan(wal)).committedFrames
            try connection.execute(script: "INSERT INTO t VALUES (1)")
            let all = try #require(try Self.scan(wal)).committedFrames
            #expect(all > first)
            let frameOffset = WALFormat.offset(ofFrame: first + 1)
            let salted = try Self.damagedCopy(of: wal, in: folder) { $0[frameOffset + 9] ^= 0xff }
            #expect(try Self.scan(salted)?.committedFrames == first)
            let corrupt = try Self.damagedCopy(of: wal, in: folder) { $0[frameOffset + 100] ^= 0x01 }
            #expect(try Self.scan(corrupt)?.committedFrames == first)
            let badHeader = try Self.damagedCopy(of: wal, in: folder) { $0[17] ^= 0x01 }
            #expect(try Self.scan(badHeader) == nil, "a header whose checksum fails is no log")
        }
    }

    @Test("frames a large transaction spilled and then rolled back are never counted")
    func spilledRollback() throws {
        try Self.withWAL { connection, wal, _ in
            try connection.execute(script: "CREATE TABLE t(v); INSERT INTO t VALUES (1)")
            let committed = try #require(try Self.scan(wal))
            try connection.execute(script: "PRAGMA cache_size=2")
            try connection.execute(script: """
                BEGIN; WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 50)
                INSERT INTO t SELECT randomblob(3000) FROM c
                """)
            let spilled = try #require(try Self.scan(wal))
            #expect(spilled.pendingFrames > 0, "the transaction spilled pages into the WAL")
            #expect(spilled.committedFrames == committed.committedFrames)
            try connection.execute(script: "ROLLBACK")
            let rolledBack = try #require(try Self.scan(wal))
            #expect(rolledBack.committedFrames == committed.committedFrames)
            try connection.execute(script: "INSERT INTO t VALUES (2)")
            let next = try #require(try Self.scan(wal))
            #expect(next.committedFrames == committed.committedFrames + 1, "the next commit overwrites the spilled frames")
        }
    }

    @Test("the checksum sums big-endian words for magic 0x377f0683")
    func bigEndianChecksum() {
        var little = WALChecksum(bigEndianWords: false)
        var big = WALChecksum(bigEndianWords: true)
        let bytes: [UInt8] = [1, 0, 0, 0, 2, 0, 0, 0]
        bytes.withUnsafeBytes { little.add($0) }
        bytes.withUnsafeBytes { big.add($0) }
        #expect(little.s0 == 1 && little.s1 == 3)
        #expect(big.s0 == 0x0100_0000 && big.s1 == 0x0300_0000)
    }
}
