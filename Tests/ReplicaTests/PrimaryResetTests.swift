import Foundation
import LibSQLClient
import LibSQLServer
import Logging
import Synchronization
import Testing
@testable import Replica

/// A primary whose history is replaced under a running replica, at the same URL: an older archive restored (the
/// generation goes back), a fresh server (a lower generation), a new database under the same generation number.
/// The replica rebuilds itself from the new primary's export, and a reader never sees anything but the old state
/// or the new one.
@Suite struct PrimaryResetTests {
    enum Reset: String, CaseIterable, Sendable {
        /// The primary's files are replaced by a copy taken earlier: its generation is lower than the replica's.
        case olderArchive
        /// A new, empty primary at the same URL starts again at generation 1.
        case freshPrimary
    }

    /// A table whose content tells the histories apart.
    static func write(_ primary: Database, _ tag: String, rows: Int) async throws {
        for index in 0..<rows {
            try await primary.execute("INSERT INTO t(v, b) VALUES (?, randomblob(5000))", ["\(tag)-\(index)"])
            try await Task.sleep(for: .milliseconds(40))  // lets the capture cut generations of 6 frames
        }
    }

    static func state(_ replica: EmbeddedReplica) async throws -> String {
        let row = try await replica.execute("SELECT count(*), group_concat(v, ',') FROM (SELECT v FROM t ORDER BY id)").rows[0]
        return "\(row.values)"
    }

    func currentGeneration(_ url: String) async throws -> UInt32 {
        let transport = AsyncHTTPClientTransport()
        let client = SyncProtocolClient(
            baseURL: URL(string: url)!, authToken: AuthTokenStore(nil), transport: transport, requestTimeout: .seconds(10),
            logger: Logger(label: "test"))
        let generation = try await client.currentGeneration()
        try await transport.shutdown()
        return generation
    }

    /// Syncs `replica` while a task reads it over and over; returns the sync's result and every state it read.
    func syncWatched(_ replica: EmbeddedReplica) async throws -> (SyncResult, Set<String>) {
        let done = Mutex(false)
        let reader = Task { () -> (Set<String>, [String]) in
            var seen = Set<String>()
            var errors: [String] = []
            while !done.withLock({ $0 }) {
                do { seen.insert(try await Self.state(replica)) } catch { errors.append("\(error)") }
                try? await Task.sleep(for: .milliseconds(1))
            }
            return (seen, errors)
        }
        let result: SyncResult
        do {
            result = try await replica.sync()
        } catch {
            done.withLock { $0 = true }
            _ = await reader.value
            throw error
        }
        done.withLock { $0 = true }
        let (seen, errors) = await reader.value
        #expect(errors.isEmpty, "reads during the rebuild: \(errors)")
        return (result, seen)
    }

