import Hrana

/// Runs the requests of one pipeline on a stream's session, on a pool thread.
enum PipelineRunner {
    struct Outcome: Sendable {
        var results: [StreamResult] = []
        /// A `close` request closed the stream.
        var closed = false
        /// The stream was closed but its session left open for reuse (see ``SessionPool``).
        var recyclable = false
        /// A protocol error that fails the whole HTTP request and drops the stream.
        var failure: StreamFailure?
        var storedSQL: [Int32: String]
    }

    static func run(
        _ requests: [StreamRequest], on session: StreamSession, version: ProtocolVersion, storedSQL: [Int32: String],
        mayRecycle: Bool = false
    ) -> Outcome {
        var outcome = Outcome(storedSQL: storedSQL)
        outcome.results.reserveCapacity(requests.count)
        for request in requests {
            switch request {
            case .close:
                if !outcome.closed {
                    if mayRecycle && outcome.storedSQL.isEmpty && session.isAutocommit {
                        outcome.recyclable = true
                    } else {
                        session.close()
                    }
                }
                outcome.closed = true
                outcome.results.append(.ok(.close))
                continue
            case .storeSQL where outcome.closed:
                outcome.results.append(.ok(.storeSQL))
                continue
            case .closeSQL where outcome.closed:
                outcome.results.append(.ok(.closeSQL))
                continue
            default:
                break
            }
            if outcome.closed {
                outcome.failure = .closedStream
                return outcome
            }
            do {
                let result = try session.handle(request, version: version)
                outcome.results.append(result)
                if case .ok = result {
                    switch request {
                    case .storeSQL(let id, let sql): outcome.storedSQL[id] = sql
                    case .closeSQL(let id): outcome.storedSQL.removeValue(forKey: id)
                    default: break
                    }
                }
            } catch {
                outcome.failure = error
                return outcome
            }
        }
        return outcome
    }
}
