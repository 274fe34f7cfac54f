import Foundation
import Hrana
import Logging

/// One Hrana stream over HTTP: its baton and URL, the pipelining queue and the stored-SQL cache.
///
/// Requests issued while another request of the stream is in flight are queued and sent together, in order,
/// in the next pipeline request. A round trip is shielded from task cancellation so that the baton never
/// gets lost half-way; callers check cancellation between round trips.
actor RemoteStream: TransactionStream {
    private struct Pending {
        var requests: [StreamRequest]
        var continuation: CheckedContinuation<[StreamResult], any Error>
    }

    let connector: RemoteConnector
    nonisolated let version: ProtocolVersion
    private var base: URL
    private var baton: String?
    private var started = false
    private(set) var isClosed = false
    private var failure: LibSQLError?
    private var cache = SQLCache()
    private var inFlight = false
    private var queue: [Pending] = []
    /// Whether a transaction's `BEGIN` was sent (claimed by the first ``send(beginning:)``).
    private(set) var hasBegun = false
    private var abandoned = false

    init(connector: RemoteConnector, version: ProtocolVersion, base: URL) {
        self.connector = connector
        self.version = version
        self.base = base
    }

    /// Sends requests on the stream (pipelined with any queued concurrently) and returns their results.
    func send(_ requests: [StreamRequest]) async throws -> [StreamResult] {
        if let failure { throw failure }
        if isClosed { throw LibSQLError(code: .transactionClosed, message: "The stream is closed") }
        if requests.last == .close { isClosed = true }
        if inFlight {
            return try await withCheckedThrowingContinuation { continuation in
                queue.append(Pending(requests: requests, continuation: continuation))
            }
        }
        inFlight = true
        defer { drainLater() }
        return try await roundTrip([requests])[0]
    }

    /// Sends the requests `make` builds, telling it whether they are the first of the transaction (and must carry
    /// `BEGIN`). Claiming and queueing are one step on the actor, so concurrent first statements cannot overtake
    /// the one that carries `BEGIN`.
    func send(
        beginning make: @Sendable (_ first: Bool) -> [StreamRequest]
    ) async throws -> (first: Bool, results: [StreamResult]) {
        let first = !hasBegun
        hasBegun = true
        return (first, try await send(make(first)))
    }

    /// Closes the stream (the server rolls back any open transaction); a no-op if it never started.
    func close() async {
        guard !isClosed else { return }
        isClosed = true
        guard started, failure == nil else { return }
        if inFlight {
            _ = try? await withCheckedThrowingContinuation { continuation in
                queue.append(Pending(requests: [.close], continuation: continuation))
            }
            return
        }
        inFlight = true
        defer { drainLater() }
        _ = try? await roundTrip([[.close]])
    }

    /// After the connection was lost or timed out mid-stream: closes the stream by its last baton on a new
    /// request (best effort, once), so that the server rolls back an open transaction now instead of when the
    /// stream expires. Harmless when the lost request did reach the server: its baton is then stale and refused.
    func abandon() async {
        guard let failure, failure.code == .connectionError || failure.code == .timeout, let baton, !abandoned else { return }
        abandoned = true
        isClosed = true
        let (connector, base, version) = (connector, base, version)
        _ = try? await Task {
            try await connector.pipeline(PipelineRequest(baton: baton, requests: [.close]), base: base, version: version)
        }.value
    }

    private func drainLater() {
        guard !queue.isEmpty else {
            inFlight = false
            return
        }
        Task { await self.drain() }
    }

    private func drain() async {
        while !queue.isEmpty {
            let batch = queue
            queue.removeAll()
            do {
                let results = try await roundTrip(batch.map(\.requests))
                for (pending, result) in zip(batch, results) { pending.continuation.resume(returning: result) }
            } catch {
                for pending in batch { pending.continuation.resume(throwing: error) }
            }
        }
        inFlight = false
    }

    /// One HTTP request carrying several callers' requests; returns each caller's results.
    private func roundTrip(_ groups: [[StreamRequest]]) async throws -> [[StreamResult]] {
        if let failure { throw failure }
        var wire: [StreamRequest] = []
        var owners: [Int?] = []
        let storing = connector.storesSQL && cache.isEnabled
        var pinned: Set<String> = []
        for (index, group) in groups.enumerated() {
            for request in group {
                var request = request
                if storing {
                    for extra in cache.prepare(&request, pinned: &pinned) {
                        wire.append(extra)
                        owners.append(nil)
                    }
                }
                wire.append(request)
                owners.append(index)
            }
        }
        let pipeline = PipelineRequest(baton: baton, requests: wire, encodesNullBaton: true)
        let base = self.base
        let version = self.version
        let connector = self.connector
        started = true
        let response: PipelineResponse
        do {
            response = try await Task { try await connector.pipeline(pipeline, base: base, version: version) }.value
        } catch let error as LibSQLError {
            failure = error
            cache.reset()
            throw error
        } catch {
            let wrapped = RemoteConnector.transportError(error)
            failure = wrapped
            throw wrapped
        }
        baton = response.baton
        if let baseURL = response.baseURL, let url = URL(string: baseURL) { self.base = url }
        if response.baton == nil { isClosed = true }
        var results = Array(repeating: [StreamResult](), count: groups.count)
        for ((owner, result), request) in zip(zip(owners, response.results), wire) {
            if let owner {
                results[owner].append(result)
            } else if case .storeSQL(let id, _) = request {
                if case .error(let error) = result {
                    connector.logger.debug("The server refused store_sql; sending SQL text from now on", metadata: ["error": "\(error.message)"])
                    cache.storeFailed(id: id)
                } else {
                    cache.stored(id: id)
                }
            }
        }
        return results
    }
}
