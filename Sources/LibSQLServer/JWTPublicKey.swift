import Crypto
import Foundation

/// An Ed25519 public key that verifies EdDSA-signed JWTs.
public struct JWTPublicKey: Sendable {
    private let rawKey: [UInt8]
    var key: Curve25519.Signing.PublicKey { try! Curve25519.Signing.PublicKey(rawRepresentation: rawKey) }

    /// Creates a key from its 32 raw bytes.
    public init(rawRepresentation: some ContiguousBytes) throws {
        let key = try Curve25519.Signing.PublicKey(rawRepresentation: rawRepresentation)
        rawKey = [UInt8](key.rawRepresentation)
    }

    /// Reads the keys of a key file in the formats sqld's `--auth-jwt-key-file` accepts: PEM
    /// `PUBLIC KEY` blocks (SubjectPublicKeyInfo) or raw 32-byte keys in base64 (URL-safe or standard,
    /// padded or not), one per line.
    public static func parse(_ text: String) throws(JWTKeyError) -> [JWTPublicKey] {
        var keys: [JWTPublicKey] = []
        var pemBody: String?
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("-----BEGIN") {
                guard line.contains("PUBLIC KEY") else { throw JWTKeyError("Only PEM PUBLIC KEY blocks are supported") }
                pemBody = ""
            } else if line.hasPrefix("-----END") {
                guard let body = pemBody, let der = decodeBase64(body) else { throw JWTKeyError("Invalid PEM block") }
                keys.append(try fromSubjectPublicKeyInfo(der))
                pemBody = nil
            } else if pemBody != nil {
                pemBody! += line
            } else {
                guard let raw = decodeBase64(line), raw.count == 32 else {
                    throw JWTKeyError("A key line must hold 32 bytes in base64")
                }
                do { keys.append(try JWTPublicKey(rawRepresentation: raw)) } catch {
                    throw JWTKeyError("Invalid Ed25519 public key")
                }
            }
        }
        guard pemBody == nil else { throw JWTKeyError("Unterminated PEM block") }
        guard !keys.isEmpty else { throw JWTKeyError("The key file holds no key") }
        return keys
    }

    /// Reads a key file (see ``parse(_:)``).
    public static func load(contentsOfFile path: String) throws -> [JWTPublicKey] {
        try parse(String(contentsOfFile: path, encoding: .utf8))
    }

    /// The DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410), followed by the 32 key bytes.
    private static let spkiPrefix: [UInt8] = [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00]

    private static func fromSubjectPublicKeyInfo(_ der: Data) throws(JWTKeyError) -> JWTPublicKey {
        let bytes = [UInt8](der)
        guard bytes.count == spkiPrefix.count + 32, Array(bytes.prefix(spkiPrefix.count)) == spkiPrefix else {
            throw JWTKeyError("The PEM block is not an Ed25519 public key")
        }
        do { return try JWTPublicKey(rawRepresentation: bytes.suffix(32)) } catch {
            throw JWTKeyError("Invalid Ed25519 public key")
        }
    }

    static func decodeBase64(_ text: String) -> Data? {
        var normalized = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while normalized.hasSuffix("=") { normalized.removeLast() }
        switch normalized.utf8.count % 4 {
        case 1: return nil
        case 2: normalized += "=="
        case 3: normalized += "="
        default: break
        }
        return Data(base64Encoded: normalized)
    }
}

/// A JWT key file could not be read.
public struct JWTKeyError: Error, Sendable, CustomStringConvertible {
    /// What is wrong with the key file.
    public var description: String
    init(_ description: String) { self.description = description }
}
