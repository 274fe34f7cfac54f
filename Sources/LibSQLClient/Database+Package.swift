import Foundation

// Hooks for the `Replica` module, which builds on the client.

extension Database {
    /// The HTTP base URL and the `?authToken=` of a remote database URL (`libsql://`, `https://`, `http://`;
    /// `wss://` and `ws://` name the same server over HTTPS and HTTP); throws for `file:` and invalid URLs.
    package static func remoteEndpoint(_ url: String) throws -> (baseURL: URL, authToken: String?) {
        switch try Endpoint.parse(url) {
        case .remote(let baseURL, let authToken):
            return (WebSocketConnector.httpURL(baseURL), authToken)
        case .local:
            throw LibSQLError(code: .urlInvalid, message: "The URL names a local file, not a remote database")
        }
    }
}

extension RowSequence {
    /// Rows of the sequence `prepare` returns; `prepare` runs when iteration starts.
    package static func deferred(_ prepare: @escaping @Sendable () async throws -> RowSequence) -> RowSequence {
        RowSequence(open: { try await prepare().open() })
    }
}
