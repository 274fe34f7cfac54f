import AsyncHTTPClient
import Foundation
import Hrana
@testable import LibSQLServer
import NIOCore
import Synchronization
import Testing

/// What this process holds: open descriptors and memory (Linux `/proc/self`).
struct ProcessUsage: CustomStringConvertible {
    var descriptors: Int
    /// Resident memory now, in kB.
    var residentKB: Int
    /// Peak resident memory so far (`VmHWM`), in kB.
    var peakKB: Int

    static func now() -> ProcessUsage {
        let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        func field(_ name: String) -> Int {
            for line in status.split(separator: "\n") where line.hasPrefix(name + ":") {
                return Int(line.split(separator: " ").dropFirst().first { Int($0) != nil } ?? "0") ?? 0
            }
            return 0
        }
        return ProcessUsage(descriptors: descriptors, residentKB: field("VmRSS"), peakKB: field("VmHWM"))
    }

    var description: String { "\(descriptors) fds, RSS \(residentKB / 1024) MB, peak \(peakKB / 1024) MB" }
}

/// The server under streams and cursors that clients abandon, bodies at and over the limit, and slow-loris
/// connections: its memory and descriptors stay bounded, abandoned streams are reclaimed, and a well-behaved
/// client is served throughout. Bounds are generous: the suite runs on a loaded machine.
@Suite(.serialized) struct ResourceExhaustionTests {
    /// Runs `count` jobs, `width` at a time.
    static func concurrently(_ count: Int, width: Int = 32, _ job: @escaping @Sendable (Int) async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            while next < min(width, count) {
                let index = next
                group.addTask { try await job(index) }
                next += 1
            }
            while try await group.next() != nil {
                if next < count {
                    let index = next
                    group.addTask { try await job(index) }
                    next += 1
                }
            }
        }
    }

    /// A well-behaved client's round: a read, a write and an interactive transaction across two requests.
    static func wellBehaved(_ harness: ServerHarness, _ tag: Int) async throws {
        #expect(try await harness.query("SELECT count(*) FROM seq").rows == [[.integer(1000)]])
        _ = try await harness.query("INSERT INTO good (tag) VALUES (?)", [.integer(Int64(tag))])
        let begun = try await harness.pipeline([
            .execute(Stmt(sql: "BEGIN IMMEDIATE")), .execute(Stmt(sql: "INSERT INTO good (tag) VALUES (?)", args: [.integer(Int64(-tag))])),
        ])
        let committed = try await harness.pipeline([.execute(Stmt(sql: "COMMIT")), .close], baton: begun.baton)
        #expect(committed.baton == nil)
    }

    /// Waits until `condition` holds, polling every 100 ms for at most `limit`.
    static func eventually(_ limit: Duration, _ condition: () -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return condition()
    }

    static func cursorBody(_ sql: String) throws -> Data {
        try HranaJSON.encode(CursorRequest(baton: nil, batch: Batch(steps: [BatchStep(stmt: Stmt(sql: sql))])))
    }

    /// Opens `count` streams and leaves them: a third idle after a query, a third inside a read transaction,
    /// a third after a cursor read to its end; none is closed.
    static func abandonStreams(_ harness: ServerHarness, count: Int) async throws {
        let cursor = try cursorBody("SELECT n FROM seq WHERE n <= 20")
        try await concurrently(count) { index in
            switch index % 3 {
            case 0:
                let response = try await harness.pipeline([.execute(Stmt(sql: "SELECT n FROM seq WHERE n = ?", args: [.integer(Int64(index % 1000 + 1))]))])
                #expect(response.baton != nil)
            case 1:
                let response = try await harness.pipeline([
                    .execute(Stmt(sql: "BEGIN")), .execute(Stmt(sql: "SELECT count(*) FROM seq")),
                ])
                #expect(response.baton != nil)
            default:
                let response = try await harness.request(.POST, "/v3/cursor", body: cursor)
                #expect(response.status == 200)
                #expect(response.text.hasPrefix(#"{"baton":""#))
            }
        }
    }

    static func seed(_ harness: ServerHarness) async throws {
        let response = try await harness.pipeline([
            .execute(Stmt(sql: "CREATE TABLE seq (n INTEGER PRIMARY KEY)")),
            .execute(Stmt(sql: "CREATE TABLE good (tag INTEGER)")),
            .execute(Stmt(sql: "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000) INSERT INTO seq SELECT x FROM c")),
            .close,
        ])
        for result in response.results { #expect(result.failure == nil) }
    }

    @Test("thousands of streams left by vanished clients are capped and reclaimed; memory and descriptors stay bounded")
    func abandonedStreams() async throws {
        let perRound = 6000
        let cap = 1000
        try await ServerHarness.withServer(configure: {
            $0.streamIdleTimeout = .seconds(3)
            $0.expiredStreamRetention = .seconds(2)
            $0.maxStreams = cap
        }) { harness in
            try await Self.seed(harness)
            try await Self.wellBehaved(harness, 0)
            let baseline = ProcessUsage.now()
            var peaks: [Int] = []
            for round in 1...2 {
                // A well-behaved client keeps working while the streams pile up.
                async let served: Int = {
                    var rounds = 0
                    for tag in 1...20 {
                        try await Self.wellBehaved(harness, round * 100 + tag)
                        rounds += 1
                    }
                    return rounds
                }()
                try await Self.abandonStreams(harness, count: perRound)
                #expect(try await served == 20)
                let loaded = ProcessUsage.now()
                let live = harness.server.liveStreams()
                print("round \(round): \(perRound) streams abandoned, \(live) live, \(loaded) (baseline \(baseline))")
                #expect(live <= cap, "round \(round): \(live) live streams")
                // Each live stream holds a database and a WAL descriptor; SQLite keeps a closed connection's
                // database descriptor for reuse while other connections hold locks on the file.
                #expect(loaded.descriptors <= baseline.descriptors + 2 * cap + 200, "round \(round): \(loaded)")
                // Expired after 3 s idle, closed by the maintenance thread; generous bound for a loaded machine.
                #expect(try await Self.eventually(.seconds(90)) { harness.server.liveStreams() == 0 })
                let drained = ProcessUsage.now()
                print("round \(round) reclaimed: \(drained)")
                #expect(drained.descriptors <= baseline.descriptors + cap + 200, "round \(round): \(drained) after expiry")
                peaks.append(loaded.peakKB)
                try await Self.wellBehaved(harness, round * 1000)
            }
            // The second round reuses what the first one freed: no growth per abandoned stream.
            #expect(peaks[1] <= peaks[0] + 64 * 1024, "peak \(peaks[0] / 1024) MB after round 1, \(peaks[1] / 1024) MB after round 2")
            let rows = try await harness.query("SELECT count(*) FROM good").rows
            let expected: Int64 = 86  // 2 rows per well-behaved round: 1 + 2 × (20 + 1) rounds
            #expect(rows == [[.integer(expected)]])
        }
    }

    @Test("an evicted stream answers STREAM_EXPIRED and its transaction is rolled back")
    func evictedStream() async throws {
        try await ServerHarness.withServer(configure: { $0.maxStreams = 2 }) { harness in
            try await Self.seed(harness)
            let oldest = try await harness.pipeline([
                .execute(Stmt(sql: "BEGIN IMMEDIATE")), .execute(Stmt(sql: "INSERT INTO good (tag) VALUES (7)")),
            ])
            try await Task.sleep(for: .milliseconds(20))
            let second = try await harness.pipeline([.execute(Stmt(sql: "SELECT 1"))])
            let third = try await harness.pipeline([.execute(Stmt(sql: "SELECT 1"))])
            #expect(harness.server.liveStreams() == 2)
            let expired = try await harness.rawPipeline([.execute(Stmt(sql: "COMMIT")), .close], baton: oldest.baton)
            #expect(expired.status == 400)
            #expect(try expired.json()["code"] as? String == "STREAM_EXPIRED")
            for baton in [second.baton, third.baton] {
                let closed = try await harness.pipeline([.close], baton: baton)
                #expect(closed.baton == nil)
            }
            // The write lock was released with the rollback.
            _ = try await harness.query("INSERT INTO good (tag) VALUES (8)")
            #expect(try await harness.query("SELECT tag FROM good").rows == [[.integer(8)]])
        }
    }

    @Test("cursors whose clients vanish mid-body are interrupted and their streams reclaimed")
    func vanishedCursors() async throws {
        try await ServerHarness.withServer(configure: {
            $0.streamIdleTimeout = .seconds(3)
            $0.expiredStreamRetention = .seconds(2)
        }) { harness in
            try await Self.seed(harness)
            let baseline = ProcessUsage.now()
            let port = harness.server.port
            // Each cursor would stream ~100 MB; its client reads the first bytes and goes away.
            let body = String(decoding: try Self.cursorBody(
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000) SELECT x, randomblob(100) FROM c"),
                as: UTF8.self)
            let request = "POST /v3/cursor HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
            try await Self.concurrently(200, width: 16) { _ in
                let first = try await RawSocket.blocking { () -> String in
                    let socket = try RawSocket(port: port)
                    socket.send(request)
                    return socket.receive()
                }
                #expect(first.hasPrefix("HTTP/1.1 200"))
            }
            try await Self.wellBehaved(harness, 1)
            #expect(try await Self.eventually(.seconds(90)) { harness.server.liveStreams() == 0 })
            let drained = ProcessUsage.now()
            print("vanished cursors reclaimed: \(drained) (baseline \(baseline))")
            // SQLite keeps a closed connection's database descriptor for reuse while others hold locks on the file.
            #expect(drained.descriptors <= baseline.descriptors + 200 + 32, "\(drained) after expiry, baseline \(baseline)")
            try await Self.wellBehaved(harness, 2)
        }
    }

    /// A pipeline body of exactly `size` bytes: `SELECT length(?)` on a text of x's, then `close`.
    static func pipelineBody(size: Int) -> (body: Data, textLength: Int) {
        let prefix = #"{"requests":[{"type":"execute","stmt":{"sql":"SELECT length(?)","args":[{"type":"text","value":""#
        let suffix = #""}]}},{"type":"close"}]}"#
        let textLength = size - prefix.utf8.count - suffix.utf8.count
        return (Data((prefix + String(repeating: "x", count: textLength) + suffix).utf8), textLength)
    }

    /// POSTs `body` in chunks of `chunkSize` bytes with chunked transfer encoding (no declared length).
    static func postChunked(_ harness: ServerHarness, _ body: Data, chunkSize: Int) async throws -> Int {
        var request = HTTPClientRequest(url: harness.server.url.absoluteString + "/v3/pipeline")
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        let parts = AsyncStream<ByteBuffer> { continuation in
            for start in stride(from: 0, to: body.count, by: chunkSize) {
                continuation.yield(ByteBuffer(bytes: body[start..<min(start + chunkSize, body.count)]))
            }
            continuation.finish()
        }
        request.body = .stream(parts, length: .unknown)
        do {
            let response = try await ServerHarness.client.execute(request, timeout: .seconds(60))
            _ = try await response.body.collect(upTo: 1 << 20)
            return Int(response.status.code)
        } catch {
            // The server answers 413 and closes the connection before the whole body is sent.
            return 413
        }
    }

    @Test("request bodies at the limit are served; over it, declared or chunked, they get 413 with bounded memory")
    func bodiesAtAndOverTheLimit() async throws {
        let limit = 1 << 20
        try await ServerHarness.withServer(configure: { $0.maxRequestBodySize = limit }) { harness in
            let (atLimit, textLength) = Self.pipelineBody(size: limit)
            #expect(atLimit.count == limit)
            let served = try await harness.request(.POST, "/v3/pipeline", body: atLimit)
            #expect(served.status == 200)
            #expect(try served.pipeline().results.first?.okStmt?.rows == [[.integer(Int64(textLength))]])

            let (overLimit, _) = Self.pipelineBody(size: limit + 1)
            let refused = try await harness.request(.POST, "/v3/pipeline", body: overLimit)
            #expect(refused.status == 413)
            #expect(refused.contentType == "text/plain")

            // Chunked bodies have no declared length: the server stops reading at the limit.
            #expect(try await Self.postChunked(harness, atLimit, chunkSize: 64 << 10) == 200)
            #expect(try await Self.postChunked(harness, overLimit, chunkSize: 64 << 10) == 413)
            let (huge, _) = Self.pipelineBody(size: 4 * limit)
            let before = ProcessUsage.now()
            try await Self.concurrently(64, width: 16) { _ in
                let status = try await Self.postChunked(harness, huge, chunkSize: 64 << 10)
                #expect(status == 413)
            }
            let after = ProcessUsage.now()
            print("64 chunked bodies of 4 MB over a 1 MB limit, 16 at a time: peak \(before.peakKB / 1024) MB -> \(after.peakKB / 1024) MB")
            // 16 bodies in flight can hold at most 16 MB of body between them; leave room for the allocator.
            #expect(after.peakKB - before.peakKB <= 128 * 1024)
            #expect(try await harness.query("SELECT 1").rows == [[.integer(1)]])
        }
    }

    @Test("slow-loris connections are closed after the idle timeout while a well-behaved client is served")
    func slowLoris() async throws {
        try await ServerHarness.withServer(configure: { $0.connectionIdleTimeout = .seconds(2) }) { harness in
            try await Self.seed(harness)
            let port = harness.server.port
            let baseline = ProcessUsage.now()
            let head = "POST /v3/pipeline HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Slow: "
            let bodyFirst = "POST /v3/pipeline HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
            let connections = 300
            let closedAfter = Mutex<[Duration?]>([])
            async let attack: Void = Self.concurrently(connections, width: connections) { index in
                let closed = try await RawSocket.blocking { () -> Duration? in
                    let socket = try RawSocket(port: port)
                    // Half the connections trickle header bytes, half send a head and trickle the body.
                    return socket.trickle(index % 2 == 0 ? head : bodyFirst, every: .milliseconds(250), for: .seconds(60))
                }
                closedAfter.withLock { $0.append(closed) }
            }
            try await Task.sleep(for: .milliseconds(500))
            for tag in 1...10 { try await Self.wellBehaved(harness, tag) }
            try await attack
            let times = closedAfter.withLock { $0 }
            let unclosed = times.filter { $0 == nil }.count
            let slowest = times.compactMap { $0 }.max() ?? .zero
            print("slow-loris: \(times.count - unclosed) of \(connections) closed by the server, the slowest after \(slowest)")
            #expect(unclosed == 0)
            #expect(try await Self.eventually(.seconds(30)) { ProcessUsage.now().descriptors <= baseline.descriptors + 32 })
            try await Self.wellBehaved(harness, 99)
        }
    }

    @Test("cursors whose clients stop reading but stay connected do not hold the worker threads")
    func stalledCursorReaders() async throws {
        let workers = 8
        try await ServerHarness.withServer(configure: {
            $0.workerThreads = workers
            $0.connectionIdleTimeout = .seconds(2)
        }) { harness in
            try await Self.seed(harness)
            let port = harness.server.port
            let body = String(decoding: try Self.cursorBody(
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10000000) SELECT x, randomblob(200) FROM c"),
                as: UTF8.self)
            let request = "POST /v3/cursor HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
            // Twice as many readers as worker threads: each reads the first bytes, then holds its connection
            // open without reading, so the server's socket buffer and its cursor pipe fill up.
            let sockets = Mutex<[RawSocket]>([])
            try await Self.concurrently(2 * workers, width: 2 * workers) { _ in
                let socket = try await RawSocket.blocking { () -> RawSocket in
                    let socket = try RawSocket(port: port)
                    socket.send(request)
                    _ = socket.receive()
                    return socket
                }
                sockets.withLock { $0.append(socket) }
            }
            try await Task.sleep(for: .seconds(1))
            // Writes and transactions need a worker thread.
            let served = await Self.within(.seconds(60)) {
                for tag in 1...3 { try await Self.wellBehaved(harness, tag) }
            }
            #expect(served, "a well-behaved client was not served while \(2 * workers) cursor readers stalled")
            #expect(try await Self.eventually(.seconds(90)) { harness.server.liveStreams() == 0 })
            sockets.withLock { $0.removeAll() }
        }
    }

    @Test("large pipeline responses to clients that stop reading are dropped after the idle timeout")
    func stalledPipelineReaders() async throws {
        try await ServerHarness.withServer(configure: {
            $0.maxResponseSize = 64 << 20
            $0.connectionIdleTimeout = .seconds(2)
        }) { harness in
            try await Self.seed(harness)
            let port = harness.server.port
            // About 27 MB of JSON: more than the socket buffers on both sides hold. The whole response is handed
            // to the connection at once, so the idle timer runs while it waits for the client.
            let body = String(decoding: try HranaJSON.encode(PipelineRequest(baton: nil, requests: [
                .execute(Stmt(sql: "SELECT randomblob(20000) FROM seq")), .close,
            ])), as: UTF8.self)
            let request = "POST /v3/pipeline HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
            let outcomes = Mutex<[(expected: Int, received: Int)]>([])
            try await Self.concurrently(8, width: 8) { _ in
                let outcome = try await RawSocket.blocking { () -> (Int, Int) in
                    let socket = try RawSocket(port: port)
                    socket.send(request)
                    // Eight 27 MB responses take a while to build on a loaded machine: wait for the whole head.
                    let head = socket.receiveHead()
                    let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                        .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                    Thread.sleep(forTimeInterval: 6)
                    let rest = socket.readAll()
                    return (length, head.utf8.count + rest.text.utf8.count)
                }
                outcomes.withLock { $0.append(outcome) }
            }
            for outcome in outcomes.withLock({ $0 }) {
                #expect(outcome.expected > 20 << 20)
                #expect(outcome.received < outcome.expected, "a stalled reader still got the whole \(outcome.expected)-byte response")
            }
            try await Self.wellBehaved(harness, 1)
        }
    }

    /// Whether `body` finished (without throwing) within `limit`.
    static func within(_ limit: Duration, _ body: @escaping @Sendable () async throws -> Void) async -> Bool {
        await withTaskGroup(of: Bool?.self) { group in
            group.addTask {
                do {
                    try await body()
                    return true
                } catch {
                    Issue.record("\(error)")
                    return false
                }
            }
            group.addTask {
                try? await Task.sleep(for: limit)
                return nil
            }
            let first = await group.next()!
            group.cancelAll()
            return first ?? false
        }
    }
}
