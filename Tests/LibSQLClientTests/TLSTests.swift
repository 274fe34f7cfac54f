import Foundation
import Hrana
import LibSQLClient
import LibSQLServer
import TLSProxy
import Testing

/// `https:` and `wss:` against a real TLS peer: ``TLSProxy`` terminates TLS with the test CA's certificates
/// (`TLSFixtures/`) in front of our server on loopback.
@Suite("TLS")
struct TLSTests {
    /// One way of reaching the server over TLS.
    struct Route: Sendable, CustomTestStringConvertible {
        var scheme: String
        var host: String
        var encoding: Database.Configuration.Encoding
        var roots: Roots

        enum Roots: Sendable { case pemData, pemFile, pemFileOnly }

        var testDescription: String { "\(scheme)://\(host) \(encoding.rawValue) \(roots)" }

        func tls() throws -> Database.Configuration.TLS {
            switch roots {
            case .pemData: .trusting([.pem(try TLSFixture.caPEM)])
            case .pemFile: .trusting([.pemFile(try TLSFixture.path("ca.pem"))])
            case .pemFileOnly: .trusting([.pemFile(try TLSFixture.path("ca.pem"))], systemRoots: false)
            }
        }
    }

    static let routes = [
        Route(scheme: "wss", host: "localhost", encoding: .json, roots: .pemData),
        Route(scheme: "wss", host: "localhost", encoding: .protobuf, roots: .pemFileOnly),
        Route(scheme: "https", host: "localhost", encoding: .json, roots: .pemFile),
        Route(scheme: "https", host: "127.0.0.1", encoding: .protobuf, roots: .pemFileOnly),
    ]

    static let token = "tls-test-secret-token-7f3a"

    /// Runs `body` with our server behind a TLS proxy presenting `certificate`.
    func withTLSServer<T: Sendable>(
        certificate: String = "server", authToken: String? = nil,
        _ body: (RunningServer, TLSProxy) async throws -> T
    ) async throws -> T {
        try await withServer(configure: { $0.authToken = authToken }) { server in
            let proxy = try await TLSProxy.start(upstreamPort: server.port, certificate: certificate)
            do {
                let value = try await body(server, proxy)
                await proxy.stop()
                return value
            } catch {
                await proxy.stop()
                throw error
            }
        }
    }

