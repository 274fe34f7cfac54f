import Foundation
import Hrana
import Hummingbird
import NIOCore

/// The first steps of every Hrana request: authentication, the body size limit, reading and decoding.
struct RequestReader {
    let core: ServerCore

    /// Authenticates, reads and decodes the body, or returns the error response to send.
    func read<Body: Decodable & ProtobufMessage>(
        _ request: Request, as type: Body.Type, encoding: WireEncoding = .json
    ) async -> Result<(Body, Access), ResponseError> {
        await read(request) { (data) throws(HranaCodingError) in try encoding.decode(Body.self, from: data) }
    }

    /// Authenticates, reads the body under the limit and decodes it with `decode`, or returns the error
    /// response to send.
    func read<Body>(
        _ request: Request, decode: (Data) throws(HranaCodingError) -> Body
    ) async -> Result<(Body, Access), ResponseError> {
        let access: Access
        do {
            access = try core.authenticator.authenticate(header: request.headers[.authorization])
        } catch {
            return .failure(ResponseError(HTTPResponses.authFailure(error)))
        }
        let limit = core.configuration.maxRequestBodySize
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit {
            return .failure(ResponseError(Self.tooLarge(limit)))
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            return .failure(ResponseError(Self.tooLarge(limit)))
        } catch {
            return .failure(ResponseError(HTTPResponses.text(.badRequest, "Could not read the request body")))
        }
        do {
            let body = try decode(Data(buffer: buffer, byteTransferStrategy: .noCopy))
            return .success((body, access))
        } catch {
            return .failure(ResponseError(HTTPResponses.text(.badRequest, "Invalid request body: \(error.description)")))
        }
    }

    static func tooLarge(_ limit: Int) -> Response {
        var response = HTTPResponses.text(
            .contentTooLarge, "The request body is larger than the limit of \(limit) bytes")
        response.headers[.connection] = "close"
        return response
    }
}

/// A finished error response carried through `Result`.
struct ResponseError: Error {
    var response: Response
    init(_ response: Response) { self.response = response }
}
