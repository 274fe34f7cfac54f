import Foundation
import LibSQLClient
import Synchronization

/// `libsql bench --soak SECONDS`: concurrent clients run mixed reads, writes, transactions and cursors for a
/// bounded time; then a checker proves every acknowledged write is present exactly once, the transaction
/// counters add up, `PRAGMA integrity_check` is ok, and neither p99 latency nor server memory grew from the
/// first window of the run to the last.
struct SoakBench {
    var url: String
    var token: String?
    var seconds: Int
    var clients: Int
    /// The server's process id, to sample its memory; `nil` samples this process (in-process server).
    var serverPID: Int32?

    static let windows = 10

    func run() async throws -> Bool {
        let setup = try Database(url: url, authToken: token)
        try await setup.executeMultiple("""
            DROP TABLE IF EXISTS soak; DROP TABLE IF EXISTS soak_counters;
            CREATE TABLE soak (id INTEGER PRIMARY KEY, client INTEGER NOT NULL, seq INTEGER NOT NULL, payload TEXT NOT NULL);
            CREATE INDEX soak_client_seq ON soak (client, seq);
            CREATE TABLE soak_counters (client INTEGER PRIMARY KEY, n INTEGER NOT NULL);
            """)
        try await setup.batch((0..<clients).map { "INSERT INTO soak_counters (client, n) VALUES (\($0), 0)" }, mode: .write)

        let stats = SoakStats(windows: Self.windows)
        let clock = ContinuousClock()
        let start = clock.now
        let window = Duration.seconds(seconds) / Self.windows
        print("# libsql bench --soak \(seconds): \(clients) clients against \(url.prefix { $0 != "?" })\n")
        let ledgers = try await withThrowingTaskGroup(of: ClientLedger.self) { group in
            for client in 0..<clients {
                group.addTask {
                    try await SoakClient(id: client, url: url, token: token, stats: stats, start: start, window: window,
                                         end: start + .seconds(seconds)).run()
                }
            }
            group.addTask {
                // Memory at the end of each window.
                for index in 0..<Self.windows {
                    try? await Task.sleep(until: start + window * (index + 1), clock: clock)
                    stats.recordMemory(window: index, kilobytes: Self.residentKB(pid: serverPID))
                }
                return ClientLedger(client: -1)
            }
            var ledgers: [ClientLedger] = []
            for try await ledger in group where ledger.client >= 0 { ledgers.append(ledger) }
            return ledgers.sorted { $0.client < $1.client }
        }
        let report = stats.snapshot()
        print(serverPID == nil ? "RSS is this process's: the in-process server and the clients. Use --spawn for the server's alone.\n" : "RSS is the spawned server's (pid \(serverPID!)).\n")
        print("| Window | ops | ops/s | p50 | p99 | errors | RSS |")
        print("|---|---|---|---|---|---|---|")
        for (index, w) in report.enumerated() {
            print("| \(index + 1) | \(w.operations) | \(String(format: "%.0f", Double(w.operations) / window.seconds)) | \(w.latency.percentile(0.5).ms) | \(w.latency.percentile(0.99).ms) | \(w.errors) | \(w.residentKB / 1024) MB |")
        }
        var errorCodes: [String: Int] = [:]
        for w in report { errorCodes.merge(w.errorCodes, uniquingKeysWith: +) }
        let total = report.reduce(0) { $0 + $1.operations }
        print("\nOperations: \(total) (\(ledgers.reduce(0) { $0 + $1.writes }) acknowledged row writes, "
            + "\(ledgers.reduce(0) { $0 + $1.transactions }) committed transactions, "
            + "\(ledgers.reduce(0) { $0 + $1.cursorRows }) cursor rows); errors: \(errorCodes.isEmpty ? "none" : "\(errorCodes)")")

        var failures = try await check(ledgers, on: setup)
        let first = report[0], last = report[report.count - 1]
        let (p99First, p99Last) = (first.latency.percentile(0.99), last.latency.percentile(0.99))
        print("p99 first window \(p99First.ms), last window \(p99Last.ms); RSS first window \(first.residentKB / 1024) MB, last \(last.residentKB / 1024) MB")
        if p99Last > p99First * 2 + .milliseconds(5) { failures.append("p99 latency grew from \(p99First.ms) to \(p99Last.ms)") }
        if last.residentKB > first.residentKB + first.residentKB / 4 + 32 * 1024 {
            failures.append("RSS grew from \(first.residentKB / 1024) MB to \(last.residentKB / 1024) MB")
        }
        let unexpected = errorCodes.filter { !["SQLITE_BUSY"].contains($0.key) }
        if !unexpected.isEmpty { failures.append("unexpected errors: \(unexpected)") }
        await setup.close()
        print(failures.isEmpty ? "\nSoak check: PASS" : "\nSoak check: FAIL\n- " + failures.joined(separator: "\n- "))
        return failures.isEmpty
    }

