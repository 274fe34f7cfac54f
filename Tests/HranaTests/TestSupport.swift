import Fixtures
import Foundation
import Hrana
import Testing

/// A parsed JSON value, for comparing documents as values (key order and number spelling ignored).
enum JSONValue: Hashable, Decodable, Encodable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let bool = try? container.decode(Bool.self) {
            self = .bool(bool)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else if let string = try? container.decode(String.self) {
            self = .string(string)
        } else if let array = try? container.decode([JSONValue].self) {
            self = .array(array)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let bool): try container.encode(bool)
        case .number(let number): try container.encode(number)
        case .string(let string): try container.encode(string)
        case .array(let array): try container.encode(array)
        case .object(let object): try container.encode(object)
        }
    }

    static func parse(_ data: Data) throws -> JSONValue { try JSONDecoder().decode(JSONValue.self, from: data) }

    var data: Data { get throws { try JSONEncoder().encode(self) } }

    subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    var stringValue: String? {
        if case .string(let string) = self { return string }
        return nil
    }

    var arrayValue: [JSONValue]? {
        if case .array(let array) = self { return array }
        return nil
    }

    /// The same value without object keys whose value is `null` (for keys that are optional on the wire).
    func removingKeys(_ keys: Set<String>, ifNull: Bool = true) -> JSONValue {
        switch self {
        case .array(let array): return .array(array.map { $0.removingKeys(keys, ifNull: ifNull) })
        case .object(let object):
            var result: [String: JSONValue] = [:]
            for (key, value) in object where !(keys.contains(key) && (!ifNull || value == .null)) {
                result[key] = value.removingKeys(keys, ifNull: ifNull)
            }
            return .object(result)
        default: return self
        }
    }

    var description: String {
        (try? String(decoding: data, as: UTF8.self)) ?? "<unencodable>"
    }
}

/// One recorded exchange of the reference Hrana test server.
struct Exchange: Decodable, CustomTestStringConvertible {
    var file = ""
    var version = ""
    var description: String
    var path: String?
    var status: Int
    var requestBody: JSONValue?
    var responseBody: JSONValue?
    var responseLines: [JSONValue]?

    enum CodingKeys: String, CodingKey {
        case description, path, status, requestBody = "request_body", responseBody = "response_body"
        case responseLines = "response_lines"
    }

    var testDescription: String { "\(version)/\(file)" }
    var number: String { String(file.prefix(3)) }
    var isPipeline: Bool { path?.hasSuffix("/pipeline") ?? false }
    var isCursor: Bool { path?.hasSuffix("/cursor") ?? false }

    static let v2 = Result { try loadFiles("v2") }
    static let v3 = Result { try loadFiles("v3") }

    static func load(_ version: String) throws -> [Exchange] {
        switch version {
        case "v2": try v2.get()
        case "v3": try v3.get()
        default: try loadFiles(version)
        }
    }

    private static func loadFiles(_ version: String) throws -> [Exchange] {
        try Fixtures.jsonFiles(in: Fixtures.hranaTestServer(version)).map { url in
            var exchange = try JSONDecoder().decode(Exchange.self, from: Data(contentsOf: url))
            exchange.file = url.lastPathComponent
            exchange.version = version
            return exchange
        }
    }

    static func load(_ version: String, _ number: String) throws -> Exchange {
        try #require(try load(version).first { $0.number == number }, "no exchange \(number) in \(version)")
    }

    static var all: [Exchange] { (try? load("v2") + load("v3")) ?? [] }

    /// The pipeline response of a successful pipeline exchange, decoded.
    func pipelineResponse() throws -> PipelineResponse {
        try HranaJSON.decode(PipelineResponse.self, from: try #require(responseBody).data)
    }

    /// The statement result of pipeline result `index`, which must be a successful `execute`.
    func executeResult(_ index: Int) throws -> StmtResult {
        let result = try pipelineResponse().results[index]
        guard case .ok(.execute(let stmtResult)) = result else {
            Issue.record("result \(index) of \(file) is not an execute result: \(result)")
            throw HranaCodingError(message: "not an execute result", path: "")
        }
        return stmtResult
    }

    /// The batch result of pipeline result `index`, which must be a successful `batch`.
    func batchResult(_ index: Int) throws -> BatchResult {
        let result = try pipelineResponse().results[index]
        guard case .ok(.batch(let batchResult)) = result else {
            Issue.record("result \(index) of \(file) is not a batch result: \(result)")
            throw HranaCodingError(message: "not a batch result", path: "")
        }
        return batchResult
    }

    /// The error of pipeline result `index`, which must be an error.
    func errorResult(_ index: Int) throws -> ProtocolError {
        let result = try pipelineResponse().results[index]
        guard case .error(let error) = result else {
            Issue.record("result \(index) of \(file) is not an error: \(result)")
            throw HranaCodingError(message: "not an error", path: "")
        }
        return error
    }
}

func json(_ text: String) -> Data { Data(text.utf8) }

/// Decodes and expects a ``HranaCodingError``; returns it for further checks.
func expectCodingError<T: Decodable>(
    _ type: T.Type, _ text: String, sourceLocation: SourceLocation = #_sourceLocation
) -> HranaCodingError? {
    do {
        let value = try HranaJSON.decode(type, from: json(text))
        Issue.record("expected a decoding error, got \(value)", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}
