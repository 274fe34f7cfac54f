import LibSQLServer
import Testing

@Suite("Server configuration")
struct ConfigurationTests {
    @Test("a printed configuration never shows the auth token")
    func redactsToken() {
        let secret = "server-s3cret-token"
        let configuration = ServerConfiguration(databasePath: "x.db", port: 0, authToken: secret)
        for text in ["\(configuration)", String(reflecting: configuration)] {
            #expect(!text.contains(secret), "\(text)")
            #expect(text.contains("<redacted>"))
            #expect(text.contains("x.db"))
        }
    }
}
