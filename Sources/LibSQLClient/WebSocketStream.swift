import Foundation
import Hrana
import Logging

/// One Hrana stream of a transaction over WebSocket: opened with its first requests, closed with its last.
///
/// Requests are written in the order callers reach the actor and waited for concurrently, so statements issued
/// at once are pipelined on the socket. Repeated SQL is stored (`store_sql`) under ids unique on the socket, and
/// forgotten (`close_sql`) when the stream closes. When the socket is lost the stream fails for good with
/// `CONNECTION_ERROR`: the server rolled its transaction back.
actor WebSocketStream: TransactionStream {
    nonisolated let version: ProtocolVersion
    private let connector: WebSocketConnector
    private var session: WebSocketSession
    private var streamID: Int32?
    private(set) var isClosed = false
    private(set) var hasBegun = false
    private var failure: LibSQLError?
    private var cache: SQLCache

    init(connector: WebSocketConnector, session: WebSocketSession) {
        self.connector = connector
        self.session = session
        version = session.subprotocol.version
        cache = SQLCache(allocateID: { session.allocateSQLID() })
    }

    /// What the reply to each written request is for.
    private enum Owner {
        case caller
        case store(Int32)
        case housekeeping
    }

    func send(_ requests: [StreamRequest]) async throws -> [StreamResult] {
        try await connector.acquire()
        defer { connector.release() }
        return try await exchange(requests)
    }

    private func exchange(_ requests: [StreamRequest]) async throws -> [StreamResult] {
        if let failure { throw failure }
        if isClosed { throw LibSQLError(code: .transactionClosed, message: "The stream is closed") }
        let closing = requests.last == .close
        if closing { isClosed = true }
        var wire: [WebSocketRequest] = []
        var owners: [Owner] = []
        if self.streamID == nil && !session.isOpen {
            // Nothing was sent on the lost socket yet: the transaction starts on the next one.
            let fresh = try await connector.session()
            if self.streamID == nil && !session.isOpen {
                guard fresh.subprotocol.version == version else {
                    throw LibSQLError(code: .connectionError, message: "The WebSocket reconnected with another protocol version")
                }
                session = fresh
                cache = SQLCache(allocateID: { fresh.allocateSQLID() })
            }
        }
        let session = self.session
        let streamID: Int32
        if let id = self.streamID {
            streamID = id
        } else {
            streamID = session.allocateStreamID()
            self.streamID = streamID
            wire.append(.openStream(streamID: streamID))
            owners.append(.housekeeping)
        }
        let storing = connector.storesSQL && cache.isEnabled && version >= .v2
        var pinned: Set<String> = []
        var callers: [StreamRequest] = []
        for request in requests {
            var request = request
            if storing {
                for extra in cache.prepare(&request, pinned: &pinned) {
                    wire.append(extra.webSocket(streamID: streamID))
                    if case .storeSQL(let id, _) = extra { owners.append(.store(id)) } else { owners.append(.housekeeping) }
                }
            }
            if request == .close {
                for id in cache.allIDs {
                    wire.append(.closeSQL(id: id))
                    owners.append(.housekeeping)
                }
            }
            wire.append(request.webSocket(streamID: streamID))
            owners.append(.caller)
            callers.append(request)
        }
        let ids: [Int32]
        do {
            ids = try session.submit(wire)
        } catch let error as LibSQLError where error.code == .valueError {
            throw error
        } catch {
            throw fail(error)
        }
        var results: [StreamResult] = []
        var callerIndex = 0
        for (index, ((id, owner), request)) in zip(zip(ids, owners), wire).enumerated() {
            let reply: WebSocketSession.Reply
            do {
                reply = try await connector.reply(id, on: session, "The WebSocket request \(request.type)")
            } catch {
                session.abandon(ids[(index + 1)...])
                throw fail(error)
            }
            switch owner {
            case .caller:
                results.append(StreamResult(reply, for: callers[callerIndex]))
                callerIndex += 1
            case .store(let sqlID):
                if case .failure(let error) = reply {
                    connector.logger.debug("The server refused store_sql; sending SQL text from now on", metadata: ["error": "\(error.message)"])
                    cache.storeFailed(id: sqlID)
                } else {
                    cache.stored(id: sqlID)
                }
            case .housekeeping:
                if case .openStream = request, case .failure(let error) = reply {
                    throw fail(LibSQLError(error))
                }
            }
        }
        if closing { release() }
        return results
    }

    func send(
        beginning make: @Sendable (_ first: Bool) -> [StreamRequest]
    ) async throws -> (first: Bool, results: [StreamResult]) {
        let first = !hasBegun
        hasBegun = true
        return (first, try await send(make(first)))
    }

    /// Closes the stream (the server rolls back an open transaction); a no-op if it never opened.
    func close() async {
        guard !isClosed else { return }
        guard streamID != nil, failure == nil else {
            isClosed = true
            return
        }
        _ = try? await send([.close])
    }

    /// After a timeout the socket may still be up: closes the stream there so that the server rolls back now.
    func abandon() async {
        guard let streamID, session.isOpen else { return }
        self.streamID = nil
        isClosed = true
        _ = try? await connector.send([.closeStream(streamID: streamID)], on: session)
        session.releaseStreamID(streamID)
    }

    /// Records why the stream is unusable; a lost socket means the transaction is gone.
    private func fail(_ error: any Error) -> LibSQLError {
        var failure = WebSocketSession.connectionError(error)
        if failure.code == .connectionError {
            failure.message = "The WebSocket connection was lost; the server rolled back the transaction (\(failure.message))"
        }
        if self.failure == nil { self.failure = failure }
        return failure
    }

    private func release() {
        guard let streamID else { return }
        self.streamID = nil
        session.releaseStreamID(streamID)
        session.releaseSQLIDs(cache.allIDs)
    }
}
