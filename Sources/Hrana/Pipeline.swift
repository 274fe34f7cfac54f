import Foundation

/// The body of `POST /v2/pipeline` and `POST /v3/pipeline`.
public struct PipelineRequest: Sendable, Hashable, Codable {
    /// The stream's baton, or `nil` to open a new stream.
    public var baton: String?
    /// The requests, run in order on the stream.
    public var requests: [StreamRequest]
    /// Whether a `nil` baton is written as `"baton": null` (the Rust client) rather than left out
    /// (libsql-client-ts). Both mean "open a new stream".
    public var encodesNullBaton: Bool

    /// Creates a pipeline request.
    public init(baton: String?, requests: [StreamRequest], encodesNullBaton: Bool = true) {
        self.baton = baton
        self.requests = requests
        self.encodesNullBaton = encodesNullBaton
    }

    private enum CodingKeys: String, CodingKey { case baton, requests }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        baton = try container.decodeIfPresent(String.self, forKey: .baton)
        requests = try container.decode([StreamRequest].self, forKey: .requests)
        encodesNullBaton = container.contains(.baton)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        if baton != nil || encodesNullBaton { try container.encode(baton, forKey: .baton) }
        try container.encode(requests, forKey: .requests)
    }
}

/// The body of a successful pipeline response.
public struct PipelineResponse: Sendable, Hashable, Codable {
    /// The baton for the next request on this stream, or `nil` when the stream was closed.
    public var baton: String?
    /// When set, later requests of this stream go to this URL (sticky routing).
    public var baseURL: String?
    /// One result per request, in order.
    public var results: [StreamResult]

    /// Creates a pipeline response.
    public init(baton: String?, baseURL: String?, results: [StreamResult]) {
        self.baton = baton
        self.baseURL = baseURL
        self.results = results
    }

    private enum CodingKeys: String, CodingKey { case baton, baseURL = "base_url", results }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(baton, forKey: .baton)
        try container.encode(baseURL, forKey: .baseURL)
        try container.encode(results, forKey: .results)
    }
}

/// The outcome of one pipeline request: its response or its error.
public enum StreamResult: Sendable, Hashable {
    /// The request succeeded.
    case ok(StreamResponse)
    /// The request failed; the stream stays usable.
    case error(ProtocolError)
}

extension StreamResult: Codable {
    private enum CodingKeys: String, CodingKey { case type, response, error }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        switch type {
        case "ok": self = .ok(try container.decode(StreamResponse.self, forKey: .response))
        case "error": self = .error(try container.decode(ProtocolError.self, forKey: .error))
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .type, in: container, debugDescription: "Unknown stream result type \"\(type)\"")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .ok(let response):
            try container.encode("ok", forKey: .type)
            try container.encode(response, forKey: .response)
        case .error(let error):
            try container.encode("error", forKey: .type)
            try container.encode(error, forKey: .error)
        }
    }
}
