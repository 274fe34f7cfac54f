import Crypto
import FaultProxy
import Foundation
import Hrana
import LibSQLClient
import LibSQLServer
import LogCapture
import Logging
import Testing

/// Signs EdDSA JWTs for a server started with its public key.
struct TestJWTSigner {
    let privateKey = Curve25519.Signing.PrivateKey()

    var publicKey: JWTPublicKey { get throws { try JWTPublicKey(rawRepresentation: privateKey.publicKey.rawRepresentation) } }

    private static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    func token(_ claims: [String: Any]) throws -> String {
        let header = Self.base64URL(try JSONSerialization.data(withJSONObject: ["alg": "EdDSA", "typ": "JWT"]))
        let payload = Self.base64URL(try JSONSerialization.data(withJSONObject: claims))
        let signature = try privateKey.signature(for: Data("\(header).\(payload)".utf8))
        return "\(header).\(payload).\(Self.base64URL(signature))"
    }
}

/// ``Database/updateAuthToken(_:)`` against our server with JWT auth: a read-only token (`"a": "ro"`) and a
/// read-write one tell which token authenticated a request, since the server refuses writes under the first.
@Suite("Token rotation")
struct TokenRotationTests {
    /// A WebSocket configuration: subprotocol by encoding and version.
    struct Socket: Sendable, CustomTestStringConvertible {
        var encoding: Database.Configuration.Encoding
        var version: ProtocolVersion?
        var testDescription: String { "\(encoding.rawValue)\(version == .v2 ? " hrana2" : "")" }
        var subprotocol: String { version == .v2 ? "hrana2" : encoding == .json ? "hrana3" : "hrana3-protobuf" }
    }

    static let sockets = [
        Socket(encoding: .json, version: nil), Socket(encoding: .protobuf, version: nil), Socket(encoding: .json, version: .v2),
    ]

    struct Tokens {
        let signer = TestJWTSigner()
        let readOnly: String
        let readWrite: String
        let otherReadWrite: String
        /// Signed by a key the server does not know.
        let stranger: String
        let expired: String

        var all: [String] { [readOnly, readWrite, otherReadWrite, stranger, expired] }

        /// Whether a log line holds any token, or the signature (the secret part) of one.
        func appear(in lines: [String]) -> Bool {
            let secrets = all + all.compactMap { $0.split(separator: ".").last.map(String.init) }
            return lines.contains { line in secrets.contains { line.contains($0) } }
        }

        init() throws {
            let now = Date().timeIntervalSince1970
            readOnly = try signer.token(["a": "ro", "exp": now + 3600])
            readWrite = try signer.token(["a": "rw", "exp": now + 3600])
            otherReadWrite = try signer.token(["a": "rw", "exp": now + 7200, "sub": "second"])
            stranger = try TestJWTSigner().token(["a": "rw"])
            expired = try signer.token(["a": "rw", "exp": now - 60])
        }
    }

    /// Our server with the signer's key, behind a proxy that counts the client's connections.
    func withJWTServer(_ tokens: Tokens, _ body: (RunningServer, FaultProxy) async throws -> Void) async throws {
        let key = try tokens.signer.publicKey
        try await withServer(configure: { $0.jwtPublicKeys = [key] }) { server in
            let proxy = try FaultProxy(upstreamPort: server.port)
            defer { proxy.stop() }
            let setup = try Database(url: server.url.absoluteString, authToken: tokens.readWrite)
            try await setup.execute("CREATE TABLE t (x INTEGER)")
            await setup.close()
            try await body(server, proxy)
        }
    }

    static func isRefusedWrite(_ error: LibSQLError?) -> Bool {
        guard let error else { return false }
        return error.code == "FORBIDDEN" || error.code == .unauthorized || error.code.isAuth
    }

    @Test("over WebSocket a rotated token re-authenticates the open socket: the next request runs under it", arguments: sockets)
    func webSocketRotation(socket: Socket) async throws {
        let tokens = try Tokens()
        try await withJWTServer(tokens) { server, proxy in
            let db = try Database(configuration: .init(
                url: "ws://127.0.0.1:\(proxy.port)", authToken: tokens.readOnly, protocolVersion: socket.version,
                encoding: socket.encoding))
            #expect(try await db.execute("SELECT count(*) FROM t").rows[0].get(0, as: Int64.self) == 0)
            let refused = await expectLibSQLError { try await db.execute("INSERT INTO t VALUES (1)") }
            #expect(Self.isRefusedWrite(refused), "\(refused.map { "\($0)" } ?? "")")

            // Rotated: the very next request, on the same socket, is authenticated by the read-write token.
            db.updateAuthToken(tokens.readWrite)
            try await db.execute("INSERT INTO t VALUES (1)")
            // A transaction that spans a rotation carries on: its stream survives the new hello.
            try await db.transaction(.write) { tx in
                try await tx.execute("INSERT INTO t VALUES (2)")
                db.updateAuthToken(tokens.otherReadWrite)
                try await tx.execute("INSERT INTO t VALUES (3)")
            }
            var seen: [Int64] = []
            for try await row in db.query("SELECT x FROM t ORDER BY x") { seen.append(try row.get(0, as: Int64.self)) }
            #expect(seen == [1, 2, 3])

            // And back to read-only: writes are refused again, reads still work.
            db.updateAuthToken(tokens.readOnly)
            #expect(Self.isRefusedWrite(await expectLibSQLError { try await db.execute("INSERT INTO t VALUES (4)") }))
            #expect(try await db.execute("SELECT count(*) FROM t").rows[0].get(0, as: Int64.self) == 3)
            await db.close()

            #expect(proxy.acceptedConnections == 1, "every rotation re-authenticated the one socket")
            #expect(server.requestCount(path: "/ (WebSocket \(socket.subprotocol))") == 1)
        }
    }

