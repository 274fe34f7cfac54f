import Foundation
import Gzip
import Hrana
import Hummingbird
import NIOCore

/// Routes HTTP requests to the Hrana endpoints.
struct HranaResponder: HTTPResponder {
    typealias Context = HranaRequestContext

    let core: ServerCore

    func respond(to request: Request, context: Context) async throws -> Response {
        let start = ContinuousClock.now
        let path = request.uri.path
        core.counter.record(path: path)
        let response = await route(request, path: path, context: context)
        if core.logger.logLevel <= .debug {
            core.logger.debug(
                "\(request.method) \(path) \(response.status.code)",
                metadata: ["duration": "\(ContinuousClock.now - start)"])
        }
        return response
    }

    private func route(_ request: Request, path: String, context: Context) async -> Response {
        let normalized = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        switch (request.method, normalized) {
        case (.post, "/v2/pipeline"): return await pipeline(request, version: .v2)
        case (.post, "/v3/pipeline"): return await pipeline(request, version: .v3)
        case (.post, "/v3/cursor"): return await cursor(request, channel: context.channel)
        case (.get, "/v2"), (.get, "/v3"): return HTTPResponses.text(.ok, HTTPResponses.probeText)
        case (.get, "/health"): return HTTPResponses.empty(.ok)
        case (.get, "/version"): return HTTPResponses.text(.ok, HranaServer.versionString)
        case (_, "/v2/pipeline"), (_, "/v3/pipeline"), (_, "/v3/cursor"), (_, "/v2"), (_, "/v3"), (_, "/health"),
            (_, "/version"):
            var response = HTTPResponses.empty(.methodNotAllowed)
            response.headers[.allow] = normalized.hasPrefix("/v2/") || normalized.hasPrefix("/v3/") ? "POST" : "GET"
            return response
        default:
            if ReplicationEndpoints.matches(normalized) { return await ReplicationEndpoints.respond(request, path: normalized, channel: context.channel, core: core) }
            return HTTPResponses.empty(.notFound)
        }
    }

    // MARK: Shared request steps

