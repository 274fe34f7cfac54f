import Foundation
import Hummingbird
import NIOCore

/// `GET /info`, `GET /export/{gen}` and `GET /sync/{gen}/{start}/{end}`: libSQL's sync protocol v2.
///
/// Internal faults answer 503, never 500: libSQL clients read a 500 as "end of generation".
enum ReplicationEndpoints {
    /// Whether `path` is one of the replication endpoints.
    static func matches(_ path: String) -> Bool {
        path == "/info" || path.hasPrefix("/export/") || path.hasPrefix("/sync/")
    }

    static func respond(_ request: Request, path: String, channel: any Channel, core: ServerCore) async -> Response {
        guard let log = core.replication else { return HTTPResponses.empty(.notFound) }
        // A sync is a chain of small round trips: Nagle's algorithm with the client's delayed ACK would add
        // about 40 ms to each.
        _ = try? await channel.setOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1).get()
        do {
            _ = try core.authenticator.authenticate(header: request.headers[.authorization])
        } catch {
            return HTTPResponses.authFailure(error)
        }
        guard request.method == .get else {
            var response = HTTPResponses.text(.methodNotAllowed, "Pushing frames is not supported by this server")
            response.headers[.allow] = "GET"
            return response
        }
        let parts = path.split(separator: "/").map(String.init)
        let answer: Response? = try? await core.executor.run { () -> Response in
            switch parts.first {
            case "info" where parts.count == 1:
                switch log.currentGeneration() {
                case .success(let generation): return json(.ok, ["current_generation": Int(generation)])
                case .failure(let error): return unavailable("\(error)")
                }
            case "export" where parts.count == 2:
                guard let generation = UInt32(parts[1]) else { return HTTPResponses.text(.badRequest, "Invalid generation") }
                return export(log.export(generation: generation), generation: generation, executor: core.executor)
            case "sync" where parts.count == 4:
                guard let generation = UInt32(parts[1]), let start = UInt32(parts[2]), let end = UInt32(parts[3]) else {
                    return HTTPResponses.text(.badRequest, "Invalid generation or frame number")
                }
                return frames(log.frames(generation: generation, start: start, end: end), generation: generation)
            default:
                return HTTPResponses.empty(.notFound)
            }
        }
        return answer ?? unavailable("The server is shutting down")
    }

    private static func frames(_ answer: ReplicationLog.FramesAnswer, generation: UInt32) -> Response {
        switch answer {
        case .frames(let bytes):
            return Response(
                status: .ok, headers: [.contentType: "application/octet-stream"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
        case .endOfGeneration(let current): return json(.badRequest, ["generation": Int(current)])
        case .gone: return HTTPResponses.text(.gone, "Generation \(generation) is not kept; bootstrap the replica again")
        case .unavailable(let reason): return unavailable(reason)
        }
    }

    /// The image streamed in chunks read on the executor's threads; each chunk waits until the client has taken
    /// the one before (the writer's back-pressure), so a download holds a few chunks in memory, not the image.
    private static func export(
        _ answer: ReplicationLog.ExportAnswer, generation: UInt32, executor: BlockingExecutor
    ) -> Response {
        switch answer {
        case .image(let image):
            return Response(
                status: .ok, headers: [.contentType: "application/octet-stream"],
                body: ResponseBody(contentLength: image.size) { writer in
                    var offset = 0
                    while offset < image.size {
                        let chunk = try await executor.run { [offset] in Result { try image.chunk(at: offset) } }.get()
                        offset += chunk.readableBytes
                        try await writer.write(chunk)
                    }
                    try await writer.finish(nil)
                })
        case .gone: return HTTPResponses.text(.gone, "Generation \(generation) is not kept; bootstrap from /info again")
        case .unavailable(let reason): return unavailable(reason)
        }
    }

    private static func json(_ status: HTTPResponse.Status, _ object: [String: Int]) -> Response {
        let body = (try? JSONSerialization.data(withJSONObject: object)) ?? Data("{}".utf8)
        return HTTPResponses.json(status, body, acceptsGzip: false)
    }

    private static func unavailable(_ reason: String) -> Response {
        HTTPResponses.text(.serviceUnavailable, "Replication is unavailable: \(reason)")
    }
}
