import Hrana
import SQLiteCore

/// How far a pipeline has run, and what it left behind.
struct PipelineProgress: Sendable {
    var results: [StreamResult] = []
    /// How many requests have run; fewer than all only after an inline run that stopped early.
    var completed = 0
    /// A `close` request closed the stream.
    var closed = false
    /// The stream was closed but its connection left open for reuse (see ``StreamPool``).
    var recyclable = false
    /// A protocol error that fails the whole HTTP request and drops the stream.
    var failure: StreamFailure?
    /// The replication index after the pipeline's writes, for their results (see ``ReplicationIndexStamp``).
    var replicationIndex: UInt64?
}

/// Runs the requests of one pipeline on a stream: inline while they are cheap, then on a worker thread.
enum PipelineRunner {
    /// Whether an inline run is worth trying: the first request is an `execute` that looks like a query.
    static func mayStartInline(_ requests: [StreamRequest]) -> Bool {
        guard case .execute(let stmt) = requests.first else { return false }
        guard let sql = stmt.sql else { return stmt.sqlID != nil }
        return SQLText.statementKind(sql) == .query
    }

    /// Runs the requests from `progress.completed` on. With an `inlineLimit` it runs on the calling thread and
    /// stops before the first request that must run on a worker thread (see ``HranaStream/handleInline(_:version:limit:)``;
    /// a `close` that closes the connection is one); without, it runs them all and blocks the thread.
    static func run(
        _ requests: [StreamRequest], on stream: HranaStream, version: ProtocolVersion,
        progress: inout PipelineProgress, mayRecycle: Bool = false, inlineLimit: Duration? = nil
    ) {
        progress.results.reserveCapacity(requests.count)
        while progress.completed < requests.count && progress.failure == nil {
            switch step(
                requests[progress.completed], on: stream, version: version, progress: &progress,
                mayRecycle: mayRecycle, inlineLimit: inlineLimit)
            {
            case .ran(let result):
                progress.results.append(result)
                progress.completed += 1
            case .failed, .leftForWorker:
                return
            }
        }
    }

    private enum Step {
        case ran(StreamResult)
        /// The request failed the whole pipeline (``PipelineProgress/failure``).
        case failed
        /// An inline run must leave the request to a worker thread.
        case leftForWorker
    }

    private static func step(
        _ request: StreamRequest, on stream: HranaStream, version: ProtocolVersion, progress: inout PipelineProgress,
        mayRecycle: Bool, inlineLimit: Duration?
    ) -> Step {
        switch request {
        case .close:
            if !progress.closed {
                if mayRecycle && stream.isRecyclable {
                    progress.recyclable = true
                } else if inlineLimit != nil {
                    return .leftForWorker
                } else {
                    stream.close()
                }
            }
            progress.closed = true
            return .ran(.ok(.close))
        case .storeSQL where progress.closed:
            return .ran(.ok(.storeSQL))
        case .closeSQL where progress.closed:
            return .ran(.ok(.closeSQL))
        default:
            break
        }
        if progress.closed {
            progress.failure = .closedStream
            return .failed
        }
        do {
            let result: StreamResult
            if let inlineLimit {
                guard let inline = try stream.handleInline(request, version: version, limit: inlineLimit) else {
                    return .leftForWorker
                }
                result = inline
            } else {
                result = try stream.handle(request, version: version)
            }
            return .ran(result)
        } catch {
            progress.failure = error
            return .failed
        }
    }
}
