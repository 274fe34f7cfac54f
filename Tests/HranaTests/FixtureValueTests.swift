import Foundation
import Hrana
import Testing

/// Spot checks: decoded fixtures carry the recorded values.
@Suite("Fixture values")
struct FixtureValueTests {
    @Test("008: every value type from SQL literals, including the Int64 extremes", arguments: ["v2", "v3"])
    func literals(version: String) throws {
        let result = try Exchange.load(version, "008").executeResult(0)
        #expect(result.cols.count == 17)
        #expect(result.cols.allSatisfy { $0.decltype == nil })
        #expect(result.cols.map(\.name).first == "v_null")
        let row = try #require(result.rows.first)
        let expected: [Value] = [
            .null, .integer(0), .integer(42), .integer(-7), .integer(.max), .integer(.min),
            .float(9_223_372_036_854_775_808.0), .float(3.25), .float(-0.5), .float(1.0), .float(0.1), .float(1e100),
            .text("h\u{e9}llo w\u{f6}rld \u{2014} \u{2713} \u{65e5}\u{672c}\u{8a9e} \u{1F600} e\u{301}"),
            .text("tab\tnewline\nquote\" backslash\\ slash/ cr\r"), .text(""),
            .blob(Data([0x00, 0x01, 0xFE, 0xFF])), .blob(Data()),
        ]
        #expect(row == expected)
        if case .text(let text) = row[12] { #expect(text.unicodeScalars.count == 24) }
        #expect(result.affectedRowCount == 0)
        #expect(result.lastInsertRowID == 0)
    }

    @Test("009: arguments echo back unchanged, Int64 extremes included", arguments: ["v2", "v3"])
    func argumentsEcho(version: String) throws {
        let exchange = try Exchange.load(version, "009")
        let request = try HranaJSON.decode(PipelineRequest.self, from: try #require(exchange.requestBody).data)
        guard case .execute(let stmt) = request.requests[0] else {
            Issue.record("request 0 is not an execute")
            return
        }
        let args = try #require(stmt.args)
        #expect(args[2] == .integer(Int64.max))
        #expect(args[3] == .integer(Int64.min))
        #expect(try exchange.executeResult(0).rows == [args])
        let types = try exchange.executeResult(1).rows[0]
        #expect(types == ["null", "integer", "real", "text", "blob", "blob"].map(Value.text) + [.integer(0)])
    }

    @Test("011: decltypes are kept verbatim and expressions have none", arguments: ["v2", "v3"])
    func decltypes(version: String) throws {
        let result = try Exchange.load(version, "011").executeResult(0)
        #expect(result.cols.map(\.decltype) == ["INT", "TEXT", "REAL", "BLOB", "varchar(10)", "FURRY BUNNY", "FURRY BUNNY", nil])
        #expect(result.cols.map(\.name) == ["int_col", "text_col", "real_col", "blob_col", "varchar_col", "bunny_col", "fb", "expr_col"])
        #expect(result.rows.count == 2)
        #expect(result.rows[0][3] == .blob(Data([1, 2, 3])))
        #expect(result.rows[1] == [.integer(-2), .text(""), .null, .blob(Data()), .null, .text("bunny"), .text("bunny"), .integer(-4)])
    }

    @Test("013: affected row counts and last insert rowids", arguments: ["v2", "v3"])
    func affectedRows(version: String) throws {
        let exchange = try Exchange.load(version, "013")
        let results = try (0..<5).map { try exchange.executeResult($0) }
        #expect(results.map(\.affectedRowCount) == [3, 1, 2, 1, 0])
        #expect(results.map(\.lastInsertRowID) == [3, 4, 4, 4, 4])
        #expect(results[4].rows.map { $0[1] } == [.text("alpha"), .text("charlie"), .text("delta")])
        #expect(results[4].rows.map { $0[2] } == [.integer(1), .integer(13), .integer(14)])
    }

    @Test("020-031: errors carry their codes and classify", arguments: ["v2", "v3"])
    func errors(version: String) throws {
        let cases: [(String, Int, ErrorCode?, ConstraintKind?, Bool)] = [
            ("020", 0, .sqliteError, nil, true),
            ("021", 0, .sqliteError, nil, true),
            ("022", 0, .sqliteConstraintUnique, .unique, false),
            ("023", 0, .sqliteConstraintNotNull, .notNull, false),
            ("025", 2, .sqliteConstraintForeignKey, .foreignKey, false),
            ("026", 0, .sqliteConstraintCheck, .check, false),
            ("027", 0, .argsInvalid, nil, false),
            ("028", 0, .argsInvalid, nil, false),
            ("028", 1, .argsInvalid, nil, false),
            ("029", 0, .argsInvalid, nil, false),
            ("030", 0, .sqlNoStatement, nil, false),
            ("030", 2, .sqlNoStatement, nil, false),
            ("031", 0, nil, nil, false),
        ]
        for (number, index, code, constraint, isSQLError) in cases {
            let error = try Exchange.load(version, number).errorResult(index)
            #expect(error.errorCode == code, "\(number)[\(index)]")
            #expect(error.constraint == constraint, "\(number)[\(index)]")
            #expect(error.isSQLError == isSQLError, "\(number)[\(index)]")
            #expect(error.errorCode?.isKnown ?? true)
        }
        #expect(try Exchange.load(version, "022").errorResult(0).message.contains("UNIQUE constraint failed: items.name"))
        #expect(try Exchange.load(version, "031").errorResult(0).message == "SQL string contains more than one statement")
        #expect(try Exchange.load(version, "031").executeResult(1).rows == [[.integer(1)]])
    }

    @Test("035: a failing middle step does not stop the batch", arguments: ["v2", "v3"])
    func batchMiddleStepFails(version: String) throws {
        let result = try Exchange.load(version, "035").batchResult(0)
        #expect(result.stepResults.map { $0 != nil } == [true, false, true, true])
        #expect(result.stepErrors.map { $0 != nil } == [false, true, false, false])
        #expect(result.stepErrors[1]?.errorCode == .sqliteError)
        #expect(result.stepResults[3]?.rows == [[.integer(1), .text("first")], [.integer(2), .text("third")]])
    }

    @Test("036: condition matrix", arguments: ["v2", "v3"])
    func conditions(version: String) throws {
        let exchange = try Exchange.load(version, "036")
        let result = try exchange.batchResult(0)
        let ran = result.stepResults.map { $0 != nil }
        #expect(ran == [true, false, true, false, true, false, true, true, false, true, false, false, false, true, false, true])
        #expect(result.stepErrors.enumerated().allSatisfy { ($0.offset == 1) == ($0.element != nil) })
        let request = try HranaJSON.decode(PipelineRequest.self, from: try #require(exchange.requestBody).data)
        guard case .batch(let batch) = request.requests[0] else { throw HranaCodingError(message: "no batch", path: "") }
        #expect(batch.steps[13].condition == .and([]))
        #expect(batch.steps[14].condition == .or([]))
        #expect(batch.steps[15].condition == .not(.and([.ok(step: 0), .not(.error(step: 1))])))
        #expect(batch.firstInvalidStepReference == nil)
    }

    @Test("039 and 066: a failing statement skips the rest and COMMIT, ROLLBACK runs")
    func transactionRollbackPatterns() throws {
        let v2 = try Exchange.load("v2", "039").batchResult(0)
        #expect(v2.stepResults.map { $0 != nil } == [true, true, true, false, false, false, true])
        #expect(v2.stepErrors.map { $0 != nil } == [false, false, false, true, false, false, false])
        #expect(v2.stepErrors[3]?.constraint == .unique)
        let v3 = try Exchange.load("v3", "066").batchResult(0)
        #expect(v3.stepResults.map { $0 != nil } == [true, true, false, false, false, true])
        #expect(v3.stepErrors.map { $0 != nil } == [false, false, true, false, false, false])
        #expect(v3.stepErrors[2]?.constraint == .check)
    }

    @Test("061-063: get_autocommit and is_autocommit results")
    func autocommit() throws {
        let response = try Exchange.load("v3", "061").pipelineResponse()
        let flags = response.results.compactMap { result -> Bool? in
            if case .ok(.getAutocommit(let flag)) = result { return flag }
            return nil
        }
        #expect(flags == [true, false, true])
        let implicit = try Exchange.load("v3", "063")
        #expect(try implicit.pipelineResponse().results.count > 0)
    }

    @Test("068: cursor entries of a multi-step batch")
    func cursorSteps() throws {
        let exchange = try Exchange.load("v3", "068")
        let decoded = try CursorBodyDecoder.decode(Data(try #require(exchange.responseBody?.stringValue).utf8))
        #expect(decoded.header == CursorResponse(baton: "a1f67d0169a2bdc35ab1ecf5d12df700.0216ebaf3c8428ed", baseURL: nil))
        let entries = decoded.entries
        #expect(entries.map(\.kindName) == [
            "step_begin", "row", "row", "row", "row", "row", "step_end", "step_error",
            "step_begin", "row", "step_end", "step_begin", "step_end",
        ])
        #expect(entries[0] == .stepBegin(step: 0, cols: [
            Column(name: "id", decltype: "INTEGER"), Column(name: "name", decltype: "TEXT"),
            Column(name: "qty", decltype: "INTEGER"),
        ]))
        #expect(entries[1] == .row([.integer(1), .text("alpha"), .integer(1)]))
        guard case .stepError(let step, let error) = entries[7] else {
            Issue.record("entry 7 is \(entries[7])")
            return
        }
        #expect(step == 1)
        #expect(error.isSQLError)
        #expect(error.message.contains("no such column: no_such_column"))
        #expect(entries.last == .stepEnd(affectedRowCount: 1, lastInsertRowID: 4))

        var builder = BatchResultBuilder(stepCount: 5)
        try builder.add(contentsOf: entries)
        let result = try builder.finish()
        #expect(result.stepResults.map { $0 != nil } == [true, false, false, true, true])
        #expect(result.stepErrors.map { $0 != nil } == [false, true, false, false, false])
        #expect(result.stepResults[0]?.rows.count == 5)
        #expect(result.stepResults[3]?.rows == [[.text("ran because step 1 failed")]])
        #expect(result.stepResults[4]?.lastInsertRowID == 4)
    }

