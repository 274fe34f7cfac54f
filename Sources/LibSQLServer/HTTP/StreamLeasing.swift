import Foundation
import Hummingbird

/// Finding the stream a request runs on: leasing it by baton, opening a new one, dropping a broken one.
extension ServerCore {
    /// Leases the stream a baton names, or opens a new stream for a `nil` baton.
    func leaseStream(baton: String?) async -> Result<StreamLease, ResponseError> {
        guard let baton else {
            let database = database
            let opened: Result<HranaStream, any Error>
            do {
                opened = try await executor.run { Self.openStream(database) }
            } catch {
                return .failure(ResponseError(HTTPResponses.text(.serviceUnavailable, "The server is shutting down")))
            }
            switch opened {
            case .success(let stream): return .success(await register(stream))
            case .failure(let error): return .failure(openFailure(error))
            }
        }
        switch registry.acquire(baton: baton) {
        case .success(let lease): return .success(lease)
        case .failure(let rejection): return .failure(ResponseError(HTTPResponses.batonRejected(rejection)))
        }
    }

    /// Registers a new stream; closes the stream it evicted, if any, off the cooperative pool.
    func register(_ stream: HranaStream) async -> StreamLease {
        let (lease, evicted) = registry.create(stream: stream)
        if let evicted {
            logger.debug("Too many open streams: expired the one idle for longest")
            await executor.runDetached { evicted.close() }
        }
        return lease
    }

    /// Opens a stream, retrying briefly: a new connection can meet `SQLITE_BUSY` while others write.
    static func openStream(_ database: EngineDatabase) -> Result<HranaStream, any Error> {
        var attempt = 0
        while true {
            let result = Result { try database.openStream() }
            guard case .failure(let error) = result, !(error is EngineClosedError), attempt < 50 else { return result }
            attempt += 1
            Thread.sleep(forTimeInterval: 0.02)
        }
    }

    /// The response to a stream that could not be opened.
    func openFailure(_ error: any Error) -> ResponseError {
        logger.debug("Could not open a stream", metadata: ["error": "\(error)"])
        return ResponseError(HTTPResponses.jsonError(.internalServerError, "Internal Error: could not open a stream: \(error)"))
    }

    /// Forgets a stream and closes it off the cooperative pool.
    func drop(_ lease: StreamLease) async {
        registry.remove(lease)
        let stream = lease.stream
        await executor.runDetached { stream.close() }
    }
}
