import Foundation
import LibSQLClient
import LibSQLServer
import Testing

@Suite("failure paths")
struct FailureTests {
    static let probeOK = RawHTTPServer.Action.respond(rawResponse(status: "200 OK", contentType: "text/plain", body: "hello"))

    @Test("a wrong or missing token fails with 401 and the token never appears in the error")
    func unauthorized() async throws {
        try await withServer(configure: { $0.authToken = "right-token" }) { server in
            let wrong = try Database(url: server.url.absoluteString, authToken: "secret-wrong-token")
            let error = await expectLibSQLError { try await wrong.execute("SELECT 1") }
            #expect(error?.httpStatus == 401)
            #expect(error?.code == .unauthorized || error?.code.isAuth == true)
            #expect(!(error.map { "\($0)" } ?? "").contains("secret-wrong-token"))
            await wrong.close()

            let right = try Database(url: server.url.absoluteString + "?authToken=right-token")
            #expect(try await right.execute("SELECT 1").rows.count == 1)
            await right.close()
        }
    }

    @Test("a 5xx HTML page becomes a SERVER_ERROR with the status and a short text")
    func htmlServerError() async throws {
        let server = try RawHTTPServer { line in
            line.hasPrefix("GET") ? FailureTests.probeOK
                : .respond(rawResponse(status: "502 Bad Gateway", contentType: "text/html",
                                       body: "<html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>"))
        }
        defer { server.stop() }
        let db = try Database(url: server.url)
        let error = await expectLibSQLError { try await db.execute("SELECT 1") }
        #expect(error?.code == .serverError)
        #expect(error?.httpStatus == 502)
        #expect(error?.message.contains("502 Bad Gateway") == true)
        #expect(error?.message.contains("<html>") == false)
        await db.close()
    }

    @Test("a truncated body fails as a connection error")
    func truncatedBody() async throws {
        let server = try RawHTTPServer { line in
            line.hasPrefix("GET") ? FailureTests.probeOK
                : .respond(rawResponse(status: "200 OK", contentType: "application/json",
                                       body: #"{"baton":null,"base_url":null,"results":[{"type":"ok","#, declaredLength: 500))
        }
        defer { server.stop() }
        let db = try Database(url: server.url)
        let error = await expectLibSQLError { try await db.execute("INSERT INTO t VALUES (1)") }
        #expect(error?.code == .connectionError || error?.code == .hranaProtocolError)
        await db.close()
    }

    @Test("a connection reset is retried once for reads, never for writes")
    func connectionReset() async throws {
        let posts = AtomicCounter()
        let server = try RawHTTPServer { line in
            if line.hasPrefix("GET") { return FailureTests.probeOK }
            return posts.increment() == 1 ? .reset : .respond(rawResponse(
                status: "200 OK", contentType: "application/json",
                body: #"{"baton":null,"base_url":null,"results":[{"type":"ok","response":{"type":"execute","result":{"cols":[{"name":"x","decltype":null}],"rows":[[{"type":"integer","value":"7"}]],"affected_row_count":0,"last_insert_rowid":null}}},{"type":"ok","response":{"type":"close"}}]}"#))
        }
        defer { server.stop() }
        let db = try Database(url: server.url)
        let read = try await db.execute("SELECT 7 AS x")
        #expect(read.rows[0][0] == .integer(7))
        #expect(posts.value == 2)

        posts.reset()
        let error = await expectLibSQLError { try await db.execute("INSERT INTO t VALUES (1)") }
        #expect(error?.code == .connectionError)
        #expect(posts.value == 1)
        await db.close()
    }

    @Test("a stopped server gives a connection error; invalid URLs fail at construction")
    func stoppedServerAndBadURLs() async throws {
        let url = try await withServer { server in server.url.absoluteString }
        let transport = AsyncHTTPClientTransport(connectTimeout: .milliseconds(500))
        let db = try Database(url: url, transport: transport)
        let error = await expectLibSQLError { try await db.execute("SELECT 1") }
        #expect(error?.code == .connectionError)
        await db.close()
        try await transport.shutdown()

        for (text, code) in [
            ("ftp://example.com", ErrorCode.urlSchemeNotSupported), ("gopher://example.com", .urlSchemeNotSupported),
            ("wss://example.com?tls=1", .urlInvalid),
            ("not a url", .urlInvalid), ("libsql://example.com?foo=1", .urlParamNotSupported),
        ] {
            #expect { _ = try Database(url: text) } throws: { ($0 as? LibSQLError)?.code == code }
        }
        #expect { _ = try Database.fromEnvironment([:]) } throws: { ($0 as? LibSQLError)?.code == .configurationMissing }
        let fromEnv = try Database.fromEnvironment(["TURSO_DATABASE_URL": "libsql://db.example.com?tls=0", "TURSO_AUTH_TOKEN": "t"])
        #expect(fromEnv.isRemote)
        await fromEnv.close()
    }
}

final class AtomicCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    func increment() -> Int {
        lock.lock()
        defer { lock.unlock() }
        count += 1
        return count
    }

    var value: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }

    func reset() {
        lock.lock()
        count = 0
        lock.unlock()
    }
}

@Suite("secrets")
struct SecretTests {
    @Test("a configuration never prints its token, from the field or from the URL")
    func configurationRedactsToken() throws {
        let secret = "s3cret-token-value"
        let configuration = Database.Configuration(
            url: "libsql://db.example.com?authToken=\(secret)&tls=1", authToken: secret)
        for text in [configuration.description, configuration.debugDescription, "\(configuration)", String(reflecting: configuration)] {
            #expect(!text.contains(secret), "\(text)")
            #expect(text.contains("<redacted>"))
        }
        #expect(configuration.description.contains("db.example.com"))
        let webSocket = Database.Configuration(url: "wss://db.example.com?authToken=\(secret)", encoding: .protobuf, wire: .webSocket)
        #expect(!webSocket.description.contains(secret))
        #expect(webSocket.description.contains("wire: webSocket"))
        #expect(webSocket.description.contains("encoding: protobuf"))
    }
}
