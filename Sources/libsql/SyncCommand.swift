import ArgumentParser
import Foundation
import Logging
import Replica

/// `libsql sync --replica PATH URL`: bootstraps the replica if needed, syncs it once, and prints what happened.
struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync", abstract: "Sync an embedded replica file once from a remote libSQL database.")

    @Option(help: "The replica file (created and bootstrapped when missing).")
    var replica: String

    @Argument(help: "The remote database URL (libsql://, https://, http://).")
    var url: String

    @Option(help: "Auth token (default: $TURSO_AUTH_TOKEN).")
    var authToken: String?

    @Option(name: .customLong("ca-file"), help: "Also trust the CA certificates of this PEM file over https: (repeatable).")
    var caFiles: [String] = []

    @Option(help: "Give up after this many seconds.")
    var timeout: Double = 60

    @Flag(help: "Log the sync's steps to standard error.")
    var verbose = false

    /// Crash tests: kill the process with SIGKILL right after this apply step.
    @Option(help: .hidden)
    var crashAfter: String?

    /// Memory tests: print the process's peak resident set size (Linux) to standard error at the end.
    @Flag(help: .hidden)
    var reportPeakMemory = false

    func run() async throws {
        CrashInjection.crash(after: crashAfter)
        let level: Logger.Level = verbose ? .debug : .warning
        let logger = Logger(label: "libsql.sync", factory: { ConsoleLogHandler(label: $0, logLevel: level) })
        let token = authToken ?? ProcessInfo.processInfo.environment["TURSO_AUTH_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        var options = EmbeddedReplica.Options()
        options.syncTimeout = .milliseconds(Int64(timeout * 1000))
        if !caFiles.isEmpty { options.tls = .trusting(caFiles.map { .pemFile($0) }) }
        let replica: EmbeddedReplica
        do {
            replica = try await EmbeddedReplica.open(path: self.replica, url: url, authToken: token, options: options,
                                                     logger: logger)
        } catch {
            FileHandle.standardError.write(Data("libsql sync: could not open the replica: \(error)\n".utf8))
            throw ExitCode.failure
        }
        do {
            let result = try await replica.sync()
            print("synced \(self.replica): \(result.framesApplied) frames in \(result.transactionsApplied) transactions, "
                + "generation \(result.generation) frame \(result.frame), \(result.bytesPulled) bytes"
                + (result.rebuilt ? ", rebuilt from an export" : "") + " in \(result.duration)")
        } catch {
            await replica.close()
            FileHandle.standardError.write(Data("libsql sync: the sync failed: \(error)\n".utf8))
            throw ExitCode.failure
        }
        await replica.close()
        if reportPeakMemory {
            // The process's own high-water mark since exec (ru_maxrss would include the parent's before exec).
            let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
            let peak = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }
                .flatMap { Int($0.dropFirst(6).filter(\.isNumber)) }
            FileHandle.standardError.write(Data("peak-rss-kb \(peak.map(String.init) ?? "unknown")\n".utf8))
        }
    }
}
