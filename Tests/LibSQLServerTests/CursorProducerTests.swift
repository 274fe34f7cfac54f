import Foundation
import Hrana
import NIOCore
import Synchronization
import Testing
@testable import LibSQLServer

/// The producer side of `/v3/cursor`, without HTTP: what reaches the pipe, in which order relative to
/// settling the stream, and that the pipe always ends.
@Suite("Cursor producer")
struct CursorProducerTests {
    /// One chunk as the consumer saw it, with whether the stream was settled when it arrived.
    struct Received: Sendable {
        var text: String
        var settledBefore: Bool
    }

    struct Run: Sendable {
        var chunks: [Received]
        var outcome: CursorEnding?
        /// What the consumer had received when the stream was settled.
        var seenAtSettle: String
        var text: String { chunks.map(\.text).joined() }
    }

    struct TimedOut: Error {}

    /// Runs the producer on its own thread and consumes the pipe like the response writer does; fails if the
    /// pipe has not ended within `limit`. `stopAfter` cancels the pipe after that many chunks.
    ///
    /// Settling is made slow (as when the producer's thread is descheduled just then), so that anything the
    /// producer sent before settling has time to reach the consumer, and is recorded.
    private func produce(
        _ steps: [BatchStep], on session: HranaStream, stopAfter: Int? = nil, limit: Duration = .seconds(10),
        encode: @escaping @Sendable (CursorEntry) throws(HranaCodingError) -> Data = ResponseEncoding.encode
    ) async throws -> Run {
        let pipe = CursorPipe(capacity: 2)
        let settled = SettledOutcome()
        let seen = SeenText()
        let batch = Batch(steps: steps)
        let done = Thread {
            CursorProducer.run(batch, stream: session, pipe: pipe, encode: encode) { outcome in
                Thread.sleep(forTimeInterval: 0.05)
                settled.set(outcome, seen: seen.text)
            }
        }
        done.start()
        return try await withThrowingTaskGroup(of: [Received]?.self) { group in
            group.addTask {
                var chunks: [Received] = []
                for await chunk in pipe.chunks {
                    seen.append(String(buffer: chunk))
                    chunks.append(Received(text: String(buffer: chunk), settledBefore: settled.value != nil))
                    pipe.consumed()
                    if let stopAfter, chunks.count >= stopAfter { pipe.cancel() }
                }
                return chunks
            }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let chunks = first else {
                pipe.cancel()
                throw TimedOut()
            }
            // The outcome is set before the last send, so it is visible once the pipe has ended normally; after
            // a cancel the pipe ends at once, and the producer settles when it notices.
            let deadline = ContinuousClock.now + limit
            while stopAfter != nil, settled.value == nil, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            return Run(chunks: chunks, outcome: settled.value, seenAtSettle: settled.seenAtSettle)
        }
    }

    private func lines(_ run: Run) throws -> [CursorEntry] {
        try run.text.split(separator: "\n").map { try HranaJSON.decode(CursorEntry.self, from: Data($0.utf8)) }
    }

