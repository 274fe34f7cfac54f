import Foundation
import Testing

/// Runs `libsql sync` and returns its exit status (or the signal that killed it) and its standard error.
func runSyncProcess(
    path: String, url: String, arguments: [String], environment: [String: String]? = nil
) async throws -> (status: Int32, errors: String) {
    let binary = try #require(
        Bundle.main.executableURL?.deletingLastPathComponent().appendingPathComponent("libsql"))
    try #require(FileManager.default.isExecutableFile(atPath: binary.path), "build the package first")
    let process = Process()
    process.executableURL = binary
    process.arguments = ["sync", "--replica", path, url] + arguments
    if let environment { process.environment = environment }
    let errors = FileManager.default.temporaryDirectory.appendingPathComponent("sync-\(UUID().uuidString).err")
    _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: errors) }
    process.standardOutput = FileHandle.nullDevice
    process.standardError = try FileHandle(forWritingTo: errors)
    try process.run()
    let deadline = ContinuousClock.now + .seconds(120)
    while process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
    if process.isRunning { process.terminate() }
    process.waitUntilExit()
    let text = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
    return (process.terminationStatus, text)
}
