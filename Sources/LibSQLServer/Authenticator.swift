import Crypto
import Foundation

/// What an authenticated request may do.
enum Access: Sendable, Equatable {
    case readWrite
    case readOnly
}

/// Why a request was refused, with the HTTP status sqld uses.
struct AuthFailure: Error, Sendable {
    var status: Int
    var message: String

    static func unauthorized(_ reason: String) -> AuthFailure {
        AuthFailure(status: 401, message: "Unauthorized: Authentication failed: \(reason)")
    }

    static func forbidden(_ reason: String) -> AuthFailure {
        AuthFailure(status: 403, message: "Authorization forbidden: \(reason)")
    }
}

/// Checks `Authorization` headers against a static token and Ed25519 JWT keys, like sqld.
struct Authenticator: Sendable {
    let token: [UInt8]?
    let keys: [JWTPublicKey]

    init(token: String?, keys: [JWTPublicKey]) {
        self.token = token.map { Array($0.utf8) }
        self.keys = keys
    }

    var isEnabled: Bool { token != nil || !keys.isEmpty }

    /// Returns the access the header grants, or throws the failure to send back.
    func authenticate(header: String?, now: Date = Date()) throws(AuthFailure) -> Access {
        guard isEnabled else { return .readWrite }
        guard let header else { throw .unauthorized("the Authorization header is missing") }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2 else { throw .unauthorized("the Authorization header is malformed") }
        guard parts[0].lowercased() == "bearer" else { throw .unauthorized("unsupported authorization scheme") }
        let credential = parts[1].trimmingCharacters(in: .whitespaces)
        if let token, Self.constantTimeEqual(Array(credential.utf8), token) { return .readWrite }
        guard !keys.isEmpty else { throw .unauthorized("invalid token") }
        return try verifyJWT(credential, now: now)
    }

    private func verifyJWT(_ jwt: String, now: Date) throws(AuthFailure) -> Access {
        let segments = jwt.split(separator: ".", omittingEmptySubsequences: false)
        guard segments.count == 3,
              let headerData = JWTPublicKey.decodeBase64(String(segments[0])),
              let claimsData = JWTPublicKey.decodeBase64(String(segments[1])),
              let signature = JWTPublicKey.decodeBase64(String(segments[2]))
        else { throw .unauthorized("invalid JWT") }
        guard let header = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any],
              header["alg"] as? String == "EdDSA"
        else { throw .unauthorized("the JWT must be signed with EdDSA") }
        let signed = Data(jwt.utf8.prefix(segments[0].utf8.count + 1 + segments[1].utf8.count))
        guard keys.contains(where: { $0.key.isValidSignature(signature, for: signed) }) else {
            throw .unauthorized("invalid JWT signature")
        }
        guard let claims = try? JSONSerialization.jsonObject(with: claimsData) as? [String: Any] else {
            throw .unauthorized("invalid JWT claims")
        }
        let timestamp = now.timeIntervalSince1970
        if let exp = (claims["exp"] as? NSNumber)?.doubleValue, timestamp >= exp {
            throw .unauthorized("the JWT has expired")
        }
        if let nbf = (claims["nbf"] as? NSNumber)?.doubleValue, timestamp < nbf {
            throw .unauthorized("the JWT is not valid yet")
        }
        switch claims["a"] as? String {
        case nil, "rw": return .readWrite
        case "ro", "roa": return .readOnly
        default: throw .unauthorized("unknown access level in the JWT")
        }
    }

    static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        var difference: UInt8 = 0
        for index in 0..<max(lhs.count, rhs.count) {
            let left = index < lhs.count ? lhs[index] : 0
            let right = index < rhs.count ? rhs[index] : 0
            difference |= left ^ right
        }
        return difference == 0 && lhs.count == rhs.count
    }
}
