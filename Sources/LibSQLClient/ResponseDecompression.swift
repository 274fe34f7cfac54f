import Foundation
import Hrana
import Gzip

/// Undoes `Content-Encoding: gzip` on a response, streaming when the body streams.
enum ResponseDecompression {
    static let maxOutputSize = 1 << 30

    static func decompress(_ response: HTTPResponse) throws -> HTTPResponse {
        guard let encoding = response.headers["content-encoding"]?.lowercased(), encoding == "gzip" || encoding == "deflate" else {
            return response
        }
        let format: GzipDecompressor.Format = encoding == "gzip" ? .gzip : .automatic
        var headers = response.headers
        headers["content-encoding"] = nil
        headers["content-length"] = nil
        if let buffered = response.body.buffered {
            do {
                return HTTPResponse(
                    status: response.status, headers: headers,
                    body: HTTPBody(try Gzip.decompress(buffered, format: format, maxOutputSize: maxOutputSize)))
            } catch {
                throw LibSQLError(code: .hranaProtocolError, message: "Could not decompress the response: \(error)")
            }
        }
        let body = response.body
        return HTTPResponse(
            status: response.status, headers: headers,
            body: HTTPBody(makeReader: {
                let state = StreamingState(format: format)
                var iterator = body.makeAsyncIterator()
                return HTTPBody.Reader {
                    while !state.finished {
                        if let chunk = try await iterator.next() {
                            let output = try state.feed(chunk)
                            if !output.isEmpty { return output }
                        } else {
                            let output = try state.finish()
                            if !output.isEmpty { return output }
                        }
                    }
                    return nil
                }
            }))
    }

    private final class StreamingState {
        var decompressor: GzipDecompressor?
        var finished = false
        let format: GzipDecompressor.Format

        init(format: GzipDecompressor.Format) {
            self.format = format
        }

        func feed(_ chunk: Data) throws -> Data {
            do {
                if decompressor == nil {
                    decompressor = try GzipDecompressor(format: format, maxOutputSize: ResponseDecompression.maxOutputSize)
                }
                return Data(try decompressor!.feed(chunk))
            } catch {
                throw LibSQLError(code: .hranaProtocolError, message: "Could not decompress the response: \(error)")
            }
        }

        func finish() throws -> Data {
            finished = true
            guard decompressor != nil else { return Data() }
            do {
                return Data(try decompressor!.finish())
            } catch {
                throw LibSQLError(code: .connectionError, message: "The compressed response ended early: \(error)")
            }
        }
    }
}
