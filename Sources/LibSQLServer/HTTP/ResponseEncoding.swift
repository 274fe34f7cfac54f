import Foundation
import Hrana
import Hummingbird

/// Encodes responses as sqld does: a non-finite float (SQLite's `1e999`) is written as `"value": null`.
enum ResponseEncoding {
    static func encode(_ response: PipelineResponse) throws(HranaCodingError) -> Data {
        try HranaJSON.encode(response, nonFiniteFloatsAsNull: true)
    }

    static func encode(_ entry: CursorEntry) throws(HranaCodingError) -> Data {
        try HranaJSON.encode(entry, nonFiniteFloatsAsNull: true)
    }

    /// The HTTP response for a pipeline response: 200 with its JSON, or 500 with sqld's error body when it
    /// cannot be encoded (never an empty or altered result).
    static func httpResponse(
        _ response: PipelineResponse, acceptsGzip: Bool, encoding: WireEncoding = .json,
        encode: ((PipelineResponse) throws(HranaCodingError) -> Data)? = nil
    ) -> Response {
        do {
            let body = try (encode ?? encoding.encode)(response)
            return HTTPResponses.body(.ok, body, contentType: encoding.contentType, acceptsGzip: acceptsGzip)
        } catch {
            return HTTPResponses.jsonError(
                .internalServerError, "Internal Error: the response could not be encoded: \(error.description)")
        }
    }
}
