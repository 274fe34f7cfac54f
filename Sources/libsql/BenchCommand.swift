import ArgumentParser
import Foundation
import Hrana
import LibSQLClient
import LibSQLServer
import Synchronization

/// `libsql bench`: the seed's benchmark table for the client, with the raw transport as a baseline.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmark the client: the seed's operations, HTTP requests per operation, raw-transport baseline.")

    @Option(name: .long, help: "A database URL (libsql://, https://, http://, wss://, ws://); default: an in-process server on loopback.")
    var url: String?

    @Option(name: .long, help: "The auth token for --url.")
    var token: String?

    @Option(name: .long, help: "Iterations per operation.")
    var iterations: Int = 200

    @Option(name: .long, help: "Benchmark a local SQLite file instead of a server.")
    var local: String?

    @Option(name: .long, help: "Rows of the streamed query that measures peak memory (0 skips it).")
    var streamRows: Int = 1_000_000

    @Flag(name: .long, help: "Run the seed's operations through RecordAdapter models against raw client statements instead.")
    var records = false

    @Option(name: .long, help: "Soak for this many seconds instead: concurrent clients doing mixed reads, writes, transactions and cursors, then a consistency check (exit status 1 when it fails).")
    var soak: Int?

    @Option(name: .long, help: "Concurrent clients of --soak.")
    var clients: Int = 16

    @Flag(name: .long, help: "With --soak and no --url: spawn `libsql serve` as a child process instead of serving in-process.")
    var spawn = false

    @Option(name: .long, help: "The client's body encoding for the remote operations: json or protobuf.")
    var encoding: String = "json"

    @Option(name: .long, help: "The client's wire for the remote operations: http, or ws (one WebSocket, hrana3 or hrana3-protobuf).")
    var transport: String = "http"

    func run() async throws {
        if let soak {
            guard soak > 0, clients > 0 else { throw ValidationError("--soak and --clients must be positive") }
            guard try await runSoak(seconds: soak) else { throw ExitCode.failure }
            return
        }
        if records {
            try await runRecords()
            return
        }
        if let local {
            let client = try Database(url: "file:" + local)
            print("# libsql bench: local file \(local), \(iterations) iterations\n")
            try await runAll(client: client, counter: nil, raw: nil)
            await client.close()
            return
        }
        if let url {
            try await runRemote(url: url, token: token, label: "\(url.prefix { $0 != "?" })")
            return
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("libsql-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = ServerConfiguration(databasePath: directory.appendingPathComponent("bench.db").path, port: 0)
        try await HranaServer.withRunning(server) { running in
            try await runRemote(url: running.url.absoluteString, token: nil, label: "in-process server on loopback")
        }
    }

    private func runSoak(seconds: Int) async throws -> Bool {
        if let url {
            return try await SoakBench(url: url, token: token, seconds: seconds, clients: clients, serverPID: nil).run()
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("libsql-soak-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("soak.db").path
        if spawn {
            let server = try SpawnedServer(databasePath: path)
            defer { server.stop() }
            return try await SoakBench(url: server.url, token: nil, seconds: seconds, clients: clients, serverPID: server.pid).run()
        }
        return try await HranaServer.withRunning(ServerConfiguration(databasePath: path, port: 0)) { running in
            try await SoakBench(url: running.url.absoluteString, token: nil, seconds: seconds, clients: clients, serverPID: nil).run()
        }
    }

    private func runRecords() async throws {
        if let local {
            let client = try Database(url: "file:" + local)
            try await RecordsBench(database: client, iterations: iterations).run()
            await client.close()
        } else if let url {
            let client = try Database(url: url, authToken: token)
            try await RecordsBench(database: client, iterations: iterations).run()
            await client.close()
        } else {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("libsql-bench-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let server = ServerConfiguration(databasePath: directory.appendingPathComponent("bench.db").path, port: 0)
            try await HranaServer.withRunning(server) { running in
                print("# libsql bench --records: in-process server on loopback")
                let client = try Database(url: running.url.absoluteString)
                try await RecordsBench(database: client, iterations: iterations).run()
                await client.close()
            }
        }
    }

    private func runRemote(url: String, token: String?, label: String) async throws {
        let transport = AsyncHTTPClientTransport()
        let counter = CountingTransport(base: transport)
        guard let wireEncoding = Database.Configuration.Encoding(rawValue: encoding) else {
            throw ValidationError("--encoding must be json or protobuf")
        }
        let wire: Database.Configuration.Wire
        switch self.transport {
        case "http": wire = .http
        case "ws": wire = .webSocket
        default: throw ValidationError("--transport must be http or ws")
        }
        guard wire == .http else {
            // Over WebSocket there are no HTTP requests to count or replay raw.
            try await transport.shutdown()
            let client = try Database(configuration: .init(url: url, authToken: token, encoding: wireEncoding, wire: wire))
            print("# libsql bench: \(label), WebSocket, \(encoding), \(iterations) iterations\n")
            try await runAll(client: client, counter: nil, raw: nil)
            await client.close()
            return
        }
        let client = try Database(configuration: .init(url: url, authToken: token, transport: counter, encoding: wireEncoding))
        print("# libsql bench: \(label), \(encoding), \(iterations) iterations\n")
        try await runAll(client: client, counter: counter, raw: transport)
        await client.close()
        try await transport.shutdown()
        try await CompressionBench(url: url, token: token, iterations: max(10, iterations / 10)).run()
    }

    // MARK: Operations

    private struct Operation {
        var name: String
        var run: (Database, Int) async throws -> Void
    }

    private func operations(insertedIDs: IDStack) -> [Operation] {
        [
            Operation(name: "INSERT single row") { db, i in
                let id = try await db.execute("INSERT INTO bench (name, value) VALUES (\("user \(i)"), \(i % 100))").lastInsertRowID
                if let id { insertedIDs.push(id) }
            },
            Operation(name: "SELECT all 100 rows") { db, _ in
                _ = try await db.execute("SELECT id, name, value FROM bench WHERE id <= 100")
            },
            Operation(name: "SELECT WHERE") { db, i in
                _ = try await db.execute("SELECT id, name, value FROM bench WHERE id <= 100 AND value BETWEEN \(i % 90) AND \(i % 90 + 9)")
            },
            Operation(name: "SELECT find by id") { db, i in
                _ = try await db.execute("SELECT id, name, value FROM bench WHERE id = \(Int64(i % 100 + 1))")
            },
            Operation(name: "UPDATE single row") { db, i in
                _ = try await db.execute("UPDATE bench SET value = \(i) WHERE id = \(Int64(i % 100 + 1))")
            },
            Operation(name: "DELETE single row") { db, _ in
                let id = insertedIDs.pop() ?? -1
                _ = try await db.execute("DELETE FROM bench WHERE id = \(id)")
            },
            Operation(name: "transaction of 10 inserts") { db, i in
                try await db.transaction(.write) { tx in
                    for j in 0..<10 { try await tx.execute("INSERT INTO bench (name, value) VALUES (\("tx \(i).\(j)"), \(j))") }
                }
            },
        ]
    }

    private func runAll(client: Database, counter: CountingTransport?, raw: AsyncHTTPClientTransport?) async throws {
        try await client.executeMultiple("DROP TABLE IF EXISTS bench; CREATE TABLE bench (id INTEGER PRIMARY KEY, name TEXT, value INT);")
        try await client.batch((1...100).map { "INSERT INTO bench (name, value) VALUES (\("seed \($0)"), \($0 % 100))" }, mode: .write)
        let insertedIDs = IDStack()
        print("| Operation | ops/sec | avg | p50 | p99 | HTTP requests/op | raw transport p50 | raw avg | overhead (avg) |")
        print("|---|---|---|---|---|---|---|---|---|")
        for operation in operations(insertedIDs: insertedIDs) {
            for i in 0..<5 { try await operation.run(client, i) }
            counter?.startCapture()
            let before = counter?.count ?? 0
            var latencies: [Duration] = []
            latencies.reserveCapacity(iterations)
            let clock = ContinuousClock()
            let started = clock.now
            for i in 0..<iterations {
                let start = clock.now
                try await operation.run(client, i)
                latencies.append(clock.now - start)
            }
            let total = clock.now - started
            let requests = counter.map { Double($0.count - before) / Double(iterations) }
            let captured = counter?.stopCapture() ?? []
            var rawStats: Stats?
            if let raw, !captured.isEmpty {
                let perOperation = max(1, captured.count / iterations)
                let groups = stride(from: 0, to: captured.count - perOperation + 1, by: perOperation).map {
                    Array(captured[$0..<($0 + perOperation)])
                }
                rawStats = try await rawBaseline(transport: raw, groups: groups)
            }
            let stats = Stats(latencies)
            let overhead = rawStats.map { String(format: "%+.0f%%", (stats.average / $0.average - 1) * 100) } ?? "n/a"
            print("| \(operation.name) | \(String(format: "%.0f", Double(iterations) / total.seconds)) | \(stats.average.ms) | \(stats.p50.ms) | \(stats.p99.ms) | \(requests.map { String(format: "%.1f", $0) } ?? "n/a") | \(rawStats?.p50.ms ?? "n/a") | \(rawStats?.average.ms ?? "n/a") | \(overhead) |")
        }
        if streamRows > 0 { try await streamQuery(client) }
    }

    /// Sends the captured request bodies of each iteration straight through the transport again, in order,
    /// updating only the baton between requests of one stream (JSON or protobuf, as captured).
    private func rawBaseline(transport: AsyncHTTPClientTransport, groups: [[(HTTPRequest, Data?)]]) async throws -> Stats {
        var latencies: [Duration] = []
        let clock = ContinuousClock()
        for exchanges in groups {
            let start = clock.now
            var baton: String?
            for (index, (request, body)) in exchanges.enumerated() {
                let protobuf = request.url.path.hasPrefix("/v3-protobuf/")
                let pipeline = request.url.path.hasSuffix("/pipeline")
                var body = body
                if let current = baton, let captured = body, pipeline {
                    body = try Self.replacingBaton(in: captured, with: current, protobuf: protobuf)
                }
                let response = try await transport.send(request, body: body)
                let data = try await response.body.collect(upTo: 64 << 20)
                let followed = index < exchanges.count - 1
                baton = pipeline && followed ? try Self.baton(of: data, protobuf: protobuf) : nil
            }
            latencies.append(clock.now - start)
        }
        return Stats(latencies)
    }

    private static func replacingBaton(in body: Data, with baton: String, protobuf: Bool) throws -> Data {
        if protobuf {
            var request = try HranaProtobuf.decode(PipelineRequest.self, from: body)
            request.baton = baton
            return HranaProtobuf.encode(request)
        }
        var request = try HranaJSON.decode(PipelineRequest.self, from: body)
        request.baton = baton
        return try HranaJSON.encode(request)
    }

    private static func baton(of response: Data, protobuf: Bool) throws -> String? {
        protobuf
            ? try HranaProtobuf.decode(PipelineResponse.self, from: response).baton
            : try HranaJSON.decode(PipelineResponse.self, from: response).baton
    }

    private func streamQuery(_ client: Database) async throws {
        let before = Self.memory("VmHWM")
        let current = Self.memory("VmRSS")
        let clock = ContinuousClock()
        let start = clock.now
        var count = 0
        var sum: Int64 = 0
        for try await row in client.query("""
            WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < \(streamRows))
            SELECT i, 'row number ' || i AS label FROM c
            """) {
            count += 1
            sum &+= try row.get(0, as: Int64.self)
        }
        let elapsed = clock.now - start
        let after = Self.memory("VmHWM")
        print("""

            Streamed query of \(count) rows: \(String(format: "%.1f", elapsed.seconds)) s \
            (\(String(format: "%.0f", Double(count) / elapsed.seconds)) rows/s); process peak memory (VmHWM) \
            \(before / 1024) MB before, \(after / 1024) MB after (RSS before: \(current / 1024) MB).
            """)
    }

    /// A field of `/proc/self/status` in kB, 0 where unavailable.
    static func memory(_ field: String) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix(field + ":") {
            return Int(line.split(separator: " ").dropFirst().first { Int($0) != nil } ?? "0") ?? 0
        }
        return 0
    }
}

/// Latency statistics of one operation.
private struct Stats {
    var average: Duration
    var p50: Duration
    var p99: Duration

    init(_ latencies: [Duration]) {
        let sorted = latencies.sorted()
        average = sorted.isEmpty ? .zero : sorted.reduce(.zero, +) / sorted.count
        p50 = sorted.isEmpty ? .zero : sorted[sorted.count / 2]
        p99 = sorted.isEmpty ? .zero : sorted[min(sorted.count - 1, sorted.count * 99 / 100)]
    }
}

extension Duration {
    fileprivate var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
    fileprivate var ms: String { String(format: "%.3f ms", seconds * 1000) }
}

/// Counts the client's HTTP requests and can capture them for the raw baseline.
final class CountingTransport: HTTPTransport {
    let base: any HTTPTransport
    private let state = Mutex<(count: Int, capturing: Bool, captured: [(HTTPRequest, Data?)])>((0, false, []))

    init(base: any HTTPTransport) { self.base = base }

    var count: Int { state.withLock { $0.count } }

    func startCapture() { state.withLock { $0.capturing = true; $0.captured = [] } }

    func stopCapture() -> [(HTTPRequest, Data?)] {
        state.withLock { state in
            state.capturing = false
            defer { state.captured = [] }
            return state.captured
        }
    }

    func send(_ request: HTTPRequest, body: Data?) async throws -> HTTPResponse {
        state.withLock { state in
            state.count += 1
            if state.capturing { state.captured.append((request, body)) }
        }
        return try await base.send(request, body: body)
    }

    func shutdown() async throws { try await base.shutdown() }
}

/// Row ids inserted by the INSERT operation, deleted again by DELETE.
final class IDStack: Sendable {
    private let ids = Mutex<[Int64]>([])
    func push(_ id: Int64) { ids.withLock { $0.append(id) } }
    func pop() -> Int64? { ids.withLock { $0.popLast() } }
}
