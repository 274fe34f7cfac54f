import Crypto
import Foundation
@testable import LibSQLServer

/// What the `server-auth` fuzz target (`Fuzz/run.sh`) does with one input: the Authorization header path
/// (static token, JWT parsing and verification, claims), the key-file parser, and the baton codec. Also
/// compiled into the fuzz binary, so a saved crash input replays here through the same code.
///
/// Properties: nothing traps; a JWT verifies only when signed by the configured key; a baton decodes only
/// when it is exactly one the codec minted, and then to what was minted.
enum AuthFuzzEntries {
    static var signingKey: Curve25519.Signing.PrivateKey {
        // 32 bytes are always a valid Ed25519 seed.
        try! Curve25519.Signing.PrivateKey(rawRepresentation: Data(repeating: 7, count: 32))
    }
    static let authenticator = Authenticator(
        token: "fuzz-static-token",
        keys: [try! JWTPublicKey(rawRepresentation: signingKey.publicKey.rawRepresentation)])
    static let batons = BatonCodec(keyBytes: [UInt8](repeating: 1, count: 32))

    static func run(_ data: Data) {
        let text = String(decoding: data, as: UTF8.self)
        _ = try? authenticator.authenticate(header: text)
        _ = try? authenticator.authenticate(header: "Bearer " + text)
        _ = try? JWTPublicKey.parse(text)
        signedJWT(data)
        baton(data)
    }

    /// Header and claims split at the first zero byte, signed with the configured key: the claims parser is
    /// reached. The same token with its signature damaged must be refused.
    private static func signedJWT(_ data: Data) {
        let split = data.firstIndex(of: 0) ?? data.endIndex
        let header = data[data.startIndex..<split]
        let claims = split < data.endIndex ? data[data.index(after: split)...] : Data()
        let signingInput = base64URL(header) + "." + base64URL(claims)
        guard let signature = try? signingKey.signature(for: Data(signingInput.utf8)) else { return }
        _ = try? authenticator.authenticate(header: "Bearer " + signingInput + "." + base64URL(signature))
        var damaged = Data(signature)
        damaged[damaged.startIndex] ^= 0x01
        if (try? authenticator.authenticate(header: "Bearer " + signingInput + "." + base64URL(damaged))) != nil {
            fatalError("a JWT with a damaged signature was accepted")
        }
    }

    /// A baton minted from the first 16 bytes decodes to them; with one character changed it is refused.
    private static func baton(_ data: Data) {
        if let decoded = batons.decode(String(decoding: data, as: UTF8.self)),
           batons.encode(streamID: decoded.streamID, sequence: decoded.sequence) != String(decoding: data, as: UTF8.self) {
            fatalError("a baton the codec did not mint was accepted")
        }
        guard data.count >= 17 else { return }
        let bytes = [UInt8](data)
        let streamID = bytes[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let sequence = bytes[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let minted = batons.encode(streamID: streamID, sequence: sequence)
        guard batons.decode(minted) == BatonCodec.Decoded(streamID: streamID, sequence: sequence) else {
            fatalError("a minted baton did not decode to what it was minted from")
        }
        var characters = Array(minted)
        let position = Int(bytes[16]) % characters.count
        characters[position] = characters[position] == "A" ? "B" : "A"
        if batons.decode(String(characters)) != nil { fatalError("a changed baton was accepted") }
    }

    private static func base64URL(_ bytes: some DataProtocol) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
