import Foundation

/// `libsql serve` (this executable) run as a child process on an ephemeral port, for `bench --soak --spawn`.
final class SpawnedServer {
    let process = Process()
    let url: String
    var pid: Int32 { process.processIdentifier }

    init(databasePath: String) throws {
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["serve", "--db", databasePath, "--port", "0", "--log-level", "error"]
        process.standardOutput = output
        try process.run()
        var text = ""
        while !text.contains("\n") {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        guard let range = text.range(of: "listening on "),
              let found = text[range.upperBound...].split(separator: " ").first
        else {
            process.terminate()
            throw SpawnError(message: "libsql serve did not report its URL: \(text.prefix(200))")
        }
        url = String(found)
    }

    /// Sends SIGTERM and waits for the server's clean shutdown.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    struct SpawnError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }
}
