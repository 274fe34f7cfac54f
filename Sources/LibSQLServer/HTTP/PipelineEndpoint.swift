import Foundation
import Hrana
import Hummingbird

/// `POST /v2/pipeline`, `/v3/pipeline` and `/v3-protobuf/pipeline`: runs the requests of a pipeline on a
/// leased, pooled or new stream, inline while they are cheap and then on a worker thread.
struct PipelineEndpoint {
    let core: ServerCore
    var encoding: WireEncoding = .json

    func respond(to request: Request, version: ProtocolVersion) async -> Response {
        let body: PipelineRequest
        let access: Access
        switch await RequestReader(core: core).read(request, as: PipelineRequest.self, encoding: encoding) {
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
            case .failure(let rejection): return HTTPResponses.batonRejected(rejection, encoding: encoding)
            }
        }
        // The SQL the stream had stored before this pipeline, for classifying its `sql_id` statements.
        let storedSQL = access == .readOnly || core.replication != nil ? lease?.stream.storedSQL ?? [:] : [:]
        if access == .readOnly && WriteClassifier.mayWrite(body.requests, storedSQL: storedSQL) {
            if let lease { core.registry.restore(lease) }
            return HTTPResponses.jsonError(.forbidden, "Authorization forbidden: the token is read-only and the pipeline may write")
        }
        let requests = body.requests
        let mayRecycle = lease == nil && StreamPool.isRecyclable(requests)
        let mayUsePool = lease == nil && StreamPool.mayServe(requests)
        // The replication log whose index the results carry: read on the thread that ran the writes.
        let stampingLog = core.replication.flatMap { WriteClassifier.mayWrite(requests, storedSQL: storedSQL) ? $0 : nil }
        var partial = PipelineProgress()
        var candidate = lease?.stream
        if let limit = core.inlineQueryLimit, PipelineRunner.mayStartInline(requests) {
            if candidate == nil && mayUsePool { candidate = core.streamPool.take() }
            if let candidate {
                PipelineRunner.run(
                    requests, on: candidate, version: version, progress: &partial, mayRecycle: mayRecycle,
                    inlineLimit: limit)
            }
        }
        let finished: (HranaStream, PipelineProgress)
        if let candidate, partial.completed == requests.count || partial.failure != nil {
            partial.replicationIndex = stampingLog?.replicationIndex(
                covering: candidate.control.lastCommitMark, of: core.database.commits)
            finished = (candidate, partial)
        } else {
            switch await finishOnWorker(
                requests, stream: candidate, version: version, progress: partial, mayRecycle: mayRecycle,
                mayUsePool: mayUsePool, stampingLog: stampingLog)
            {
            case .success(let result): finished = result
            case .failure(let error):
                if let lease { await core.drop(lease) }
                return error.response
            }
        }
        let (stream, progress) = finished
        // Close the stream the pipeline failed on, or a recyclable one that the full pool turned away.
        let unwanted = progress.failure != nil ? stream : progress.recyclable ? core.streamPool.put(stream) : nil
        if let unwanted { await core.executor.runDetached { unwanted.close() } }
        if let failure = progress.failure {
            if let lease { core.registry.remove(lease) }
            return HTTPResponses.text(.badRequest, failure.message)
        }
        let baton: String?
        if progress.closed {
            if let lease { core.registry.remove(lease) }
            baton = nil
        } else {
            let kept: StreamLease
            if let lease { kept = lease } else { kept = await core.register(stream) }
            baton = core.registry.nextBaton(for: kept)
            core.registry.release(kept)
        }
        var results = progress.results
        ReplicationIndexStamp.stamp(&results, index: progress.replicationIndex)
        let response = PipelineResponse(baton: baton, baseURL: core.configuration.selfURL, results: results)
        let acceptsGzip = HTTPResponses.acceptsGzip(request.headers[.acceptEncoding])
        return ResponseEncoding.httpResponse(response, acceptsGzip: acceptsGzip, encoding: encoding)
    }

    /// Runs what is left of a pipeline on a worker thread, first taking a pooled stream (when `mayUsePool`)
    /// or opening one when there is none yet (a new stream opens in the same job as its first pipeline: one
    /// thread hop), then reads the replication index from `stampingLog` (blocking file reads).
    private func finishOnWorker(
        _ requests: [StreamRequest], stream: HranaStream?, version: ProtocolVersion,
        progress: PipelineProgress, mayRecycle: Bool, mayUsePool: Bool, stampingLog: ReplicationLog?
    ) async -> Result<(HranaStream, PipelineProgress), ResponseError> {
        let database = core.database
        let pool = core.streamPool
        let job: Result<(HranaStream, PipelineProgress), any Error>
        do {
            job = try await core.executor.run {
                let chosen: HranaStream
                if let stream {
                    chosen = stream
                } else if mayUsePool, let pooled = pool.take() {
                    chosen = pooled
                } else {
                    switch ServerCore.openStream(database) {
                    case .success(let opened): chosen = opened
                    case .failure(let error): return .failure(error)
                    }
                }
                var progress = progress
                PipelineRunner.run(requests, on: chosen, version: version, progress: &progress, mayRecycle: mayRecycle)
                progress.replicationIndex = stampingLog?.replicationIndex(
                    covering: chosen.control.lastCommitMark, of: database.commits)
                return .success((chosen, progress))
            }
        } catch {
            return .failure(ResponseError(HTTPResponses.text(.serviceUnavailable, "The server is shutting down")))
        }
        switch job {
        case .success(let finished): return .success(finished)
        case .failure(let error): return .failure(core.openFailure(error))
        }
    }
}
