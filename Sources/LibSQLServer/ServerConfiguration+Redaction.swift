extension ServerConfiguration: CustomStringConvertible, CustomDebugStringConvertible {
    /// The configuration with the auth token redacted (JWT keys are public keys and are only counted).
    public var description: String {
        "ServerConfiguration(databasePath: \(databasePath), host: \(host), port: \(port), "
            + "authToken: \(authToken == nil ? "nil" : "<redacted>"), jwtPublicKeys: \(jwtPublicKeys.count), "
            + "streamIdleTimeout: \(streamIdleTimeout), maxStreams: \(maxStreams), transactionTimeout: \(transactionTimeout), "
            + "busyTimeout: \(busyTimeout), maxResponseSize: \(maxResponseSize), "
            + "maxRequestBodySize: \(maxRequestBodySize), maxValueSize: \(maxValueSize), "
            + "selfURL: \(selfURL ?? "nil"))"
    }

    public var debugDescription: String { description }
}
