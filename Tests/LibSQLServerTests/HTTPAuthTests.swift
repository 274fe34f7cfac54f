import Crypto
import Foundation
import Hrana
@testable import LibSQLServer
import Testing

/// Signs JWTs by hand: base64url(header).base64url(claims).base64url(signature).
struct JWTSigner {
    let privateKey = Curve25519.Signing.PrivateKey()

    var publicKey: JWTPublicKey { get throws { try JWTPublicKey(rawRepresentation: privateKey.publicKey.rawRepresentation) } }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    func token(claims: [String: Any], algorithm: String = "EdDSA") throws -> String {
        let header = Self.base64URL(try JSONSerialization.data(withJSONObject: ["alg": algorithm, "typ": "JWT"]))
        let payload = Self.base64URL(try JSONSerialization.data(withJSONObject: claims))
        let signature = try privateKey.signature(for: Data("\(header).\(payload)".utf8))
        return "\(header).\(payload).\(Self.base64URL(signature))"
    }
}

@Suite("Authentication")
struct HTTPAuthTests {
    private let select = [StreamRequest.execute(Stmt(sql: "SELECT 1")), .close]

    @Test("a static token is required on Hrana endpoints but not on probes (checklists 1, 45)")
    func staticToken() async throws {
        try await ServerHarness.withServer(configure: { $0.authToken = "s3cret" }) { harness in
            let missing = try await harness.rawPipeline(select)
            #expect(missing.status == 401)
            #expect(missing.contentType == "application/json")
            let error = try #require(try missing.json()["error"] as? String)
            #expect(error.hasPrefix("Unauthorized: "))
            #expect(!error.contains("s3cret"))
            let wrong = try await harness.rawPipeline(select, headers: [("Authorization", "Bearer s3cre")])
            #expect(wrong.status == 401)
            let basic = try await harness.rawPipeline(select, headers: [("Authorization", "Basic s3cret")])
            #expect(basic.status == 401)
            let right = try await harness.rawPipeline(select, headers: [("Authorization", "Bearer s3cret")])
            #expect(right.status == 200)
            let lowercase = try await harness.rawPipeline(select, headers: [("Authorization", "bearer s3cret")])
            #expect(lowercase.status == 200)
            let cursor = try await harness.post("/v3/cursor", json: #"{"baton":null,"batch":{"steps":[]}}"#)
            #expect(cursor.status == 401)
            for path in ["/v2", "/v3", "/health"] {
                #expect(try await harness.request(.GET, path).status == 200, "\(path)")
            }
        }
    }

    @Test("Ed25519 JWTs: signature, exp, nbf and algorithm are checked")
    func jwt() async throws {
        let signer = JWTSigner()
        let stranger = JWTSigner()
        let now = Date().timeIntervalSince1970
        try await ServerHarness.withServer(configure: { $0.jwtPublicKeys = [try! signer.publicKey] }) { harness in
            func status(_ token: String) async throws -> Int {
                try await harness.rawPipeline(select, headers: [("Authorization", "Bearer \(token)")]).status
            }
            #expect(try await status(try signer.token(claims: [:])) == 200)
            #expect(try await status(try signer.token(claims: ["exp": now + 60, "a": "rw"])) == 200)
            #expect(try await status(try signer.token(claims: ["exp": now - 60])) == 401)
            #expect(try await status(try signer.token(claims: ["nbf": now + 600])) == 401)
            #expect(try await status(try stranger.token(claims: [:])) == 401)
            #expect(try await status(try signer.token(claims: [:], algorithm: "none")) == 401)
            let valid = try signer.token(claims: [:])
            #expect(try await status(Self.tamperingWithSignature(valid)) == 401)
            #expect(try await status("not.a.jwt") == 401)
        }
    }

    /// Changes one character in the middle of the signature (the last characters may only carry padding bits).
    static func tamperingWithSignature(_ token: String) -> String {
        var characters = Array(token)
        let index = characters.count - 20
        characters[index] = characters[index] == "A" ? "B" : "A"
        return String(characters)
    }

    @Test("read-only JWTs may read but any write gets 403 for the whole pipeline")
    func readOnly() async throws {
        let signer = JWTSigner()
        try await ServerHarness.withServer(configure: { $0.jwtPublicKeys = [try! signer.publicKey] }) { harness in
            let rw = [("Authorization", "Bearer \(try signer.token(claims: ["a": "rw"]))")]
            let ro = [("Authorization", "Bearer \(try signer.token(claims: ["a": "ro"]))")]
            _ = try await harness.pipeline([.execute(Stmt(sql: "CREATE TABLE t(x)")), .close], headers: rw)
            let read = try await harness.pipeline([.execute(Stmt(sql: "SELECT count(*) FROM t")), .close], headers: ro)
            #expect(read.results.first?.okStmt != nil)
            let write = try await harness.rawPipeline(
                [.execute(Stmt(sql: "SELECT 1")), .execute(Stmt(sql: "INSERT INTO t VALUES (1)")), .close], headers: ro)
            #expect(write.status == 403)
            let message = try #require(try write.json()["error"] as? String)
            #expect(message.hasPrefix("Authorization forbidden: "))
            let stored = try await harness.rawPipeline(
                [.storeSQL(id: 1, sql: "DELETE FROM t"), .execute(Stmt(sqlID: 1))], headers: ro)
            #expect(stored.status == 403)
            let cursor = try await harness.request(
                .POST, "/v3/cursor",
                body: try HranaJSON.encode(CursorRequest(baton: nil, batch: Batch(steps: [BatchStep(stmt: Stmt(sql: "UPDATE t SET x = 1"))]))),
                headers: ro)
            #expect(cursor.status == 403)
            #expect(try await harness.pipeline([.execute(Stmt(sql: "SELECT count(*) FROM t")), .close], headers: rw)
                .results.first?.okStmt?.rows == [[.integer(0)]])
        }
    }

