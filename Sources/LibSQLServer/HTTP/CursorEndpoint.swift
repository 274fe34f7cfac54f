import Foundation
import Gzip
import Hrana
import Hummingbird
import NIOCore

/// `POST /v3/cursor` and `/v3-protobuf/cursor`: runs a batch on a worker thread and streams its entries as
/// newline-delimited JSON or varint-length-delimited protobuf, gzip-compressed per chunk when the client
/// accepts it.
struct CursorEndpoint {
    let core: ServerCore
    var encoding: WireEncoding = .json

    /// How often a running cursor checks that its client is still connected.
    static let disconnectPollInterval: Duration = .milliseconds(100)

    func respond(to request: Request, channel: any Channel) async -> Response {
        let body: CursorRequest
        let access: Access
        switch await RequestReader(core: core).read(request, as: CursorRequest.self, encoding: encoding) {
        case .success(let prepared): (body, access) = prepared
        case .failure(let error): return error.response
        }
        if !ConditionValidator.isValid(body.batch) {
            return HTTPResponses.text(.badRequest, StreamFailure.invalidConditionReference.message)
        }
        let lease: StreamLease
        switch await core.leaseStream(baton: body.baton, encoding: encoding) {
        case .success(let leased): lease = leased
        case .failure(let error): return error.response
        }
        if access == .readOnly && WriteClassifier.mayWrite(body.batch, storedSQL: lease.stream.storedSQL) {
            core.registry.restore(lease)
            return HTTPResponses.jsonError(.forbidden, "Authorization forbidden: the token is read-only and the batch may write")
        }
        let header = CursorResponse(baton: core.registry.nextBaton(for: lease), baseURL: core.configuration.selfURL)
        let firstLine: ByteBuffer
        do {
            firstLine = ByteBuffer(data: try encoding.cursorHeader(header))
        } catch {
            core.registry.restore(lease)
            return HTTPResponses.jsonError(.internalServerError, "Internal Error: the cursor header could not be encoded: \(error.description)")
        }
        let pipe = CursorPipe()
        let pipeGuard = CursorPipeGuard(pipe)
        let core = core
        let batch = body.batch
        let encoding = encoding
        let registry = core.registry
        Task {
            // A client that leaves during a step that yields nothing is only noticed by watching its connection.
            let watcher = Task {
                while (try? await Task.sleep(for: Self.disconnectPollInterval)) != nil {
                    if await ConnectionWatch.clientLeft(channel) {
                        pipe.abandon { lease.stream.interrupt() }
                        return
                    }
                }
            }
            defer { watcher.cancel() }
            // The producer settles the lease and finishes the pipe itself; this only covers a job that never ran.
            let ran: Void? = try? await core.executor.run {
                CursorProducer.run(batch, stream: lease.stream, pipe: pipe, encoding: encoding) { ending in
                    switch ending {
                    case .reusable:
                        registry.release(lease)
                    case .broken:
                        registry.remove(lease)
                        lease.stream.close()
                    }
                }
            }
            if ran == nil {
                registry.remove(lease)
                pipe.finish()
                let stream = lease.stream
                await core.executor.runDetached { stream.close() }
            }
        }
        // Compressed per chunk with a sync flush, so each line is decodable as soon as it arrives.
        let compress = HTTPResponses.acceptsGzip(request.headers[.acceptEncoding])
        var headers: HTTPFields = [.contentType: encoding.cursorContentType]
        headers[.vary] = "Accept-Encoding"
        if compress { headers[.contentEncoding] = "gzip" }
        let stallLimit = core.configuration.connectionIdleTimeout
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                let pipe = pipeGuard.pipe
                // A client that stays connected but stops reading for the idle timeout is treated as gone.
                let stall = WriteStallWatch(limit: stallLimit) {
                    pipe.abandon { lease.stream.interrupt() }
                    channel.close(promise: nil)
                }
                defer { stall.stop() }
                var compressor = compress ? GzipCompressor(level: HTTPResponses.compressionLevel) : nil
                func encoded(_ chunk: ByteBuffer) -> ByteBuffer {
                    guard let bytes = compressor?.feed(chunk.readableBytesView) else { return chunk }
                    return ByteBuffer(bytes: bytes)
                }
                do {
                    let first = encoded(firstLine)
                    try await stall.write { try await writer.write(first) }
                    for await chunk in pipe.chunks {
                        let bytes = encoded(chunk)
                        try await stall.write { try await writer.write(bytes) }
                        pipe.consumed()
                    }
                    if let trailer = compressor?.finish() { try await writer.write(ByteBuffer(bytes: trailer)) }
                    try await writer.finish(nil)
                } catch {
                    pipe.cancel()
                    throw error
                }
            })
    }
}
