import AsyncHTTPClient
import Foundation
import Hrana
import LibSQLServer
import NIOCore
import Synchronization
import Testing

/// A cursor body must end (last chunk, then the zero-length chunk) once its last entry is written, so a
/// client that reads the body to its end returns instead of waiting forever.
@Suite("Cursor bodies end")
struct HTTPCursorEndTests {
    struct TimedOut: Error, CustomStringConvertible {
        var received: Int
        var description: String { "the cursor body did not end within the time limit (\(received) bytes received)" }
    }

    /// Posts a cursor request and reads its body to the end, failing if that takes longer than `limit`.
    private func readToEnd(
        _ harness: ServerHarness, _ steps: [BatchStep], limit: Duration = .seconds(5)
    ) async throws -> (status: Int, text: String) {
        let body = try HranaJSON.encode(CursorRequest(baton: nil, batch: Batch(steps: steps)))
        var request = HTTPClientRequest(url: harness.server.url.absoluteString + "/v3/cursor")
        request.method = .POST
        request.body = .bytes(ByteBuffer(bytes: body))
        let prepared = request
        let received = ReceivedBytes()
        do {
            return try await Self.withTimeLimit(limit) {
                let response = try await ServerHarness.client.execute(prepared, timeout: .seconds(30))
                var text = ByteBuffer()
                for try await var chunk in response.body {
                    received.add(chunk.readableBytes)
                    text.writeBuffer(&chunk)
                }
                return (Int(response.status.code), String(buffer: text))
            }
        } catch is TimedOut {
            throw TimedOut(received: received.count)
        }
    }

    /// Runs `body` in an unstructured task and stops waiting after `limit`, so that a body that never ends
    /// cannot hold up the test (a task group would wait for its stuck child).
    static func withTimeLimit<T: Sendable>(
        _ limit: Duration, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let finished = Mutex(false)
        let task = Task {
            defer { finished.withLock { $0 = true } }
            return try await body()
        }
        let deadline = ContinuousClock.now + limit
        while !finished.withLock({ $0 }), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        guard finished.withLock({ $0 }) else {
            task.cancel()
            throw TimedOut(received: 0)
        }
        return try await task.value
    }

    /// Each body line, decoded: the header then the entries.
    private func entries(_ text: String) throws -> [CursorEntry] {
        #expect(text.hasSuffix("\n"), "the body ends with a newline")
        let lines = text.split(separator: "\n")
        _ = try HranaJSON.decode(CursorResponse.self, from: Data(try #require(lines.first).utf8))
        return try lines.dropFirst().map { try HranaJSON.decode(CursorEntry.self, from: Data($0.utf8)) }
    }

    @Test("an empty batch ends after the header")
    func emptyBatch() async throws {
        try await ServerHarness.withServer { harness in
            let (status, text) = try await readToEnd(harness, [])
            #expect(status == 200)
            #expect(try entries(text).isEmpty)
        }
    }

    @Test("a SELECT with rows ends after its step_end")
    func selectWithRows() async throws {
        try await ServerHarness.withServer { harness in
            let (status, text) = try await readToEnd(harness, [BatchStep(stmt: Stmt(sql: "SELECT 1 UNION ALL SELECT 2"))])
            #expect(status == 200)
            let decoded = try entries(text)
            #expect(decoded.count == 4, "\(decoded)")
            #expect(decoded.dropFirst().first == .row([.integer(1)]))
            if case .stepEnd = decoded.last {} else { Issue.record("last entry is \(String(describing: decoded.last))") }
        }
    }

    @Test("a failing step ends the body after its step_error")
    func failingStep() async throws {
        try await ServerHarness.withServer { harness in
            let (status, text) = try await readToEnd(harness, [
                BatchStep(stmt: Stmt(sql: "SELECT 1")), BatchStep(stmt: Stmt(sql: "SELECT nope")),
            ])
            #expect(status == 200)
            let decoded = try entries(text)
            guard case .stepError(let step, let error) = decoded.last else {
                Issue.record("last entry is \(String(describing: decoded.last))")
                return
            }
            #expect(step == 1)
            #expect(error.code == "SQL_INPUT_ERROR")
        }
    }

    @Test("a 50,000-row result ends after its last row")
    func largeResult() async throws {
        try await ServerHarness.withServer { harness in
            let count = 50_000
            let (status, text) = try await readToEnd(harness, [
                BatchStep(stmt: Stmt(
                    sql: "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < ?) SELECT n FROM c",
                    args: [.integer(Int64(count))])),
            ], limit: .seconds(20))
            #expect(status == 200)
            #expect(text.hasSuffix("\n"))
            let lines = text.split(separator: "\n")
            #expect(lines.count == 1 + count + 2)
            let tail = try lines.suffix(2).map { try HranaJSON.decode(CursorEntry.self, from: Data($0.utf8)) }
            #expect(tail == [.row([.integer(Int64(count))]), .stepEnd(affectedRowCount: 0, lastInsertRowID: nil)])
        }
    }

    /// What a client sees when it uses the baton as soon as the last entry arrived, without waiting for the
    /// end of the body; `nil` when the stream accepted the baton.
    private func reuseAfterLastEntry(_ harness: ServerHarness) async throws -> String? {
        let body = try HranaJSON.encode(CursorRequest(baton: nil, batch: Batch(steps: [BatchStep(stmt: Stmt(sql: "SELECT 1"))])))
        var request = HTTPClientRequest(url: harness.server.url.absoluteString + "/v3/cursor")
        request.method = .POST
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await ServerHarness.client.execute(request, timeout: .seconds(10))
        var iterator = response.body.makeAsyncIterator()
        var text = ""
        while !(text.contains(#""type":"step_end""#) && text.hasSuffix("\n")), let chunk = try await iterator.next() {
            text += String(buffer: chunk)
        }
        let header = try HranaJSON.decode(CursorResponse.self, from: Data(try #require(text.split(separator: "\n").first).utf8))
        let closed = try await harness.rawPipeline([.close], baton: try #require(header.baton) as String)
        while try await iterator.next() != nil {}
        return closed.status == 200 ? nil : "\(closed.status) \(closed.text)"
    }

    @Test("the baton is usable as soon as the last entry arrives, before the body ends")
    func batonReadyWithLastEntry() async throws {
        try await ServerHarness.withServer { harness in
            let rejections = try await Self.withTimeLimit(.seconds(20)) {
                try await withThrowingTaskGroup(of: [String].self) { group in
                    for _ in 0..<2 {
                        group.addTask {
                            var rejected: [String] = []
                            for _ in 0..<20 {
                                if let rejection = try await reuseAfterLastEntry(harness) { rejected.append(rejection) }
                            }
                            return rejected
                        }
                    }
                    return try await group.reduce(into: []) { $0 += $1 }
                }
            }
            #expect(rejections.isEmpty, "\(rejections.count) of 40 rejected, e.g. \(rejections.first ?? "")")
        }
    }

    @Test("consecutive cursors on one keep-alive connection each end")
    func consecutiveCursors() async throws {
        try await ServerHarness.withServer { harness in
            for index in 0..<5 {
                let (status, text) = try await readToEnd(harness, [BatchStep(stmt: Stmt(sql: "SELECT ?", args: [.integer(Int64(index))]))])
                #expect(status == 200)
                #expect(try entries(text).contains(.row([.integer(Int64(index))])))
            }
        }
    }
}

/// Bytes received so far, shared with the timeout branch for its message.
private final class ReceivedBytes: Sendable {
    private let total = Mutex(0)
    func add(_ count: Int) { total.withLock { $0 += count } }
    var count: Int { total.withLock { $0 } }

}