    /// Every acknowledged row is present exactly once, no row exists that was never sent, the counters match the
    /// committed transactions, and SQLite finds the file intact.
    private func check(_ ledgers: [ClientLedger], on db: Database) async throws -> [String] {
        var failures: [String] = []
        for ledger in ledgers {
            var present: [Int: Int] = [:]
            for try await row in db.query("SELECT seq FROM soak WHERE client = \(ledger.client)") {
                present[try row.get(0, as: Int.self), default: 0] += 1
            }
            let sent = Set(ledger.acknowledged).union(ledger.ambiguous)
            let missing = ledger.acknowledged.filter { present[$0] == nil }
            let duplicated = present.filter { $0.value > 1 }.map(\.key)
            let unknown = present.keys.filter { !sent.contains($0) }
            if !missing.isEmpty { failures.append("client \(ledger.client): \(missing.count) acknowledged rows missing") }
            if !duplicated.isEmpty { failures.append("client \(ledger.client): \(duplicated.count) rows written twice") }
            if !unknown.isEmpty { failures.append("client \(ledger.client): \(unknown.count) rows of failed writes present") }
            let counter = try await db.execute("SELECT n FROM soak_counters WHERE client = \(ledger.client)").rows[0].get(0, as: Int.self)
            if counter < ledger.transactions || counter > ledger.transactions + ledger.ambiguousTransactions {
                failures.append("client \(ledger.client): counter \(counter), \(ledger.transactions) transactions committed")
            }
        }
        let integrity = try await db.execute("PRAGMA integrity_check").rows.map { try $0.get(0, as: String.self) }
        if integrity != ["ok"] { failures.append("integrity_check: \(integrity.prefix(5))") }
        print("Checker: \(ledgers.reduce(0) { $0 + $1.acknowledged.count }) acknowledged rows verified present once; "
            + "counters match; integrity_check \(integrity.first ?? "?")")
        return failures
    }

    /// Resident memory of `pid` (or of this process) in kB, from `/proc`.
    static func residentKB(pid: Int32?) -> Int {
        let path = pid.map { "/proc/\($0)/status" } ?? "/proc/self/status"
        guard let status = try? String(contentsOfFile: path, encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ").dropFirst().first { Int($0) != nil } ?? "0") ?? 0
        }
        return 0
    }
}

/// What one client wrote: the rows and transactions the server acknowledged, and those whose fate is unknown.
struct ClientLedger: Sendable {
    var client: Int
    var acknowledged: [Int] = []
    /// Rows of writes that failed with a connection error or timeout: present or not, but never twice.
    var ambiguous: [Int] = []
    var transactions = 0
    var ambiguousTransactions = 0
    var cursorRows = 0
    var writes: Int { acknowledged.count }
}

/// One soak client: its own `Database` (and connection pool), a seeded random mix of operations.
struct SoakClient {
    var id: Int
    var url: String
    var token: String?
    var stats: SoakStats
    var start: ContinuousClock.Instant
    var window: Duration
    var end: ContinuousClock.Instant