    @Test(arguments: Reset.allCases, [false, true])
    func aPrimaryWhoseGenerationWentBackRebuildsTheReplica(reset: Reset, nameOnlyTheCurrentGeneration: Bool) async throws {
        try await withTemporaryDirectory { directory in
            let serverDirectory = directory + "/primary"
            let backup = directory + "/backup"
            let path = directory + "/replica.db"
            try FileManager.default.createDirectory(atPath: serverDirectory, withIntermediateDirectories: true)
            // 1. The history the older archive holds.
            let port = try await withReplicationServer(directory: serverDirectory, framesPerGeneration: 6) { server, primary in
                try await primary.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, b BLOB)")
                try await Self.write(primary, "old", rows: 3)
                return server.port
            }
            try FileManager.default.copyItem(atPath: serverDirectory, toPath: backup)
            let url = "http://127.0.0.1:\(port)"
            // 2. More history, which the replica follows for several generations.
            let transport = FaultyTransport(AsyncHTTPClientTransport())
            let replica = try await withReplicationServer(directory: serverDirectory, port: port, framesPerGeneration: 6) {
                _, primary in
                try await Self.write(primary, "ahead", rows: 8)
                let replica = try await EmbeddedReplica.open(
                    path: path, url: url, options: EmbeddedReplica.Options(readYourWrites: false, transport: transport))
                try await replica.sync()
                #expect(try dump(path) == (try await remoteDump(primary)))
                return replica
            }
            let ahead = await replica.position
            // 3. The primary comes back with other history, at a lower generation.
            try FileManager.default.removeItem(atPath: serverDirectory)
            switch reset {
            case .olderArchive:
                try FileManager.default.copyItem(atPath: backup, toPath: serverDirectory)
            case .freshPrimary:
                try FileManager.default.createDirectory(atPath: serverDirectory, withIntermediateDirectories: true)
            }
            do {
                try await withReplicationServer(directory: serverDirectory, port: port, framesPerGeneration: 6) { _, primary in
                    if reset == .freshPrimary {
                        try await primary.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, b BLOB)")
                        try await Self.write(primary, "fresh", rows: 1)
                    }
                    let generation = try await currentGeneration(url)
                    #expect(generation < ahead.generation)
                    if nameOnlyTheCurrentGeneration { transport.answerGoneAsEndOfGeneration(generation) }
                    let before = try await Self.state(replica)
                    let (result, seen) = try await syncWatched(replica)
                    #expect(result.rebuilt)
                    #expect(result.generation == generation)
                    #expect(try integrityCheck(path) == "ok")
                    let after = try await remoteDump(primary)
                    #expect(try dump(path) == after)
                    let now = try await Self.state(replica)
                    #expect(now != before)
                    #expect(seen.isSubset(of: [before, now]), "a reader saw a mixed state: \(seen)")
                    // And it keeps following the new history.
                    try await primary.execute("INSERT INTO t(v) VALUES ('next')")
                    let next = try await replica.sync()
                    #expect(!next.rebuilt)
                    #expect(try dump(path) == (try await remoteDump(primary)))
                }
            } catch {
                await replica.close()
                try await transport.shutdown()
                throw error
            }
            await replica.close()
            try await transport.shutdown()
        }
    }

    enum Replacement: String, CaseIterable, Sendable {
        /// The new history has more frames than the replica applied: the frame at its position differs.
        case longerHistory
        /// It has fewer: the primary has nothing at the replica's position.
        case shorterHistory
    }

    /// A different database under the same generation number: only the frames themselves tell.
    @Test(arguments: Replacement.allCases)
    func aPrimaryReplacedUnderTheSameGenerationRebuildsTheReplica(replacement: Replacement) async throws {
        try await withTemporaryDirectory { directory in
            let serverDirectory = directory + "/primary"
            let path = directory + "/replica.db"
            try FileManager.default.createDirectory(atPath: serverDirectory, withIntermediateDirectories: true)
            var replica: EmbeddedReplica?
            let port = try await withReplicationServer(directory: serverDirectory) { server, primary in
                try await primary.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, b BLOB)")
                try await Self.write(primary, "first", rows: 4)
                let opened = try await EmbeddedReplica.open(
                    path: path, url: server.url.absoluteString, options: EmbeddedReplica.Options(readYourWrites: false))
                replica = opened
                try await opened.sync()
                return server.port
            }
            let replicaValue = try #require(replica)
            let position = await replicaValue.position
            #expect(position.generation == 1 && position.frame > 4)
            try FileManager.default.removeItem(atPath: serverDirectory)
            try FileManager.default.createDirectory(atPath: serverDirectory, withIntermediateDirectories: true)
            do {
                try await withReplicationServer(directory: serverDirectory, port: port) { _, primary in
                    try await primary.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, b BLOB)")
                    if replacement == .longerHistory { try await Self.write(primary, "second", rows: 12) }
                    #expect(try await currentGeneration("http://127.0.0.1:\(port)") == position.generation)
                    let before = try await Self.state(replicaValue)
                    let (result, seen) = try await syncWatched(replicaValue)
                    #expect(result.rebuilt)
                    #expect(try integrityCheck(path) == "ok")
                    #expect(try dump(path) == (try await remoteDump(primary)))
                    let now = try await Self.state(replicaValue)
                    #expect(seen.isSubset(of: [before, now]), "a reader saw a mixed state: \(seen)")
                    try await primary.execute("INSERT INTO t(v) VALUES ('next')")
                    #expect(!(try await replicaValue.sync()).rebuilt)
                    #expect(try dump(path) == (try await remoteDump(primary)))
                }
            } catch {
                await replicaValue.close()
                throw error
            }
            await replicaValue.close()
        }
    }
}
