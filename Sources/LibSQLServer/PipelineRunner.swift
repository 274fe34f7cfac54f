import Hrana
import SQLiteCore

/// Runs the requests of one pipeline on a stream's session: inline while they are cheap, then on a
/// worker thread.
enum PipelineRunner {
    struct Outcome: Sendable {
        var results: [StreamResult] = []
        /// How many requests have run; fewer than all only after an inline run that stopped early.
        var completed = 0
        /// A `close` request closed the stream.
        var closed = false
        /// The stream was closed but its session left open for reuse (see ``SessionPool``).
        var recyclable = false
        /// A protocol error that fails the whole HTTP request and drops the stream.
        var failure: StreamFailure?
        var storedSQL: [Int32: String]
    }

    /// Whether an inline run is worth trying: the first request is an `execute` that looks like a query.
    static func mayStartInline(_ requests: [StreamRequest]) -> Bool {
        guard case .execute(let stmt) = requests.first else { return false }
        guard let sql = stmt.sql else { return stmt.sqlID != nil }
        return SQLText.statementKind(sql) == .query
    }

    /// Runs the requests from `outcome.completed` on. With an `inlineLimit` it runs on the calling thread and
    /// stops before the first request that must run on a worker thread (see ``StreamSession/handleInline(_:version:limit:)``;
    /// a `close` that closes the connection is one); without, it runs them all and blocks the thread.
    static func run(
        _ requests: [StreamRequest], on session: StreamSession, version: ProtocolVersion,
        outcome: inout Outcome, mayRecycle: Bool = false, inlineLimit: Duration? = nil
    ) {
        outcome.results.reserveCapacity(requests.count)
        while outcome.completed < requests.count && outcome.failure == nil {
            switch step(
                requests[outcome.completed], on: session, version: version, outcome: &outcome,
                mayRecycle: mayRecycle, inlineLimit: inlineLimit)
            {
            case .ran(let result):
                outcome.results.append(result)
                outcome.completed += 1
            case .failed, .leftForWorker:
                return
            }
        }
    }

    private enum Step {
        case ran(StreamResult)
        /// The request failed the whole pipeline (``Outcome/failure``).
        case failed
        /// An inline run must leave the request to a worker thread.
        case leftForWorker
    }

    private static func step(
        _ request: StreamRequest, on session: StreamSession, version: ProtocolVersion, outcome: inout Outcome,
        mayRecycle: Bool, inlineLimit: Duration?
    ) -> Step {
        switch request {
        case .close:
            if !outcome.closed {
                if mayRecycle && outcome.storedSQL.isEmpty && session.isOpenInAutocommit {
                    outcome.recyclable = true
                } else if inlineLimit != nil {
                    return .leftForWorker
                } else {
                    session.close()
                }
            }
            outcome.closed = true
            return .ran(.ok(.close))
        case .storeSQL where outcome.closed:
            return .ran(.ok(.storeSQL))
        case .closeSQL where outcome.closed:
            return .ran(.ok(.closeSQL))
        default:
            break
        }
        if outcome.closed {
            outcome.failure = .closedStream
            return .failed
        }
        do {
            let result: StreamResult
            if let inlineLimit {
                guard let inline = try session.handleInline(request, version: version, limit: inlineLimit) else {
                    return .leftForWorker
                }
                result = inline
            } else {
                result = try session.handle(request, version: version)
            }
            if case .ok = result {
                switch request {
                case .storeSQL(let id, let sql): outcome.storedSQL[id] = sql
                case .closeSQL(let id): outcome.storedSQL.removeValue(forKey: id)
                default: break
                }
            }
            return .ran(result)
        } catch {
            outcome.failure = error
            return .failed
        }
    }
}
