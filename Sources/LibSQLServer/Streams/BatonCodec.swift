import Crypto
import Foundation

/// Mints and checks batons like sqld: base64 of stream id ‖ sequence ‖ HMAC-SHA256 of both under a
/// per-process random key, so batons cannot be forged and die with the process.
struct BatonCodec: Sendable {
    struct Decoded: Sendable, Equatable {
        var streamID: UInt64
        var sequence: UInt64
    }

    private let keyBytes: [UInt8]
    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    init(keyBytes: [UInt8] = (0..<32).map { _ in UInt8.random(in: .min ... .max) }) {
        self.keyBytes = keyBytes
    }

    func encode(streamID: UInt64, sequence: UInt64) -> String {
        var payload = [UInt8]()
        payload.reserveCapacity(48)
        withUnsafeBytes(of: streamID.bigEndian) { payload.append(contentsOf: $0) }
        withUnsafeBytes(of: sequence.bigEndian) { payload.append(contentsOf: $0) }
        payload.append(contentsOf: HMAC<SHA256>.authenticationCode(for: payload, using: key))
        var text = Data(payload).base64EncodedString()
        while text.hasSuffix("=") { text.removeLast() }
        return text
    }

    /// The stream id and sequence of a genuine baton, or `nil` for anything else.
    func decode(_ baton: String) -> Decoded? {
        guard baton.utf8.count == 64, let data = JWTPublicKey.decodeBase64(baton), data.count == 48 else { return nil }
        let bytes = [UInt8](data)
        guard HMAC<SHA256>.isValidAuthenticationCode(bytes[16...], authenticating: bytes[..<16], using: key) else {
            return nil
        }
        let streamID = bytes[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let sequence = bytes[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return Decoded(streamID: streamID, sequence: sequence)
    }
}
