import Foundation
import Hrana
import Testing
@testable import LibSQLServer

extension EngineTests {
    /// Throughput of the engine without HTTP. Opt-in, in release mode:
    /// `ENGINE_BENCH=1 swift test -c release --filter EngineBenchmark`.
    @Suite(.enabled(if: ProcessInfo.processInfo.environment["ENGINE_BENCH"] != nil))
    struct EngineBenchmark {
        @Test func throughput() throws {
            let repetitions = 5
            var samples: [String: [Double]] = [:]
            for _ in 0..<repetitions {
                for (name, seconds) in try Self.runOnce() { samples[name, default: []].append(seconds) }
            }
            for (name, values) in samples.sorted(by: { $0.key < $1.key }) {
                let median = values.sorted()[values.count / 2]
                print("ENGINE-BENCH \(name): median \(String(format: "%.2f", median * 1000)) ms over \(repetitions) runs")
            }
        }

        private static func runOnce() throws -> [(String, Double)] {
            let harness = try EngineHarness()
            let session = try harness.openStream()
            try session.query("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, qty INT)")
            var results: [(String, Double)] = []
            func time(_ name: String, _ body: () throws -> Void) rethrows {
                let start = ContinuousClock.now
                try body()
                let elapsed = ContinuousClock.now - start
                results.append((name, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18))
            }
            try time("a 10,000 x execute SELECT ? (autocommit)") {
                for index in 0..<10_000 { try session.query("SELECT ?", [.integer(Int64(index))]) }
            }
            let steps = [BatchStep(stmt: stmt("BEGIN"))]
                + (0..<10_000).map { index in
                    BatchStep(condition: .ok(step: UInt32(index)), stmt: stmt(
                        "INSERT INTO t(name, qty) VALUES (?, ?)", [.text("name \(index)"), .integer(Int64(index))]))
                }
                + [BatchStep(condition: .ok(step: 10_000), stmt: stmt("COMMIT"))]
            try time("b batch of 10,000 INSERTs in one transaction") { _ = try session.batch(steps) }
            try time("c execute SELECT of 10,000 rows x 3 columns") { try session.query("SELECT id, name, qty FROM t") }
            try time("d cursor over 10,000 rows x 3 columns") {
                try session.runCursor(Batch(steps: [BatchStep(stmt: stmt("SELECT id, name, qty FROM t"))]), version: .v3) { _ in }
            }
            try time("e 1,000 x autocommit INSERT (WAL, synchronous=NORMAL)") {
                for index in 0..<1000 { try session.query("INSERT INTO t(name, qty) VALUES ('x', ?)", [.integer(Int64(index))]) }
            }
            return results
        }
    }
}
