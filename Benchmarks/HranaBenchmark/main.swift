import Foundation
import Hrana

// Micro-benchmark of HranaJSON against a JSONSerialization baseline doing the same work on the same bytes,
// and of HranaProtobuf against HranaJSON on the same messages.
// Run: swift run -c release HranaBenchmark [repetitions]

let repetitions = max(3, Int(CommandLine.arguments.dropFirst().first ?? "") ?? 9)

func median(_ samples: [Double]) -> Double {
    let sorted = samples.sorted()
    return sorted[sorted.count / 2]
}

func measure(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) * 1e3 + Double(elapsed.components.attoseconds) / 1e15
}

// MARK: - Workload 1: encode a 1,000-statement batch pipeline request

let statementCount = 1_000

func makeBatchRequest() -> PipelineRequest {
    var steps: [BatchStep] = []
    steps.reserveCapacity(statementCount)
    for index in 0..<statementCount {
        let stmt = Stmt(
            sql: "INSERT INTO events (id, name, score, payload) VALUES (?, ?, ?, ?)",
            args: [
                .integer(Int64(index) * 1_000_003),
                .text("event \(index) \"quoted\" é"),
                .float(Double(index) / 7),
                index % 3 == 0 ? .null : .blob(Data((0..<16).map { UInt8(($0 + index) & 0xFF) })),
            ],
            namedArgs: [], wantRows: false)
        steps.append(BatchStep(condition: index == 0 ? nil : .ok(step: UInt32(index - 1)), stmt: stmt))
    }
    return PipelineRequest(baton: nil, requests: [.batch(Batch(steps: steps)), .close])
}

func valueTree(_ value: Value) -> [String: Any] {
    switch value {
    case .null: ["type": "null"]
    case .integer(let integer): ["type": "integer", "value": String(integer)]
    case .float(let double): ["type": "float", "value": double]
    case .text(let text): ["type": "text", "value": text]
    case .blob(let data): ["type": "blob", "base64": data.base64EncodedString()]
    }
}

func conditionTree(_ condition: BatchCondition) -> [String: Any] {
    switch condition {
    case .ok(let step): ["type": "ok", "step": step]
    case .error(let step): ["type": "error", "step": step]
    case .not(let inner): ["type": "not", "cond": conditionTree(inner)]
    case .and(let conds): ["type": "and", "conds": conds.map(conditionTree)]
    case .or(let conds): ["type": "or", "conds": conds.map(conditionTree)]
    case .isAutocommit: ["type": "is_autocommit"]
    }
}

func baselineEncode(_ request: PipelineRequest) throws -> Data {
    var requests: [[String: Any]] = []
    for streamRequest in request.requests {
        switch streamRequest {
        case .batch(let batch):
            let steps: [[String: Any]] = batch.steps.map { step in
                var stmt: [String: Any] = ["sql": step.stmt.sql ?? ""]
                stmt["args"] = step.stmt.effectiveArgs.map(valueTree)
                stmt["named_args"] = step.stmt.effectiveNamedArgs.map { ["name": $0.name, "value": valueTree($0.value)] }
                stmt["want_rows"] = step.stmt.effectiveWantRows
                var tree: [String: Any] = ["stmt": stmt]
                if let condition = step.condition { tree["condition"] = conditionTree(condition) }
                return tree
            }
            requests.append(["type": "batch", "batch": ["steps": steps]])
        default:
            requests.append(["type": streamRequest.type])
        }
    }
    let body: [String: Any] = ["baton": NSNull(), "requests": requests]
    return try JSONSerialization.data(withJSONObject: body)
}

// MARK: - Workload 2: decode a 10,000-row pipeline response

let rowCount = 10_000

func makeResponse() -> PipelineResponse {
    let rows: [[Value]] = (0..<rowCount).map { (index: Int) -> [Value] in
        let id = Int64(index) &* 6_364_136_223_846_793
        let score = Double(index) * 0.125 + 0.1
        let payload: Value = index % 4 == 0 ? .null : .blob(Data((0..<12).map { (byte: Int) in UInt8((byte * 7 + index) & 0xFF) }))
        return [.integer(id), .text("row number \(index)"), .float(score), payload]
    }
    let result = StmtResult(
        cols: [
            Column(name: "id", decltype: "INTEGER"), Column(name: "name", decltype: "TEXT"),
            Column(name: "score", decltype: "REAL"), Column(name: "payload", decltype: "BLOB"),
        ],
        rows: rows, affectedRowCount: 0, lastInsertRowID: nil)
    return PipelineResponse(baton: "b.1", baseURL: nil, results: [.ok(.execute(result)), .ok(.close)])
}

struct BaselineError: Error {}