    @Test("with the test CA trusted, execute, transactions and cursors work end to end over TLS", arguments: routes)
    func trustedRoundTrip(route: Route) async throws {
        try await withTLSServer(authToken: Self.token) { server, proxy in
            let db = try Database(configuration: .init(
                url: "\(route.scheme)://\(route.host):\(proxy.port)", authToken: Self.token, encoding: route.encoding,
                tls: try route.tls()))
            try await db.execute("CREATE TABLE t (x INTEGER)")
            try await db.execute("INSERT INTO t VALUES (\(1))")
            try await db.transaction(.write) { tx in
                for value in 2...4 { try await tx.execute("INSERT INTO t VALUES (\(Int64(value)))") }
            }
            await #expect(throws: LibSQLError.self) {
                try await db.transaction(.write) { tx in
                    try await tx.execute("INSERT INTO t VALUES (100)")
                    try await tx.execute("INSERT INTO missing VALUES (1)")
                }
            }
            var seen: [Int64] = []
            for try await row in db.query("SELECT x FROM t ORDER BY x") { seen.append(try row.get(0, as: Int64.self)) }
            #expect(seen == [1, 2, 3, 4], "the failed transaction was rolled back")
            await db.close()

            #expect(proxy.completedHandshakes >= 1)
            if route.scheme == "wss" {
                let subprotocol = route.encoding == .json ? "hrana3" : "hrana3-protobuf"
                #expect(proxy.completedHandshakes == 1, "one socket over one TLS connection")
                #expect(server.requestCount(path: "/ (WebSocket \(subprotocol))") == 1)
                #expect(server.requestCount() == 1, "nothing but the upgrade reached the server over HTTP")
            } else {
                let pipeline = route.encoding == .json ? "/v3/pipeline" : "/v3-protobuf/pipeline"
                #expect(server.requestCount(path: pipeline) >= 4)
            }
        }
    }

    @Test("without the test CA trusted the call fails with TLS_ERROR, without the token, and does not hang", arguments: ["wss", "https"])
    func untrustedCertificate(scheme: String) async throws {
        try await withTLSServer(authToken: Self.token) { server, proxy in
            let db = try Database(configuration: .init(url: "\(scheme)://localhost:\(proxy.port)", authToken: Self.token))
            let error = await expectLibSQLError { try await db.execute("SELECT 1") }
            #expect(error?.code == .tlsError)
            #expect(error?.message.contains("certificate") == true || error?.message.contains("CERTIFICATE") == true,
                    "\(error?.message ?? "")")
            #expect(error.map { !String(describing: $0).contains(Self.token) } == true)
            if scheme == "wss" {
                // Still refused on the next call (over HTTPS each refusal takes async-http-client's connect timeout).
                #expect(await expectLibSQLError { try await db.execute("SELECT 1") }?.code == .tlsError)
            }
            #expect(server.requestCount() == 0, "nothing reached the server")
            await db.close()
        }
    }

    @Test("a certificate for another host name fails with TLS_ERROR even from a trusted CA", arguments: ["wss", "https"])
    func hostnameMismatch(scheme: String) async throws {
        try await withTLSServer(certificate: "wrong-host") { server, proxy in
            let db = try Database(configuration: .init(
                url: "\(scheme)://localhost:\(proxy.port)", authToken: Self.token,
                tls: .trusting([.pem(try TLSFixture.caPEM)], systemRoots: false)))
            let error = await expectLibSQLError { try await db.execute("SELECT 1") }
            #expect(error?.code == .tlsError, "\(error.map { "\($0)" } ?? "")")
            #expect(error.map { !String(describing: $0).contains(Self.token) } == true)
            #expect(server.requestCount() == 0)
            await db.close()
        }
    }

    @Test("wss: to an IP address fails with TLS_ERROR naming the cause (SNI needs a host name)")
    func webSocketToIPAddress() async throws {
        try await withTLSServer { _, proxy in
            let db = try Database(configuration: .init(
                url: "wss://127.0.0.1:\(proxy.port)", tls: .trusting([.pem(try TLSFixture.caPEM)])))
            let error = await expectLibSQLError { try await db.execute("SELECT 1") }
            #expect(error?.code == .tlsError)
            #expect(error?.message.contains("host name") == true, "\(error?.message ?? "")")
            await db.close()
        }
    }

    @Test("trust roots that cannot be loaded fail when the Database is created, with TLS_ERROR")
    func invalidTrustRoots() throws {
        let bad: [Database.Configuration.TLS] = [
            .trusting([.pem("not a certificate")]),
            .trusting([.pem(Data())]),
            .trusting([.pemFile("/nonexistent/ca.pem")]),
            .trusting([], systemRoots: false),
        ]
        for tls in bad {
            for url in ["https://localhost:1", "wss://localhost:1"] {
                #expect { _ = try Database(configuration: .init(url: url, tls: tls)) } throws: {
                    ($0 as? LibSQLError)?.code == .tlsError
                }
            }
        }
        #expect { _ = try AsyncHTTPClientTransport(tls: .trusting([.pem("junk")])) } throws: {
            ($0 as? LibSQLError)?.code == .tlsError
        }
        let pem = try TLSFixture.caPEM
        let described = Database.Configuration(url: "wss://localhost:1", tls: .trusting([.pem(pem)], systemRoots: false)).description
        #expect(described.contains("tls: 1 additional root source(s), system roots off"), "\(described)")
        #expect(!described.contains("BEGIN CERTIFICATE"))
        #expect(!Database.Configuration(url: "wss://localhost:1").description.contains("tls:"))
    }

    @Test("an AsyncHTTPClientTransport made with the TLS option serves a Database of its own")
    func transportWithTLS() async throws {
        try await withTLSServer { _, proxy in
            let transport = try AsyncHTTPClientTransport(tls: .trusting([.pem(try TLSFixture.caPEM)]))
            let db = try Database(url: "https://localhost:\(proxy.port)", transport: transport)
            #expect(try await db.execute("SELECT 42").rows[0].get(0, as: Int64.self) == 42)
            await db.close()
            try await transport.shutdown()
        }
    }
}
