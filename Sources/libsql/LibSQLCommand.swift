import ArgumentParser

/// The `libsql` command: a local libSQL server, a benchmark, and a demo of the SDK.
@main
struct LibSQLCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "libsql",
        abstract: "A local libSQL-compatible server and tools for the swift-libsql SDK.",
        subcommands: [DemoCommand.self, ServeCommand.self, BenchCommand.self, SyncCommand.self, ReplicaBenchCommand.self]
    )
}
