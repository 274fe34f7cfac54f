import Fixtures
import Foundation
import Testing
@testable import LibSQLServer

/// Replays what the `server-auth` fuzz target (`Fuzz/run.sh`) saved, and hand-made headers, through the same
/// entry function; checks that the entry reaches the paths it claims to.
@Suite struct AuthFuzzRegressionTests {
    @Test("saved server-auth inputs and crafted headers never trap, forge a JWT or a baton")
    func replay() throws {
        var inputs = try Fixtures.fuzzInputs("server-auth").map(\.data)
        inputs += ["Bearer fuzz-static-token", "bearer", "Bearer a.b.c", "Bearer ..", String(repeating: "A", count: 64)]
            .map { Data($0.utf8) }
        inputs.append(Data(#"{"alg":"EdDSA"}"#.utf8) + Data([0]) + Data(#"{"a":"ro","exp":4102444800}"#.utf8))
        inputs.append(Data((0..<40).map { UInt8($0) }))
        for input in inputs { AuthFuzzEntries.run(input) }
    }

    @Test("the entry's key verifies what it signs: a signed read-only JWT grants read-only access")
    func entryReachesTheClaims() throws {
        let header = Data(#"{"alg":"EdDSA"}"#.utf8), claims = Data(#"{"a":"ro"}"#.utf8)
        func base64URL(_ data: Data) -> String {
            data.base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        let input = base64URL(header) + "." + base64URL(claims)
        let signature = try AuthFuzzEntries.signingKey.signature(for: Data(input.utf8))
        let access = try AuthFuzzEntries.authenticator.authenticate(header: "Bearer \(input).\(base64URL(signature))")
        #expect(access == .readOnly)
    }
}
