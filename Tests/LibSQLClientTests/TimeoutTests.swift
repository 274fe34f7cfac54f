import Foundation
import LibSQLClient
import Testing

/// Timeouts are recognised by the transport's error types, not by their text.
@Suite struct TimeoutTests {
    static func stallingServer() throws -> RawHTTPServer {
        try RawHTTPServer { line in
            line.hasPrefix("GET") ? FailureTests.probeOK : .stall(seconds: 5)
        }
    }

    @Test("a request that outlives requestTimeout fails with TIMEOUT on async-http-client")
    func asyncHTTPClientTimeout() async throws {
        let server = try Self.stallingServer()
        defer { server.stop() }
        var configuration = Database.Configuration(url: server.url)
        configuration.requestTimeout = .milliseconds(500)
        let db = try Database(configuration: configuration)
        let error = await expectLibSQLError { try await db.execute("SELECT 1") }
        #expect(error?.code == .timeout)
        await db.close()
    }

    @Test("a request that outlives requestTimeout fails with TIMEOUT on URLSession")
    func urlSessionTimeout() async throws {
        let server = try Self.stallingServer()
        defer { server.stop() }
        let transport = URLSessionTransport()
        var configuration = Database.Configuration(url: server.url, transport: transport)
        configuration.requestTimeout = .seconds(1)
        let db = try Database(configuration: configuration)
        let error = await expectLibSQLError { try await db.execute("SELECT 1") }
        #expect(error?.code == .timeout)
        await db.close()
        try await transport.shutdown()
    }

    @Test("an error whose text merely mentions a timeout is a connection error")
    func textIsNotAType() async throws {
        struct Odd: Error, CustomStringConvertible { var description: String { "timedOut readTimeout deadlineExceeded" } }
        struct Failing: HTTPTransport {
            func send(_ request: HTTPRequest, body: Data?) async throws -> HTTPResponse { throw Odd() }
        }
        var configuration = Database.Configuration(url: "http://127.0.0.1:9/", transport: Failing())
        configuration.protocolVersion = .v3
        let db = try Database(configuration: configuration)
        let error = await expectLibSQLError { try await db.execute("SELECT 1") }
        #expect(error?.code == .connectionError)
        await db.close()
    }
}
