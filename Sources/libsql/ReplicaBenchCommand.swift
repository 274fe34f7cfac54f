import ArgumentParser
import Foundation
import LibSQLClient
import LibSQLServer
import Replica
import SQLiteCore

/// `libsql bench-replica`: embedded-replica benchmarks against an in-process server, each beside a baseline
/// measured in the same run: find-by-id on the replica vs. the same query on a copy of the file; pulling and
/// applying many single-row transactions; bootstrapping a large database vs. copying its bytes.
struct ReplicaBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-replica", abstract: "Benchmark embedded replicas against baselines from the same run.")

    @Option(help: "Find-by-id lookups per contender.")
    var lookups: Int = 20_000

    @Option(help: "Single-row transactions to pull and apply.")
    var transactions: Int = 10_000

    @Option(help: "Size of the database to bootstrap, in MB (0 skips it).")
    var bootstrapMB: Int = 100

    func run() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("libsql-bench-replica-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var server = ServerConfiguration(databasePath: directory + "/primary.db", port: 0)
        server.replication.maxFramesPerGeneration = 4000
        try await HranaServer.withRunning(server) { running in
            let url = running.url.absoluteString
            let primary = try Database(url: url)
            defer { Task { await primary.close() } }
            print("# libsql bench-replica (in-process server on loopback)\n")
            try await findByID(primary: primary, url: url, directory: directory)
            try await pullAndApply(primary: primary, url: url, directory: directory)
            if bootstrapMB > 0 { try await bootstrap(primary: primary, url: url, directory: directory) }
        }
    }

    private func findByID(primary: Database, url: String, directory: String) async throws {
        try await primary.execute("CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT, email TEXT)")
        try await primary.execute("""
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)
            INSERT INTO users SELECT i, 'user' || i, 'user' || i || '@example.com' FROM n
            """)
        let path = directory + "/find.db"
        let replica = try await EmbeddedReplica.open(path: path, url: url)
        try await replica.sync()
        let copy = directory + "/find-copy.db"
        try FileManager.default.copyItem(atPath: path, toPath: copy)
        let local = try Database(url: "file:" + copy)
        let raw = try SQLiteConnection(path: copy, mode: .readOnly, create: false)
        var random = SystemRandomNumberGenerator()
        let ids = (0..<lookups).map { _ in Int64.random(in: 1...10_000, using: &random) }

        func time(_ body: (Int64) async throws -> Void) async throws -> Duration {
            for id in ids.prefix(500) { try await body(id) }
            let start = ContinuousClock.now
            for id in ids { try await body(id) }
            return ContinuousClock.now - start
        }
        let statement = try raw.prepare("SELECT id, name, email FROM users WHERE id = ?").statement!
        let rawTime = try await time { id in
            statement.reset()
            try statement.bind(.integer(id), at: 1)
            _ = try statement.step()
            _ = try statement.row()
        }
        let localTime = try await time { id in
            _ = try await local.execute("SELECT id, name, email FROM users WHERE id = ?", [id])
        }
        let replicaTime = try await time { id in
            _ = try await replica.execute("SELECT id, name, email FROM users WHERE id = ?", [id])
        }
        func perOp(_ duration: Duration) -> String { String(format: "%.1f µs", micros(duration) / Double(lookups)) }
        print("## Find by id (\(lookups) lookups, 10,000 rows)\n")
        print("| contender | per lookup | vs. local `Database` on a copy |")
        print("|---|---|---|")
        print("| SQLiteCore connection on a copy (prepared once) | \(perOp(rawTime)) | \(ratio(rawTime, localTime)) |")
        print("| `Database(url: \"file:copy\")` | \(perOp(localTime)) | 1.00× |")
        print("| `EmbeddedReplica` | \(perOp(replicaTime)) | \(ratio(replicaTime, localTime)) |")
        print("")
        raw.close()
        await local.close()
        await replica.close()
    }

    private func pullAndApply(primary: Database, url: String, directory: String) async throws {
        try await primary.execute("CREATE TABLE events(id INTEGER PRIMARY KEY, body TEXT)")
        let path = directory + "/pull.db"
        let replica = try await EmbeddedReplica.open(path: path, url: url)
        try await replica.sync()
        for index in 0..<transactions {
            try await primary.execute("INSERT INTO events(body) VALUES (?)", ["event \(index)"])
        }
        let start = ContinuousClock.now
        var applied = 0
        var bytes: Int64 = 0
        while applied < transactions {
            let result = try await replica.sync()
            applied += result.transactionsApplied
            bytes += result.bytesPulled
            if result.transactionsApplied == 0 { break }
        }
        let elapsed = ContinuousClock.now - start
        let copyTime = try copyBytes(Int(bytes), in: directory)
        print("## Pull and apply \(transactions) single-row transactions\n")
        print("| what | time | per transaction |")
        print("|---|---|---|")
        print("| sync (\(applied) transactions, \(bytes / 1024) KiB pulled) | \(seconds(elapsed)) | "
            + String(format: "%.0f µs", micros(elapsed) / Double(max(applied, 1))) + " |")
        print("| baseline: write + fsync the same bytes once | \(seconds(copyTime)) | — |")
        print("")
        await replica.close()
    }

    private func bootstrap(primary: Database, url: String, directory: String) async throws {
        try await primary.execute("CREATE TABLE blobs(id INTEGER PRIMARY KEY, b BLOB)")
        for _ in 0..<bootstrapMB {
            try await primary.execute("INSERT INTO blobs(b) VALUES (randomblob(1048576))")
        }
        // Let the server cut generations so that the export holds most of the data.
        try await Task.sleep(for: .seconds(2))
        let path = directory + "/boot.db"
        let start = ContinuousClock.now
        let replica = try await EmbeddedReplica.open(path: path, url: url)
        let result = try await replica.sync()
        let elapsed = ContinuousClock.now - start
        await replica.close()
        let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
        let copyStart = ContinuousClock.now
        try FileManager.default.copyItem(atPath: path, toPath: directory + "/boot-copy.db")
        let handle = FileHandle(forUpdatingAtPath: directory + "/boot-copy.db")
        try handle?.synchronize()
        try handle?.close()
        let copyTime = ContinuousClock.now - copyStart
        print("## Bootstrap of a \(size / 1_048_576) MB database\n")
        print("| what | time | vs. copy |")
        print("|---|---|---|")
        print("| open (GET /info, /export) + first sync (\(result.framesApplied) frames) | \(seconds(elapsed)) | \(ratio(elapsed, copyTime)) |")
        print("| baseline: copy the same file + fsync | \(seconds(copyTime)) | 1.00× |")
        print("")
    }

    private func copyBytes(_ count: Int, in directory: String) throws -> Duration {
        let data = Data(count: max(count, 1))
        let start = ContinuousClock.now
        let path = directory + "/bytes.bin"
        _ = FileManager.default.createFile(atPath: path, contents: data)
        let handle = FileHandle(forUpdatingAtPath: path)
        try handle?.synchronize()
        try handle?.close()
        return ContinuousClock.now - start
    }

    private func micros(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1e6 + Double(duration.components.attoseconds) / 1e12
    }

    private func seconds(_ duration: Duration) -> String { String(format: "%.3f s", micros(duration) / 1e6) }

    private func ratio(_ a: Duration, _ b: Duration) -> String { String(format: "%.2f×", micros(a) / max(micros(b), 1)) }
}
