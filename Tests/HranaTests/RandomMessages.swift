import Fixtures
import Foundation
import Hrana

/// Random Hrana messages from a seeded generator, limited to what both JSON and protobuf can carry exactly:
/// finite floats, no empty argument lists (proto3 reads them back as absent), batch results whose last step
/// is not null (protobuf sends only non-null steps).
struct RandomMessages {
    var generator: SeededGenerator

    init(seed: UInt64) { generator = SeededGenerator(seed: seed) }

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &generator) }
    mutating func chance(_ percent: Int) -> Bool { int(0...99) < percent }
    mutating func id() -> Int32 { chance(20) ? Int32.random(in: .min ... .max, using: &generator) : Int32(int(0...40)) }
    mutating func optional<T>(_ make: (inout RandomMessages) -> T) -> T? { chance(50) ? make(&self) : nil }
    mutating func array<T>(_ range: ClosedRange<Int>, _ make: (inout RandomMessages) -> T) -> [T] {
        (0..<int(range)).map { _ in make(&self) }
    }

    mutating func text() -> String {
        let pieces = ["", "a", "SELECT ?", "é", "日本", "\"q\"", "\\", "\n\t", "\u{0}", "🙂", "x/y", " "]
        return (0..<int(0...4)).map { _ in pieces[int(0...pieces.count - 1)] }.joined()
    }

    mutating func value() -> Value {
        switch int(0...4) {
        case 0: return .null
        case 1:
            return .integer(chance(30) ? [Int64.min, .max, 0, -1][int(0...3)] : Int64(bitPattern: generator.next()))
        case 2:
            var double: Double
            repeat { double = chance(50) ? Double(bitPattern: generator.next()) : Double(int(-1000...1000)) / 8 }
            while !double.isFinite
            return .float(double)
        case 3: return .text(text())
        default: return .blob(Data(array(0...9) { UInt8.random(in: 0...255, using: &$0.generator) }))
        }
    }

    mutating func stmt() -> Stmt {
        var stmt = chance(80) ? Stmt(sql: text()) : Stmt(sqlID: id())
        stmt.args = chance(50) ? array(1...4) { $0.value() } : nil
        stmt.namedArgs = chance(40) ? array(1...3) { NamedArg(name: ":" + $0.text(), value: $0.value()) } : nil
        stmt.wantRows = optional { $0.chance(50) }
        stmt.replicationIndex = chance(10) ? UInt64.random(in: 0 ... .max, using: &generator) : nil
        return stmt
    }

    mutating func condition(depth: Int = 0) -> BatchCondition {
        switch depth > 3 ? int(0...1) : int(0...5) {
        case 0: return .ok(step: UInt32(int(0...20)))
        case 1: return .error(step: UInt32.random(in: 0 ... .max, using: &generator))
        case 2: return .not(condition(depth: depth + 1))
        case 3: return .and(array(0...3) { $0.condition(depth: depth + 1) })
        case 4: return .or(array(0...3) { $0.condition(depth: depth + 1) })
        default: return .isAutocommit
        }
    }

    mutating func batch() -> Batch {
        var batch = Batch(steps: array(0...5) { BatchStep(condition: $0.optional { $0.condition() }, stmt: $0.stmt()) })
        batch.replicationIndex = chance(10) ? UInt64(int(0...1_000_000)) : nil
        return batch
    }

    mutating func column() -> Column { Column(name: optional { $0.text() }, decltype: optional { $0.text() }) }

    mutating func error() -> ProtocolError { ProtocolError(message: text(), code: optional { _ in "SQLITE_CONSTRAINT" }) }

    mutating func stmtResult() -> StmtResult {
        let cols = array(0...4) { $0.column() }
        return StmtResult(
            cols: cols, rows: array(0...4) { generator in generator.array(cols.count...cols.count) { $0.value() } },
            affectedRowCount: chance(50) ? 0 : UInt64.random(in: 0 ... .max, using: &generator),
            lastInsertRowID: optional { Int64(bitPattern: $0.generator.next()) },
            rowsRead: optional { UInt64($0.int(0...100)) }, rowsWritten: optional { UInt64($0.int(0...100)) },
            queryDurationMS: optional { Double($0.int(0...10_000)) / 1000 },
            replicationIndex: optional { UInt64($0.int(0...1_000)) })
    }

    mutating func batchResult() -> BatchResult {
        let count = int(0...6)
        var results: [StmtResult?] = []
        var errors: [ProtocolError?] = []
        for step in 0..<count {
            switch step == count - 1 ? int(0...1) : int(0...2) {
            case 0: results.append(stmtResult()); errors.append(nil)
            case 1: results.append(nil); errors.append(error())
            default: results.append(nil); errors.append(nil)
            }
        }
        return BatchResult(stepResults: results, stepErrors: errors)
    }

    mutating func describeResult() -> DescribeResult {
        DescribeResult(
            params: array(0...3) { DescribeResult.Param(name: $0.optional { $0.text() }) },
            cols: array(0...3) { Column(name: $0.text(), decltype: $0.optional { $0.text() }) },
            isExplain: chance(50), isReadonly: chance(50))
    }

    mutating func cursorEntry() -> CursorEntry {
        switch int(0...4) {
        case 0: return .stepBegin(step: UInt32(int(0...9)), cols: array(0...3) { $0.column() })
        case 1: return .row(array(0...4) { $0.value() })
        case 2: return .stepEnd(affectedRowCount: UInt64(int(0...9)), lastInsertRowID: optional { Int64($0.int(-5...5)) })
        case 3: return .stepError(step: UInt32(int(0...9)), error: error())
        default: return .error(error())
        }
    }

    mutating func streamRequest() -> StreamRequest {
        switch int(0...7) {
        case 0: return .close
        case 1: return .execute(stmt())
        case 2: return .batch(batch())
        case 3: return .sequence(sql: optional { $0.text() }, sqlID: optional { $0.id() })
        case 4: return .describe(sql: optional { $0.text() }, sqlID: optional { $0.id() })
        case 5: return .storeSQL(id: id(), sql: text())
        case 6: return .closeSQL(id: id())
        default: return .getAutocommit
        }
    }

    mutating func streamResponse() -> StreamResponse {
        switch int(0...7) {
        case 0: return .close
        case 1: return .execute(stmtResult())
        case 2: return .batch(batchResult())
        case 3: return .sequence
        case 4: return .describe(describeResult())
        case 5: return .storeSQL
        case 6: return .closeSQL
        default: return .getAutocommit(isAutocommit: chance(50))
        }
    }

    mutating func pipelineRequest() -> PipelineRequest {
        PipelineRequest(baton: optional { $0.text() }, requests: array(0...5) { $0.streamRequest() })
    }

    mutating func pipelineResponse() -> PipelineResponse {
        PipelineResponse(
            baton: optional { $0.text() }, baseURL: optional { _ in "https://example.test/db" },
            results: array(0...5) { $0.chance(80) ? .ok($0.streamResponse()) : .error($0.error()) })
    }

    mutating func cursorRequest() -> CursorRequest { CursorRequest(baton: optional { $0.text() }, batch: batch()) }

    mutating func webSocketRequest() -> WebSocketRequest {
        switch int(0...11) {
        case 0: return .openStream(streamID: id())
        case 1: return .closeStream(streamID: id())
        case 2: return .execute(streamID: id(), stmt())
        case 3: return .batch(streamID: id(), batch())
        case 4: return .openCursor(streamID: id(), cursorID: id(), batch())
        case 5: return .closeCursor(cursorID: id())
        case 6: return .fetchCursor(cursorID: id(), maxCount: UInt32(int(0...2000)))
        case 7: return .sequence(streamID: id(), sql: optional { $0.text() }, sqlID: optional { $0.id() })
        case 8: return .describe(streamID: id(), sql: optional { $0.text() }, sqlID: optional { $0.id() })
        case 9: return .storeSQL(id: id(), sql: text())
        case 10: return .closeSQL(id: id())
        default: return .getAutocommit(streamID: id())
        }
    }

    mutating func webSocketResponse() -> WebSocketResponse {
        switch int(0...11) {
        case 0: return .openStream
        case 1: return .closeStream
        case 2: return .execute(stmtResult())
        case 3: return .batch(batchResult())
        case 4: return .openCursor
        case 5: return .closeCursor
        case 6: return .fetchCursor(entries: array(0...5) { $0.cursorEntry() }, done: chance(50))
        case 7: return .sequence
        case 8: return .describe(describeResult())
        case 9: return .storeSQL
        case 10: return .closeSQL
        default: return .getAutocommit(isAutocommit: chance(50))
        }
    }

    mutating func clientMessage() -> ClientMessage {
        chance(15) ? .hello(jwt: optional { $0.text() }) : .request(id: id(), webSocketRequest())
    }

    mutating func serverMessage() -> ServerMessage {
        switch int(0...9) {
        case 0: return .helloOK
        case 1: return .helloError(error())
        case 2: return .responseError(requestID: id(), error())
        default: return .responseOK(requestID: id(), webSocketResponse())
        }
    }
}
