import Foundation
import LibSQLClient
import LibSQLServer
import TLSProxy
import Testing
@testable import Replica

/// A replica over `https:` against a real TLS peer: ``TLSProxy`` terminates TLS with the test CA's certificates
/// in front of our server on loopback, so bootstrap, pulls and remote writes all cross a TLS connection.
@Suite("Replica over TLS")
struct ReplicaTLSTests {
    static let token = "replica-tls-secret-token-5c1e"

    /// Our server (replication on, token auth) behind a TLS proxy presenting `certificate`.
    func withTLSPrimary<T: Sendable>(
        certificate: String = "server", _ body: (String, TLSProxy, Database) async throws -> T
    ) async throws -> T {
        try await withTemporaryDirectory { directory in
            try await withReplicationServer(directory: directory, authToken: Self.token) { server, primary in
                let proxy = try await TLSProxy.start(upstreamPort: server.port, certificate: certificate)
                do {
                    let value = try await body(directory, proxy, primary)
                    await proxy.stop()
                    return value
                } catch {
                    await proxy.stop()
                    throw error
                }
            }
        }
    }

    @Test("with the test CA trusted, a replica bootstraps, pulls and writes through the remote over TLS")
    func trustedRoundTrip() async throws {
        try await withTLSPrimary { directory, proxy, primary in
            try await primary.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)")
            try await primary.execute("INSERT INTO t(v) VALUES ('before')")
            let options = EmbeddedReplica.Options(tls: .trusting([.pemFile(try TLSFixture.path("ca.pem"))], systemRoots: false))
            let replica = try await EmbeddedReplica.open(
                path: directory + "/replica.db", url: "https://localhost:\(proxy.port)", authToken: Self.token,
                options: options)
            #expect(try await replica.execute("SELECT v FROM t").rows.map { try $0.get(0, as: String.self) } == ["before"])

            try await primary.execute("INSERT INTO t(v) VALUES ('pulled')")
            let result = try await replica.sync()
            #expect(result.framesApplied > 0)
            try await replica.execute("INSERT INTO t(v) VALUES (?)", ["written through the replica"])
            let rows = try await replica.execute("SELECT v FROM t ORDER BY id").rows.map { try $0.get(0, as: String.self) }
            #expect(rows == ["before", "pulled", "written through the replica"], "read-your-writes over TLS")
            #expect(try dump(replica.path) == (try await remoteDump(primary)))
            #expect(proxy.completedHandshakes >= 1)
            await replica.close()
        }
    }

    @Test("an untrusted certificate fails the open with tlsError at once (not retried), without the token")
    func untrustedCertificate() async throws {
        try await withTLSPrimary { directory, proxy, _ in
            let path = directory + "/replica.db"
            let transport = try AsyncHTTPClientTransport(connectTimeout: .seconds(2), tls: .system)
            let started = ContinuousClock.now
            let error = await openError(path: path, url: "https://localhost:\(proxy.port)",
                                        options: EmbeddedReplica.Options(transport: transport))
            let elapsed = ContinuousClock.now - started
            try await transport.shutdown()
            #expect(error?.code == .tlsError, "\(error.map { "\($0)" } ?? "no error")")
            #expect(error?.message.lowercased().contains("certificate") == true, "\(error?.message ?? "")")
            #expect(error.map { !"\($0)".contains(Self.token) } == true)
            // Retried like a connection failure it would take six connect timeouts and the backoff (over 15 s).
            #expect(elapsed < .seconds(9), "\(elapsed)")
            #expect(!LocalFiles.exists(path), "nothing was bootstrapped")

            // The failed open released the path: the same replica opens once the CA is trusted.
            let replica = try await EmbeddedReplica.open(
                path: path, url: "https://localhost:\(proxy.port)", authToken: Self.token,
                options: EmbeddedReplica.Options(tls: .trusting([.pem(try TLSFixture.caPEM)])))
            try await replica.sync()
            await replica.close()
        }
    }

    @Test("a certificate for another host name fails with tlsError even from a trusted CA")
    func hostnameMismatch() async throws {
        try await withTLSPrimary(certificate: "wrong-host") { directory, proxy, _ in
            let error = await openError(
                path: directory + "/replica.db", url: "https://localhost:\(proxy.port)",
                options: EmbeddedReplica.Options(tls: .trusting([.pem(try TLSFixture.caPEM)], systemRoots: false)))
            #expect(error?.code == .tlsError, "\(error.map { "\($0)" } ?? "no error")")
            #expect(error?.message.contains("host name") == true, "\(error?.message ?? "")")
        }
    }

    @Test("trust roots that hold no certificate fail the open with tlsError before any request")
    func badTrustRoots() async throws {
        try await withTLSPrimary { directory, proxy, _ in
            let path = directory + "/replica.db"
            let error = await openError(
                path: path, url: "https://localhost:\(proxy.port)",
                options: EmbeddedReplica.Options(tls: .trusting([.pem("not a certificate")])))
            #expect(error?.code == .tlsError, "\(error.map { "\($0)" } ?? "no error")")
            #expect(proxy.acceptedConnections == 0)
            #expect(!LocalFiles.exists(path + "-sync"), "no metadata was written")
        }
    }

    /// The ``ReplicaError`` that opening throws, recording an issue when it throws anything else or nothing.
    func openError(path: String, url: String, options: EmbeddedReplica.Options) async -> ReplicaError? {
        do {
            let replica = try await EmbeddedReplica.open(path: path, url: url, authToken: Self.token, options: options)
            await replica.close()
            Issue.record("the open succeeded")
            return nil
        } catch let error as ReplicaError {
            return error
        } catch {
            Issue.record("not a ReplicaError: \(error)")
            return nil
        }
    }
}