    @Test("key files: PEM SubjectPublicKeyInfo and raw base64")
    func keyFiles() throws {
        let key = Curve25519.Signing.PrivateKey().publicKey
        let raw = key.rawRepresentation
        let der = Data([0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00]) + raw
        let pem = "-----BEGIN PUBLIC KEY-----\n\(der.base64EncodedString())\n-----END PUBLIC KEY-----\n"
        #expect(try JWTPublicKey.parse(pem).count == 1)
        #expect(try JWTPublicKey.parse(JWTSigner.base64URL(raw)).count == 1)
        #expect(try JWTPublicKey.parse(raw.base64EncodedString() + "\n" + pem).count == 2)
        #expect(throws: JWTKeyError.self) { try JWTPublicKey.parse("") }
        #expect(throws: JWTKeyError.self) { try JWTPublicKey.parse("AAAA") }
        #expect(throws: JWTKeyError.self) { try JWTPublicKey.parse("-----BEGIN PUBLIC KEY-----\nAAAA\n") }
    }

    @Test("read/write classification of SQL text")
    func classification() {
        let reads = [
            "SELECT 1", "  select * from t", "-- c\nSELECT 1", "VALUES (1)", "EXPLAIN DELETE FROM t", "BEGIN",
            "COMMIT", "ROLLBACK", "BEGIN TRANSACTION READONLY", "WITH x AS (SELECT 1) SELECT * FROM x",
            "PRAGMA table_info(t)", "PRAGMA user_version", "SELECT 'DELETE FROM t'", "",
        ]
        let writes = [
            "INSERT INTO t VALUES (1)", "update t set x = 1", "DELETE FROM t", "CREATE TABLE x(a)", "DROP TABLE t",
            "ATTACH 'x.db' AS x", "PRAGMA user_version = 3", "PRAGMA journal_mode(delete)",
            "WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x", "SELECT 1; DELETE FROM t", "REPLACE INTO t VALUES (1)",
            "VACUUM",
        ]
        for sql in reads { #expect(!WriteClassifier.mayWrite(sql: sql), "\(sql)") }
        for sql in writes { #expect(WriteClassifier.mayWrite(sql: sql), "\(sql)") }
    }

    @Test("constant-time comparison")
    func constantTime() {
        #expect(Authenticator.constantTimeEqual(Array("abc".utf8), Array("abc".utf8)))
        #expect(!Authenticator.constantTimeEqual(Array("abc".utf8), Array("abd".utf8)))
        #expect(!Authenticator.constantTimeEqual(Array("abc".utf8), Array("abcd".utf8)))
        #expect(!Authenticator.constantTimeEqual([], Array("a".utf8)))
    }
}