    @Test("the last entry is sent only after the stream is settled, and the pipe ends")
    func lastEntryAfterSettle() async throws {
        let harness = try EngineHarness()
        let session = try harness.openStream()
        let run = try await produce([
            BatchStep(stmt: Stmt(sql: "SELECT 1")),
            BatchStep(stmt: Stmt(sql: "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 5000) SELECT n FROM c")),
        ], on: session)
        #expect(run.outcome == .reusable)
        let entries = try lines(run)
        #expect(entries.count == 3 + 5002)
        #expect(entries.last == .stepEnd(affectedRowCount: 0, lastInsertRowID: nil))
        let last = try #require(run.chunks.last)
        let lastIsStepEnd = last.text.hasSuffix(#""last_insert_rowid":null}"# + "\n")
        #expect(lastIsStepEnd)
        let lastAfterSettle = last.settledBefore
        #expect(lastAfterSettle, "the final entry reached the consumer before the stream was settled")
        let stepEndsAtSettle = run.seenAtSettle.components(separatedBy: #""type":"step_end""#).count - 1
        #expect(stepEndsAtSettle == 1, "only the first step had ended when the stream was settled")
        #expect(run.chunks.count > 3, "rows are streamed in several chunks")
    }

    @Test("an entry that cannot be encoded ends the cursor with an error entry and breaks the stream")
    func unencodableEntry() async throws {
        let harness = try EngineHarness()
        let session = try harness.openStream()
        let run = try await produce(
            [BatchStep(stmt: Stmt(sql: "SELECT 1")), BatchStep(stmt: Stmt(sql: "SELECT 2"))], on: session,
            encode: { entry throws(HranaCodingError) in
                if case .row = entry { throw HranaCodingError(message: "cannot encode this row", path: "row") }
                return try ResponseEncoding.encode(entry)
            })
        let entries = try lines(run)
        #expect(entries.count == 2, "\(entries)")
        guard case .stepBegin(step: 0, _)? = entries.first else {
            Issue.record("expected step_begin first, got \(entries)")
            return
        }
        guard case .error(let error)? = entries.last else {
            Issue.record("expected an error entry last, got \(entries)")
            return
        }
        #expect(error.code == "PROTOCOL_ERROR")
        #expect(error.message.contains("cannot encode this row"))
        #expect(run.outcome == .broken)
    }

    @Test("an empty batch settles and ends without entries")
    func emptyBatch() async throws {
        let harness = try EngineHarness()
        let run = try await produce([], on: try harness.openStream())
        #expect(run.outcome == .reusable)
        #expect(run.chunks.isEmpty)
    }

    @Test("a failing step is the last entry and leaves the stream reusable")
    func failingStep() async throws {
        let harness = try EngineHarness()
        let session = try harness.openStream()
        let run = try await produce([BatchStep(stmt: Stmt(sql: "SELECT nope"))], on: session)
        #expect(run.outcome == .reusable)
        guard case .stepError(0, _)? = try lines(run).last else {
            Issue.record("expected a step_error, got \(run.text)")
            return
        }
        #expect(run.chunks.last?.settledBefore == true)
        let sentBeforeSettle = run.seenAtSettle.count
        #expect(sentBeforeSettle == 0, "the step_error was sent before the stream was settled")
        #expect(try session.query("SELECT 2").rows == [[.integer(2)]])
    }

    @Test("a protocol error ends with an error entry and breaks the stream")
    func protocolError() async throws {
        let harness = try EngineHarness()
        let run = try await produce([BatchStep(stmt: Stmt(sqlID: 7))], on: try harness.openStream())
        #expect(run.outcome == .broken)
        guard case .error(let error)? = try lines(run).last else {
            Issue.record("expected an error entry, got \(run.text)")
            return
        }
        #expect(error.code == "PROTOCOL_ERROR")
        #expect(run.chunks.last?.settledBefore == true)
    }

    @Test("a consumer that stops mid-stream stops the SQLite work and frees the session")
    func consumerStops() async throws {
        let harness = try EngineHarness()
        let session = try harness.openStream()
        let start = ContinuousClock.now
        let run = try await produce([
            BatchStep(stmt: Stmt(sql: "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 50000000) SELECT n, randomblob(64) FROM c")),
        ], on: session, stopAfter: 2)
        #expect(run.outcome == .reusable)
        #expect(run.chunks.count <= 2 + 2, "the producer stopped within the pipe's capacity")
        // The session lock is free again once the producer has settled.
        #expect(try session.query("SELECT 3").rows == [[.integer(3)]])
        #expect(ContinuousClock.now - start < .seconds(5))
    }
}

/// The outcome the producer settled on, shared between its thread and the consumer.
private final class SettledOutcome: Sendable {
    private let state = Mutex<(outcome: CursorEnding?, seen: String)>((nil, ""))
    func set(_ value: CursorEnding, seen: String) { state.withLock { $0 = (value, seen) } }
    var value: CursorEnding? { state.withLock { $0.outcome } }
    var seenAtSettle: String { state.withLock { $0.seen } }
}

/// Everything the consumer received so far.
private final class SeenText: Sendable {
    private let received = Mutex("")
    func append(_ text: String) { received.withLock { $0 += text } }
    var text: String { received.withLock { $0 } }
}