func baselineValue(_ object: Any) throws -> Value {
    guard let tree = object as? [String: Any], let type = tree["type"] as? String else { throw BaselineError() }
    switch type {
    case "null": return .null
    case "integer":
        guard let text = tree["value"] as? String, let integer = Int64(text) else { throw BaselineError() }
        return .integer(integer)
    case "float":
        guard let number = tree["value"] as? NSNumber else { throw BaselineError() }
        return .float(number.doubleValue)
    case "text":
        guard let text = tree["value"] as? String else { throw BaselineError() }
        return .text(text)
    case "blob":
        guard let text = tree["base64"] as? String, let data = Data(base64Encoded: text) else { throw BaselineError() }
        return .blob(data)
    default: throw BaselineError()
    }
}

func baselineDecode(_ data: Data) throws -> [[Value]] {
    guard let body = try JSONSerialization.jsonObject(with: data) as? [String: Any],
        let results = body["results"] as? [[String: Any]],
        let response = results.first?["response"] as? [String: Any],
        let result = response["result"] as? [String: Any],
        let rows = result["rows"] as? [[Any]]
    else { throw BaselineError() }
    return try rows.map { try $0.map(baselineValue) }
}

// MARK: - Run

func report(_ name: String, hrana: [Double], baseline: [Double]) {
    let h = median(hrana), b = median(baseline)
    print(
        String(
            format: "%@: HranaJSON %.2f ms, JSONSerialization %.2f ms, ratio %.2fx (baseline / HranaJSON; >1 = HranaJSON faster)",
            name, h, b, b / h))
}

/// The cursor form of the response: header line, step_begin, one line per row, step_end.
func makeCursorBody(_ response: PipelineResponse) throws -> Data {
    guard case .ok(.execute(let result)) = response.results[0] else { fatalError("unexpected response shape") }
    var body = try HranaJSON.encode(CursorResponse(baton: "b.1", baseURL: nil)) + Data("\n".utf8)
    body += try HranaJSON.encode(CursorEntry.stepBegin(step: 0, cols: result.cols)) + Data("\n".utf8)
    for row in result.rows { body += try HranaJSON.encode(CursorEntry.row(row)) + Data("\n".utf8) }
    body += try HranaJSON.encode(CursorEntry.stepEnd(affectedRowCount: 0, lastInsertRowID: nil)) + Data("\n".utf8)
    return body
}

func hranaCursor(_ body: Data, chunk: Int) throws -> Int {
    var decoder = CursorBodyDecoder()
    var rows = 0
    var offset = 0
    while offset < body.count {
        let end = min(body.count, offset + chunk)
        for entry in try decoder.feed(body[offset..<end]) { if case .row = entry { rows += 1 } }
        offset = end
    }
    for entry in try decoder.finish() { if case .row = entry { rows += 1 } }
    return rows
}

func protobufCursor(_ body: Data, chunk: Int) throws -> Int {
    var decoder = ProtobufCursorBodyDecoder()
    var rows = 0
    var offset = 0
    while offset < body.count {
        let end = min(body.count, offset + chunk)
        for entry in try decoder.feed(body[offset..<end]) { if case .row = entry { rows += 1 } }
        offset = end
    }
    try decoder.finish()
    return rows
}

func reportProtobuf(_ name: String, protobuf: [Double], json: [Double], protobufBytes: Int, jsonBytes: Int) {
    let p = median(protobuf), j = median(json)
    print(
        String(
            format: "%@: HranaProtobuf %.2f ms (%d bytes), HranaJSON %.2f ms (%d bytes), ratio %.2fx (HranaJSON / HranaProtobuf; >1 = protobuf faster)",
            name, p, protobufBytes, j, jsonBytes, j / p))
}

func baselineCursor(_ body: Data) throws -> Int {
    var rows = 0
    for line in body.split(separator: UInt8(ascii: "\n")).dropFirst() {
        guard let entry = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else { throw BaselineError() }
        if entry["type"] as? String == "row", let values = entry["row"] as? [Any] {
            _ = try values.map(baselineValue)
            rows += 1
        }
    }
    return rows
}

