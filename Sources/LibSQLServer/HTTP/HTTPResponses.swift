import Foundation
import Hrana
import Gzip
import Hummingbird

/// The responses of the Hrana endpoints, with the exact content types clients compare against.
enum HTTPResponses {
    static let probeText = "Hello, this is HTTP API v2 (Hrana over HTTP)"
    /// Bodies at least this large are gzipped for clients that accept it.
    static let compressionThreshold = 1024
    /// The zlib level for compressed responses: most of level 9's gain on JSON at a fraction of its cost.
    static let compressionLevel: Int32 = 5

    static func text(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(
            status: status, headers: [.contentType: "text/plain"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static func empty(_ status: HTTPResponse.Status) -> Response {
        Response(status: status, headers: [.contentLength: "0"])
    }

    /// sqld's non-Hrana error body, `{"error": "..."}`, used for authentication failures.
    static func jsonError(_ status: HTTPResponse.Status, _ message: String) -> Response {
        let body = (try? JSONSerialization.data(withJSONObject: ["error": message])) ?? Data("{}".utf8)
        return json(status, body, acceptsGzip: false)
    }

    /// A Hrana `Error` as the whole body (used for `STREAM_EXPIRED`), in the endpoint's encoding.
    static func protocolError(
        _ status: HTTPResponse.Status, _ error: ProtocolError, encoding: WireEncoding = .json
    ) -> Response {
        body(status, encoding.encode(error), contentType: encoding.contentType, acceptsGzip: false)
    }

    static func json(_ status: HTTPResponse.Status, _ body: Data, acceptsGzip: Bool) -> Response {
        self.body(status, body, contentType: "application/json", acceptsGzip: acceptsGzip)
    }

    /// A whole body of `contentType`, gzipped when the client accepts it and it is worth it.
    static func body(_ status: HTTPResponse.Status, _ body: Data, contentType: String, acceptsGzip: Bool) -> Response {
        var headers: HTTPFields = [.contentType: contentType]
        headers[.vary] = "Accept-Encoding"
        if acceptsGzip && body.count >= compressionThreshold {
            headers[.contentEncoding] = "gzip"
            let compressed = body.withUnsafeBytes { Gzip.compress($0, level: compressionLevel) }
            return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: compressed)))
        }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(data: body)))
    }

    static let streamExpired = ProtocolError(message: "The stream has expired due to inactivity", code: "STREAM_EXPIRED")

    static func batonRejected(_ rejection: BatonRejection, encoding: WireEncoding = .json) -> Response {
        switch rejection {
        case .invalid: text(.badRequest, "Received an invalid baton")
        case .alreadyUsed: text(.badRequest, "Received a baton that has already been used")
        case .expired: protocolError(.badRequest, streamExpired, encoding: encoding)
        }
    }

    static func authFailure(_ failure: AuthFailure) -> Response {
        jsonError(failure.status == 403 ? .forbidden : .unauthorized, failure.message)
    }

    /// Whether an `Accept-Encoding` header allows gzip: a `gzip` (or `x-gzip`) coding, or else `*`, with a
    /// non-zero `q`. An explicit `gzip;q=0` wins over `*`.
    static func acceptsGzip(_ header: String?) -> Bool {
        guard let header else { return false }
        var gzip: Bool?
        var wildcard: Bool?
        for item in header.split(separator: ",") {
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let coding = parts.first else { continue }
            let accepted = parts.dropFirst().allSatisfy { parameter in
                let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard pair.count == 2, pair[0] == "q" else { return true }
                return (Double(pair[1]) ?? 0) > 0
            }
            switch coding {
            case "gzip", "x-gzip": gzip = (gzip ?? false) || accepted
            case "*": wildcard = (wildcard ?? false) || accepted
            default: continue
            }
        }
        return gzip ?? wildcard ?? false
    }
}