    @Test("071: cursor inside a transaction; 073: empty batch gives only the header")
    func cursorTransactionAndEmpty() throws {
        let inTransaction = try CursorBodyDecoder.decode(
            Data(try #require(try Exchange.load("v3", "071").responseBody?.stringValue).utf8))
        #expect(inTransaction.entries == [
            .stepBegin(step: 0, cols: []), .stepEnd(affectedRowCount: 1, lastInsertRowID: 5),
            .stepBegin(step: 1, cols: [Column(name: "n", decltype: nil)]), .row([.integer(1)]),
            .stepEnd(affectedRowCount: 0, lastInsertRowID: 5),
        ])
        #expect(inTransaction.header.baton == "feb2f4fff32af63eb7e071e9f6a7e36b.f2995dc54757d10b")
        let empty = try CursorBodyDecoder.decode(
            Data(try #require(try Exchange.load("v3", "073").responseBody?.stringValue).utf8))
        #expect(empty.entries.isEmpty)
        #expect(empty.header.baton == "f2ce37ff4a3222cae807176f07d56b74.424e91ee2b5cb43e")
        var builder = BatchResultBuilder(stepCount: 0)
        try builder.add(contentsOf: empty.entries)
        #expect(try builder.finish() == BatchResult(stepResults: [], stepErrors: []))
    }

    @Test("051: describe results")
    func describe() throws {
        let response = try Exchange.load("v2", "051").pipelineResponse()
        let describes = response.results.compactMap { result -> DescribeResult? in
            if case .ok(.describe(let describe)) = result { return describe }
            return nil
        }
        #expect(describes.count >= 4)
        #expect(describes.contains { $0.isExplain })
        #expect(describes.contains { !$0.isReadonly })
        #expect(describes.contains { $0.params.contains { $0.name == nil } })
        #expect(response.results.contains { if case .error = $0 { true } else { false } })
    }
}