    /// Authenticates, reads and decodes the body, or returns the error response to send.
    private func prepare<Body: Decodable>(_ request: Request, as type: Body.Type) async -> Result<(Body, Access), ResponseError> {
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
            let body = try HranaJSON.decode(Body.self, from: Data(buffer: buffer, byteTransferStrategy: .noCopy))
            return .success((body, access))
        } catch {
            return .failure(ResponseError(HTTPResponses.text(.badRequest, "Invalid request body: \(error.description)")))
        }
    }

    private static func tooLarge(_ limit: Int) -> Response {
        var response = HTTPResponses.text(
            .contentTooLarge, "The request body is larger than the limit of \(limit) bytes")
        response.headers[.connection] = "close"
        return response
    }

    /// Leases the stream a baton names, or opens a new stream for a `nil` baton.
    private func leaseStream(baton: String?) async -> Result<StreamLease, ResponseError> {
        guard let baton else {
            let database = core.database
            let opened: Result<StreamSession, any Error>
            do {
                opened = try await core.executor.run { Self.openSession(database) }
            } catch {
                return .failure(ResponseError(HTTPResponses.text(.serviceUnavailable, "The server is shutting down")))
            }
            switch opened {
            case .success(let session): return .success(await register(session))
            case .failure(let error):
                core.logger.debug("Could not open a stream", metadata: ["error": "\(error)"])
                return .failure(ResponseError(HTTPResponses.jsonError(.internalServerError, "Internal Error: could not open a stream: \(error)")))
            }
        }
        switch core.registry.acquire(baton: baton) {
        case .success(let lease): return .success(lease)
        case .failure(let rejection): return .failure(ResponseError(HTTPResponses.batonRejected(rejection)))
        }
    }

    /// Opens a session, retrying briefly: a new connection can meet `SQLITE_BUSY` while others write.
    private static func openSession(_ database: EngineDatabase) -> Result<StreamSession, any Error> {
        var attempt = 0
        while true {
            let result = Result { try database.openSession() }
            guard case .failure(let error) = result, !(error is EngineClosedError), attempt < 50 else { return result }
            attempt += 1
            Thread.sleep(forTimeInterval: 0.02)
        }
    }

    /// Registers a new stream; closes the stream it evicted, if any, off the cooperative pool.
    private func register(_ session: StreamSession) async -> StreamLease {
        let (lease, evicted) = core.registry.create(session: session)
        if let evicted {
            core.logger.debug("Too many open streams: expired the one idle for longest")
            await core.executor.runDetached { evicted.close() }
        }
        return lease
    }

    /// Forgets a stream and closes its session off the cooperative pool.
    private func drop(_ lease: StreamLease) async {
        core.registry.remove(lease)
        let session = lease.session
        await core.executor.runDetached { session.close() }
    }

    // MARK: Pipeline

    private func pipeline(_ request: Request, version: ProtocolVersion) async -> Response {
        let body: PipelineRequest
        let access: Access
        switch await prepare(request, as: PipelineRequest.self) {
        case .success(let prepared): (body, access) = prepared
        case .failure(let error): return error.response
        }
        if let unsupported = body.requests.first(where: { $0.minimumVersion > version }) {
            return HTTPResponses.text(
                .badRequest, "The `\(unsupported.type)` request (or one of its conditions) is not supported in Hrana \(version.rawValue)")
        }
        // A new stream is only registered if it outlives the request.
        var lease: StreamLease?
        if let baton = body.baton {
            switch core.registry.acquire(baton: baton) {
            case .success(let leased): lease = leased
            case .failure(let rejection): return HTTPResponses.batonRejected(rejection)
            }
        }
        if access == .readOnly && WriteClassifier.mayWrite(body.requests, storedSQL: lease?.storedSQL ?? [:]) {
            if let lease { core.registry.restore(lease) }
            return HTTPResponses.jsonError(.forbidden, "Authorization forbidden: the token is read-only and the pipeline may write")
        }
        let requests = body.requests
        let mayRecycle = lease == nil && SessionPool.isRecyclable(requests)
        let mayUsePool = lease == nil && SessionPool.mayServe(requests)
        var partial = PipelineRunner.Outcome(storedSQL: lease?.storedSQL ?? [:])
        var candidate = lease?.session
        if let limit = core.inlineQueryLimit, PipelineRunner.mayStartInline(requests) {
            if candidate == nil && mayUsePool { candidate = core.sessionPool.take() }
            if let candidate {
                PipelineRunner.run(
                    requests, on: candidate, version: version, outcome: &partial, mayRecycle: mayRecycle,
                    inlineLimit: limit)
            }
        }
        let finished: (StreamSession, PipelineRunner.Outcome)
        if let candidate, partial.completed == requests.count || partial.failure != nil {
            finished = (candidate, partial)
        } else {
            switch await finishOnWorker(
                requests, session: candidate, version: version, outcome: partial, mayRecycle: mayRecycle,
                mayUsePool: mayUsePool)
            {
            case .success(let result): finished = result
            case .failure(let error):
                if let lease { await drop(lease) }
                return error.response
            }
        }
        let (session, outcome) = finished
        // Close the session the pipeline failed on, or a recyclable one that the full pool turned away.
        let unwanted = outcome.failure != nil ? session : outcome.recyclable ? core.sessionPool.put(session) : nil
        if let unwanted { await core.executor.runDetached { unwanted.close() } }
        if let failure = outcome.failure {
            if let lease { core.registry.remove(lease) }
            return HTTPResponses.text(.badRequest, failure.message)
        }
        let baton: String?
        if outcome.closed {
            if let lease { core.registry.remove(lease) }
            baton = nil
        } else {
            var kept: StreamLease
            if let lease { kept = lease } else { kept = await register(session) }
            kept.storedSQL = outcome.storedSQL
            baton = core.registry.nextBaton(for: kept)
            core.registry.release(kept)
        }
        var results = outcome.results
        if let log = core.replication, WriteClassifier.mayWrite(requests, storedSQL: lease?.storedSQL ?? [:]) {
            ReplicationIndexStamp.stamp(&results, index: log.replicationIndex())
        }
        let response = PipelineResponse(baton: baton, baseURL: core.configuration.selfURL, results: results)
        let acceptsGzip = HTTPResponses.acceptsGzip(request.headers[.acceptEncoding])
        return ResponseEncoding.httpResponse(response, acceptsGzip: acceptsGzip)
    }

    /// Runs what is left of a pipeline on a worker thread, first taking a pooled session (when `mayUsePool`)
    /// or opening one when there is none yet (a new stream opens in the same job as its first pipeline: one
    /// thread hop).
    private func finishOnWorker(
        _ requests: [StreamRequest], session: StreamSession?, version: ProtocolVersion,
        outcome: PipelineRunner.Outcome, mayRecycle: Bool, mayUsePool: Bool
    ) async -> Result<(StreamSession, PipelineRunner.Outcome), ResponseError> {
        let database = core.database
        let pool = core.sessionPool
        let job: Result<(StreamSession, PipelineRunner.Outcome), any Error>
        do {
            job = try await core.executor.run {
                let chosen: StreamSession
                if let session {
                    chosen = session
                } else if mayUsePool, let pooled = pool.take() {
                    chosen = pooled
                } else {
                    switch Self.openSession(database) {
                    case .success(let opened): chosen = opened
                    case .failure(let error): return .failure(error)
                    }
                }
                var outcome = outcome
                PipelineRunner.run(requests, on: chosen, version: version, outcome: &outcome, mayRecycle: mayRecycle)
                return .success((chosen, outcome))
            }
        } catch {
            return .failure(ResponseError(HTTPResponses.text(.serviceUnavailable, "The server is shutting down")))
        }
        switch job {
        case .success(let finished): return .success(finished)
        case .failure(let error):
            core.logger.debug("Could not open a stream", metadata: ["error": "\(error)"])
            return .failure(ResponseError(HTTPResponses.jsonError(
                .internalServerError, "Internal Error: could not open a stream: \(error)")))
        }
    }

    // MARK: Cursor

    /// How often a running cursor checks that its client is still connected.
    static let disconnectPollInterval: Duration = .milliseconds(100)

    private func cursor(_ request: Request, channel: any Channel) async -> Response {
        let body: CursorRequest
        let access: Access
        switch await prepare(request, as: CursorRequest.self) {
        case .success(let prepared): (body, access) = prepared
        case .failure(let error): return error.response
        }
        if !ConditionValidator.isValid(body.batch) {
            return HTTPResponses.text(.badRequest, StreamFailure.invalidConditionReference.message)
        }
        let lease: StreamLease
        switch await leaseStream(baton: body.baton) {
        case .success(let leased): lease = leased
        case .failure(let error): return error.response
        }
        if access == .readOnly && WriteClassifier.mayWrite(body.batch, storedSQL: lease.storedSQL) {
            core.registry.restore(lease)
            return HTTPResponses.jsonError(.forbidden, "Authorization forbidden: the token is read-only and the batch may write")
        }
        let header = CursorResponse(baton: core.registry.nextBaton(for: lease), baseURL: core.configuration.selfURL)
        var headerLine = ByteBuffer(data: (try? HranaJSON.encode(header)) ?? Data("{}".utf8))
        headerLine.writeStaticString("\n")
        let firstLine = headerLine
        let pipe = CursorPipe()
        let pipeGuard = CursorPipeGuard(pipe)
        let core = core
        let batch = body.batch
        let registry = core.registry
        Task {
            // A client that leaves during a step that yields nothing is only noticed by watching its connection.
            let watcher = Task {
                while (try? await Task.sleep(for: Self.disconnectPollInterval)) != nil {
                    if await ConnectionWatch.clientLeft(channel) {
                        pipe.abandon { lease.session.interrupt() }
                        return
                    }
                }
            }
            defer { watcher.cancel() }
            // The producer settles the lease and finishes the pipe itself; this only covers a job that never ran.
            let ran: Void? = try? await core.executor.run {
                CursorProducer.run(batch, session: lease.session, pipe: pipe) { outcome in
                    switch outcome {
                    case .reusable:
                        registry.release(lease)
                    case .broken:
                        registry.remove(lease)
                        lease.session.close()
                    }
                }
            }
            if ran == nil {
                registry.remove(lease)
                pipe.finish()
                let session = lease.session
                await core.executor.runDetached { session.close() }
            }
        }
        // Compressed per chunk with a sync flush, so each line is decodable as soon as it arrives.
        let compress = HTTPResponses.acceptsGzip(request.headers[.acceptEncoding])
        var headers: HTTPFields = [.contentType: "text/plain"]
        headers[.vary] = "Accept-Encoding"
        if compress { headers[.contentEncoding] = "gzip" }
        let stallLimit = core.configuration.connectionIdleTimeout
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                let pipe = pipeGuard.pipe
                // A client that stays connected but stops reading for the idle timeout is treated as gone.
                let stall = WriteStallWatch(limit: stallLimit) {
                    pipe.abandon { lease.session.interrupt() }
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

/// A finished error response carried through `Result`.
struct ResponseError: Error {
    var response: Response
    init(_ response: Response) { self.response = response }
}