    @Test("over WebSocket a refused rotated token fails with the typed auth error; a later good rotation recovers", arguments: sockets)
    func webSocketRefusedRotation(socket: Socket) async throws {
        let tokens = try Tokens()
        try await withJWTServer(tokens) { _, proxy in
            let handler = CapturingLogHandler()
            let db = try Database(configuration: .init(
                url: "ws://127.0.0.1:\(proxy.port)", authToken: tokens.readWrite, protocolVersion: socket.version,
                encoding: socket.encoding, logger: Logger(label: "test") { _ in handler }))
            try await db.execute("INSERT INTO t VALUES (1)")
            for bad in [tokens.stranger, tokens.expired] {
                db.updateAuthToken(bad)
                let error = await expectLibSQLError { try await db.execute("SELECT count(*) FROM t") }
                #expect(error?.code == .unauthorized, "\(error.map { "\($0)" } ?? "")")
                #expect(error.map { !String(describing: $0).contains(bad) } == true, "the token is not in the error")
                // The refused hello ended the socket; a new one with the same token is refused too.
                #expect(await expectLibSQLError { try await db.execute("SELECT 1") }?.code == .unauthorized)
            }
            db.updateAuthToken(tokens.readWrite)
            try await db.execute("INSERT INTO t VALUES (2)")
            #expect(try await db.execute("SELECT count(*) FROM t").rows[0].get(0, as: Int64.self) == 2)
            await db.close()
            // The first socket (ended by the first refused hello), one new socket per refused call after it
            // (three), and the recovered one.
            #expect(proxy.acceptedConnections == 5)
            let lines = handler.lines
            #expect(lines.contains { $0.contains("Re-authenticating") }, "the trace-level logger saw the rotations")
            #expect(!tokens.appear(in: lines), "no token in any log line")
        }
    }

    @Test("over HTTP the next request carries the rotated token; a refused one is UNAUTHORIZED, a good one recovers", arguments: [Database.Configuration.Encoding.json, .protobuf])
    func httpRotation(encoding: Database.Configuration.Encoding) async throws {
        let tokens = try Tokens()
        try await withJWTServer(tokens) { server, _ in
            let handler = CapturingLogHandler()
            let db = try Database(configuration: .init(
                url: server.url.absoluteString, authToken: tokens.readOnly, encoding: encoding,
                logger: Logger(label: "test") { _ in handler }))
            #expect(try await db.execute("SELECT count(*) FROM t").rows[0].get(0, as: Int64.self) == 0)
            let refusedWrite = await expectLibSQLError { try await db.execute("INSERT INTO t VALUES (1)") }
            #expect(Self.isRefusedWrite(refusedWrite), "\(refusedWrite.map { "\($0)" } ?? "")")

            db.updateAuthToken(tokens.readWrite)
            try await db.execute("INSERT INTO t VALUES (1)")
            try await db.transaction(.write) { tx in
                try await tx.execute("INSERT INTO t VALUES (2)")
                db.updateAuthToken(tokens.otherReadWrite)
                try await tx.execute("INSERT INTO t VALUES (3)")
            }

            for bad in [tokens.stranger, tokens.expired] {
                db.updateAuthToken(bad)
                let error = await expectLibSQLError { try await db.execute("SELECT 1") }
                #expect(error?.code == .unauthorized, "\(error.map { "\($0)" } ?? "")")
                #expect(error?.httpStatus == 401)
                #expect(error.map { !String(describing: $0).contains(bad) } == true, "the token is not in the error")
            }
            db.updateAuthToken(tokens.readWrite)
            #expect(try await db.execute("SELECT count(*) FROM t").rows[0].get(0, as: Int64.self) == 3)
            await db.close()
            #expect(!tokens.appear(in: handler.lines), "no token in any log line")
        }
    }

    @Test("updating the token of a local database changes nothing")
    func localIgnoresToken() async throws {
        try await withTemporaryDirectory { directory in
            let db = try Database(url: "file:" + directory.appendingPathComponent("local.db").path)
            db.updateAuthToken("anything")
            #expect(try await db.execute("SELECT 1").rows[0].get(0, as: Int64.self) == 1)
            await db.close()
        }
    }
}
