import Fixtures
import Foundation
import Hrana
import Testing

/// One frame of a recorded WebSocket session with the reference server.
struct WebSocketFrame: Decodable {
    var from: String
    /// The text frame, for `hrana3`.
    var text: String?
    /// The binary frame in base64, for `hrana3-protobuf`.
    var base64: String?
    /// For a protobuf client frame: the Hrana JSON form of the message the recorder encoded.
    var message: JSONValue?

    var isClient: Bool { from == "client" }
    var bytes: Data { get throws { try #require(base64.flatMap { Data(base64Encoded: $0) }, "frame has no base64") } }
    var textData: Data { get throws { Data(try #require(text, "frame has no text").utf8) } }
}

/// A recorded WebSocket session: one connection, frames in the order sent and received.
struct WebSocketSession: Decodable, CustomTestStringConvertible {
    var file = ""
    var description: String
    var subprotocol: String
    var frames: [WebSocketFrame]

    enum CodingKeys: String, CodingKey { case description, subprotocol, frames }

    var testDescription: String { file }

    static func load(_ folder: String) throws -> [WebSocketSession] {
        try Fixtures.jsonFiles(in: Fixtures.hranaTestServer(folder)).map { url in
            var session = try JSONDecoder().decode(WebSocketSession.self, from: Data(contentsOf: url))
            session.file = "\(folder)/\(url.lastPathComponent)"
            return session
        }
    }

    static var json: [WebSocketSession] { (try? load("ws-hrana3")) ?? [] }
    static var protobuf: [WebSocketSession] { (try? load("ws-hrana3-protobuf")) ?? [] }
}

/// A recorded `/v3-protobuf` HTTP exchange.
struct ProtobufExchange: Decodable, CustomTestStringConvertible {
    var file = ""
    var path: String
    var status: Int
    var responseContentType: String
    var requestMessage: JSONValue
    var requestBase64: String
    var responseBase64: String

    enum CodingKeys: String, CodingKey {
        case path, status, responseContentType = "response_content_type", requestMessage = "request_message"
        case requestBase64 = "request_base64", responseBase64 = "response_base64"
    }

    var testDescription: String { file }
    var isCursor: Bool { path.hasSuffix("/cursor") }
    var requestBytes: Data { get throws { try #require(Data(base64Encoded: requestBase64)) } }
    var responseBytes: Data { get throws { try #require(Data(base64Encoded: responseBase64)) } }

    static var all: [ProtobufExchange] {
        (try? Fixtures.jsonFiles(in: Fixtures.hranaTestServer("http-v3-protobuf")).map { url in
            var exchange = try JSONDecoder().decode(ProtobufExchange.self, from: Data(contentsOf: url))
            exchange.file = url.lastPathComponent
            return exchange
        }) ?? []
    }

    /// The JSON exchange recorded with the same requests on a fresh JSON server (same values, other batons).
    func jsonTwin() throws -> Exchange {
        let url = Fixtures.hranaTestServer("http-v3-json-twins").appendingPathComponent(file)
        return try JSONDecoder().decode(Exchange.self, from: Data(contentsOf: url))
    }
}

extension PipelineResponse {
    /// The same response without its baton, to compare twins recorded on two servers.
    var withoutBaton: PipelineResponse {
        var copy = self
        copy.baton = nil
        return copy
    }
}

/// Whether a message holds a ``BatchResult``, whose protobuf map entries a server may write in any order.
func containsBatchResult(_ message: Any) -> Bool {
    String(reflecting: message).contains("BatchResult(")
}

/// `BatchResult`s padded to the step counts of the requests that produced them (protobuf drops trailing
/// null steps).
func padded(_ message: ServerMessage, stepCounts: [Int32: Int]) -> ServerMessage {
    guard case .responseOK(let id, .batch(let result)) = message, let count = stepCounts[id] else { return message }
    return .responseOK(requestID: id, .batch(result.padded(toStepCount: count)))
}

func padded(_ response: PipelineResponse, requests: [StreamRequest]) -> PipelineResponse {
    var copy = response
    for (index, result) in copy.results.enumerated() {
        if case .ok(.batch(let batchResult)) = result, index < requests.count, case .batch(let batch) = requests[index] {
            copy.results[index] = .ok(.batch(batchResult.padded(toStepCount: batch.steps.count)))
        }
    }
    return copy
}

/// The batch step count of each WebSocket request that carries a batch, by request id.
func batchStepCounts(_ messages: [ClientMessage]) -> [Int32: Int] {
    var counts: [Int32: Int] = [:]
    for case .request(let id, .batch(_, let batch)) in messages { counts[id] = batch.steps.count }
    return counts
}