do {
    let request = makeBatchRequest()
    let encoded = try HranaJSON.encode(request)
    let baselineEncoded = try baselineEncode(request)
    let same = try HranaJSON.decode(PipelineRequest.self, from: baselineEncoded)
    precondition(same.requests == request.requests, "baseline encoding disagrees with HranaJSON")
    var hranaTimes: [Double] = [], baselineTimes: [Double] = []
    for _ in 0..<repetitions {
        hranaTimes.append(try measure { _ = try HranaJSON.encode(request) })
        baselineTimes.append(try measure { _ = try baselineEncode(request) })
    }
    print("encode 1,000-statement batch request (\(encoded.count) bytes), \(repetitions) repetitions")
    report("encode", hrana: hranaTimes, baseline: baselineTimes)

    let body = try HranaJSON.encode(makeResponse())
    let decodedRows = try baselineDecode(body)
    guard case .ok(.execute(let result)) = try HranaJSON.decode(PipelineResponse.self, from: body).results[0],
        result.rows == decodedRows
    else { fatalError("baseline decoding disagrees with HranaJSON") }
    hranaTimes = []
    baselineTimes = []
    var foundationTimes: [Double] = []
    for _ in 0..<repetitions {
        foundationTimes.append(try measure { _ = try JSONEncoder().encode(request) })
    }
    print(String(format: "encode: JSONEncoder (Codable conformances) %.2f ms", median(foundationTimes)))

    for _ in 0..<repetitions {
        hranaTimes.append(try measure { _ = try HranaJSON.decode(PipelineResponse.self, from: body) })
        baselineTimes.append(try measure { _ = try baselineDecode(body) })
    }
    print("decode 10,000-row pipeline response (\(body.count) bytes), \(repetitions) repetitions")
    report("decode", hrana: hranaTimes, baseline: baselineTimes)
    foundationTimes = []
    for _ in 0..<repetitions {
        foundationTimes.append(try measure { _ = try JSONDecoder().decode(PipelineResponse.self, from: body) })
    }
    print(String(format: "decode: JSONDecoder (Codable conformances) %.2f ms", median(foundationTimes)))

    let cursorBody = try makeCursorBody(makeResponse())
    let cursorRows = (try hranaCursor(cursorBody, chunk: 16_384), try baselineCursor(cursorBody))
    precondition(cursorRows == (rowCount, rowCount), "cursor decoders disagree")
    hranaTimes = []
    baselineTimes = []
    for _ in 0..<repetitions {
        hranaTimes.append(try measure { _ = try hranaCursor(cursorBody, chunk: 16_384) })
        baselineTimes.append(try measure { _ = try baselineCursor(cursorBody) })
    }
    print("decode 10,000-row cursor body in 16 KiB chunks (\(cursorBody.count) bytes), \(repetitions) repetitions")
    report("cursor", hrana: hranaTimes, baseline: baselineTimes)

    // Protobuf beside JSON on the same three workloads, both measured in this run.
    let protobufRequest = HranaProtobuf.encode(request)
    // Proto3 reads the empty `named_args` back as absent, so compare re-encoded bytes.
    let protobufDecodedRequest = try HranaProtobuf.decode(PipelineRequest.self, from: protobufRequest)
    precondition(HranaProtobuf.encode(protobufDecodedRequest) == protobufRequest, "protobuf request round trip differs")
    var protobufTimes: [Double] = [], jsonTimes: [Double] = []
    for _ in 0..<repetitions {
        protobufTimes.append(measure { _ = HranaProtobuf.encode(request) })
        jsonTimes.append(try measure { _ = try HranaJSON.encode(request) })
    }
    reportProtobuf("protobuf encode 1,000-statement batch request", protobuf: protobufTimes, json: jsonTimes,
                   protobufBytes: protobufRequest.count, jsonBytes: encoded.count)

    let response = makeResponse()
    let protobufBody = HranaProtobuf.encode(response)
    let protobufDecodedResponse = try HranaProtobuf.decode(PipelineResponse.self, from: protobufBody)
    precondition(protobufDecodedResponse == response, "protobuf response round trip differs")
    protobufTimes = []
    jsonTimes = []
    for _ in 0..<repetitions {
        protobufTimes.append(try measure { _ = try HranaProtobuf.decode(PipelineResponse.self, from: protobufBody) })
        jsonTimes.append(try measure { _ = try HranaJSON.decode(PipelineResponse.self, from: body) })
    }
    reportProtobuf("protobuf decode 10,000-row pipeline response", protobuf: protobufTimes, json: jsonTimes,
                   protobufBytes: protobufBody.count, jsonBytes: body.count)
    protobufTimes = []
    jsonTimes = []
    for _ in 0..<repetitions {
        protobufTimes.append(measure { _ = HranaProtobuf.encode(response) })
        jsonTimes.append(try measure { _ = try HranaJSON.encode(response) })
    }
    reportProtobuf("protobuf encode 10,000-row pipeline response", protobuf: protobufTimes, json: jsonTimes,
                   protobufBytes: protobufBody.count, jsonBytes: body.count)

    guard case .ok(.execute(let result)) = response.results[0] else { fatalError("unexpected response shape") }
    let cursorEntries = [CursorEntry.stepBegin(step: 0, cols: result.cols)] + result.rows.map(CursorEntry.row)
        + [.stepEnd(affectedRowCount: 0, lastInsertRowID: nil)]
    let protobufCursorBody = HranaProtobuf.encodeCursorBody(header: CursorResponse(baton: "b.1", baseURL: nil), entries: cursorEntries)
    let protobufCursorRows = try protobufCursor(protobufCursorBody, chunk: 16_384)
    precondition(protobufCursorRows == rowCount, "protobuf cursor decoder disagrees")
    protobufTimes = []
    jsonTimes = []
    for _ in 0..<repetitions {
        protobufTimes.append(try measure { _ = try protobufCursor(protobufCursorBody, chunk: 16_384) })
        jsonTimes.append(try measure { _ = try hranaCursor(cursorBody, chunk: 16_384) })
    }
    reportProtobuf("protobuf decode 10,000-row cursor body in 16 KiB chunks", protobuf: protobufTimes, json: jsonTimes,
                   protobufBytes: protobufCursorBody.count, jsonBytes: cursorBody.count)
} catch {
    print("benchmark failed: \(error)")
    exit(1)
}