    func run() async throws -> ClientLedger {
        let db = try Database(url: url, authToken: token)
        var ledger = ClientLedger(client: id)
        var generator = SplitMix(seed: UInt64(id) &* 0x9E37_79B9_7F4A_7C15 &+ 1)
        var nextSeq = 0
        let clock = ContinuousClock()
        let payload = String(repeating: "p", count: 100)
        while clock.now < end {
            let began = clock.now
            let pick = generator.next() % 100
            do {
                switch pick {
                case 0..<40:
                    if let seq = ledger.acknowledged.randomElement(using: &generator) {
                        let rows = try await db.execute("SELECT payload FROM soak WHERE client = \(id) AND seq = \(seq)").rows
                        if rows.count != 1 { stats.recordAnomaly("client \(id): acknowledged row \(seq) read back \(rows.count) times") }
                    } else {
                        _ = try await db.execute("SELECT count(*) FROM soak_counters")
                    }
                case 40..<65:
                    let seq = nextSeq
                    nextSeq += 1
                    do {
                        try await db.execute("INSERT INTO soak (client, seq, payload) VALUES (\(id), \(seq), \(payload))")
                        ledger.acknowledged.append(seq)
                    } catch let error as LibSQLError where error.code == .connectionError || error.code == .timeout {
                        ledger.ambiguous.append(seq)
                        throw error
                    }
                case 65..<85:
                    let (a, b) = (nextSeq, nextSeq + 1)
                    nextSeq += 2
                    do {
                        try await db.transaction(.write) { tx in
                            try await tx.execute("INSERT INTO soak (client, seq, payload) VALUES (\(id), \(a), \(payload))")
                            try await tx.execute("UPDATE soak_counters SET n = n + 1 WHERE client = \(id)")
                            try await tx.executeAndCommit("INSERT INTO soak (client, seq, payload) VALUES (\(id), \(b), \(payload))")
                        }
                        ledger.acknowledged += [a, b]
                        ledger.transactions += 1
                    } catch let error as LibSQLError where error.code == .connectionError || error.code == .timeout {
                        ledger.ambiguous += [a, b]
                        ledger.ambiguousTransactions += 1
                        throw error
                    }
                default:
                    let from = nextSeq > 0 ? Int(generator.next() % UInt64(nextSeq)) : 0
                    var previous = -1
                    for try await row in db.query("SELECT seq FROM soak WHERE client = \(id) AND seq >= \(from) ORDER BY seq LIMIT 200") {
                        let seq = try row.get(0, as: Int.self)
                        if seq <= previous { stats.recordAnomaly("client \(id): cursor rows out of order") }
                        previous = seq
                        ledger.cursorRows += 1
                    }
                }
                stats.record(window: windowIndex(began), latency: clock.now - began, error: nil)
            } catch {
                let code = (error as? LibSQLError)?.code.rawValue ?? "\(type(of: error))"
                stats.record(window: windowIndex(began), latency: clock.now - began, error: code)
            }
        }
        await db.close()
        return ledger
    }

    private func windowIndex(_ instant: ContinuousClock.Instant) -> Int {
        min(SoakBench.windows - 1, max(0, Int(((instant - start) / window).rounded(.down))))
    }
}

/// Per-window latency histograms, error counts and memory samples, shared by the clients.
final class SoakStats: Sendable {
    struct Window: Sendable {
        var operations = 0
        var errors = 0
        var errorCodes: [String: Int] = [:]
        var latency = LatencyHistogram()
        var residentKB = 0
    }

    private let state: Mutex<(windows: [Window], anomalies: [String])>

    init(windows: Int) {
        state = Mutex((Array(repeating: Window(), count: windows), []))
    }

    func record(window: Int, latency: Duration, error: String?) {
        state.withLock { state in
            state.windows[window].operations += 1
            state.windows[window].latency.add(latency)
            if let error {
                state.windows[window].errors += 1
                state.windows[window].errorCodes[error, default: 0] += 1
            }
        }
    }

    func recordMemory(window: Int, kilobytes: Int) {
        state.withLock { $0.windows[window].residentKB = kilobytes }
    }

    func recordAnomaly(_ text: String) {
        state.withLock { state in
            if state.anomalies.count < 100 { state.anomalies.append(text) }
            state.windows[0].errorCodes["ANOMALY", default: 0] += 1
        }
    }

    func snapshot() -> [Window] { state.withLock { $0.windows } }
}

/// A latency histogram with 2 % wide logarithmic buckets from 1 µs: fixed memory however long the run.
struct LatencyHistogram: Sendable {
    private static let growth = 1.02
    private var buckets = [Int](repeating: 0, count: 1200)
    private(set) var count = 0

    mutating func add(_ latency: Duration) {
        let micros = max(1, latency.seconds * 1e6)
        let index = min(buckets.count - 1, Int(log(micros) / log(Self.growth)))
        buckets[index] += 1
        count += 1
    }

    /// The upper bound of the bucket holding the `fraction` quantile.
    func percentile(_ fraction: Double) -> Duration {
        guard count > 0 else { return .zero }
        let target = Int((Double(count) * fraction).rounded(.up))
        var seen = 0
        for (index, n) in buckets.enumerated() {
            seen += n
            if seen >= target { return .microseconds(pow(Self.growth, Double(index + 1))) }
        }
        return .microseconds(pow(Self.growth, Double(buckets.count)))
    }
}

/// A small deterministic generator, so that a run's mix of operations is repeatable per client.
struct SplitMix: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension Duration {
    fileprivate var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
    fileprivate var ms: String { String(format: "%.2f ms", seconds * 1000) }
}
