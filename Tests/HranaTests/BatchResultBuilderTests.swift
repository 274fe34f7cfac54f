import Foundation
import Hrana
import Testing

/// Rebuilding a `BatchResult` from cursor entries and checking the cursor grammar.
@Suite("Batch result builder")
struct BatchResultBuilderTests {
    static let error = ProtocolError(message: "boom", code: "SQLITE_ERROR")
    static let cols = [Column(name: "a", decltype: "INT")]

    static func build(_ stepCount: Int, _ entries: [CursorEntry]) throws -> BatchResult {
        var builder = BatchResultBuilder(stepCount: stepCount)
        try builder.add(contentsOf: entries)
        return try builder.finish()
    }

    /// The grammar violation for `entries`, with its path.
    static func violation(_ stepCount: Int, _ entries: [CursorEntry]) -> HranaCodingError? {
        do {
            let result = try build(stepCount, entries)
            Issue.record("expected a grammar violation, got \(result)")
        } catch let error as HranaCodingError {
            return error
        } catch {
            Issue.record("expected a HranaCodingError, got \(error)")
        }
        return nil
    }

    @Test("results, errors before and after step_begin, and skipped steps")
    func rebuild() throws {
        let result = try Self.build(5, [
            .stepBegin(step: 0, cols: Self.cols), .row([.integer(1)]), .row([.integer(2)]),
            .stepEnd(affectedRowCount: 0, lastInsertRowID: nil),
            .stepError(step: 1, error: Self.error),
            .stepBegin(step: 3, cols: Self.cols), .row([.null]), .stepError(step: 3, error: Self.error),
            .unknown(type: "replication_index"),
            .stepBegin(step: 4, cols: []), .stepEnd(affectedRowCount: 3, lastInsertRowID: -9),
        ])
        #expect(result.stepResults == [
            StmtResult(cols: Self.cols, rows: [[.integer(1)], [.integer(2)]]), nil, nil, nil,
            StmtResult(cols: [], rows: [], affectedRowCount: 3, lastInsertRowID: -9),
        ])
        #expect(result.stepErrors == [nil, Self.error, nil, Self.error, nil])
    }

    @Test("the same batch through a cursor and a pipeline gives the same BatchResult")
    func matchesPipeline() throws {
        // 068 ran on the cursor endpoint; rebuild it and check its shape against the same grammar the
        // pipeline's batch result has: one slot per step, exactly one of result/error for executed steps.
        let exchange = try Exchange.load("v3", "068")
        let decoded = try CursorBodyDecoder.decode(Data(try #require(exchange.responseBody?.stringValue).utf8))
        let result = try Self.build(5, decoded.entries)
        for step in 0..<5 { #expect(!(result.stepResults[step] != nil && result.stepErrors[step] != nil)) }
        // Re-encode as a batch response and decode again.
        let reencoded = try HranaJSON.decode(BatchResult.self, from: try HranaJSON.encode(result))
        #expect(reencoded == result)
    }

    @Test("a batch-level error entry makes finish() throw it")
    func batchError() throws {
        var builder = BatchResultBuilder(stepCount: 2)
        try builder.add(.stepBegin(step: 0, cols: []))
        try builder.add(.error(Self.error))
        #expect(builder.batchError == Self.error)
        #expect(throws: ProtocolError.self) { try builder.finish() }
        try builder.add(.unknown(type: "replication_index"))
        #expect(throws: HranaCodingError.self) { try builder.add(.stepBegin(step: 1, cols: [])) }
    }

    @Test("grammar violations name the entry", arguments: [
        (2, [CursorEntry.row([.integer(1)])], "entries[0]", "row entry outside a step"),
        (2, [.stepEnd(affectedRowCount: 0, lastInsertRowID: nil)], "entries[0]", "step_end entry outside a step"),
        (2, [.stepBegin(step: 0, cols: []), .stepBegin(step: 1, cols: [])], "entries[1]", "inside step 0"),
        (2, [.stepBegin(step: 2, cols: [])], "entries[0]", "the batch has 2 steps"),
        (2, [.stepError(step: 5, error: BatchResultBuilderTests.error)], "entries[0]", "the batch has 2 steps"),
        (3, [.stepError(step: 1, error: BatchResultBuilderTests.error), .stepBegin(step: 1, cols: [])], "entries[1]", "in order"),
        (3, [.stepError(step: 2, error: BatchResultBuilderTests.error), .stepError(step: 0, error: BatchResultBuilderTests.error)], "entries[1]", "in order"),
        (2, [.stepBegin(step: 0, cols: []), .stepError(step: 1, error: BatchResultBuilderTests.error)], "entries[1]", "inside step 0"),
        (2, [.stepBegin(step: 0, cols: BatchResultBuilderTests.cols), .row([])], "entries[1]", "has 1 columns"),
        (2, [.stepBegin(step: 0, cols: []), .row([])], "entries[2]", "cursor ended inside step 0"),
        (2, [.error(BatchResultBuilderTests.error), .row([])], "entries[1]", "after the batch-level error"),
    ])
    func violations(stepCount: Int, entries: [CursorEntry], path: String, message: String) throws {
        let error = try #require(Self.violation(stepCount, entries))
        #expect(error.path == path)
        #expect(error.message.contains(message), "\(error)")
    }
}
