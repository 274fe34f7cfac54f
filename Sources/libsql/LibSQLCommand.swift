import ArgumentParser

/// The `libsql` command: a local libSQL server, a benchmark, a demo of the SDK, and schema management.
@main
struct LibSQLCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "libsql",
        abstract: "A local libSQL-compatible server and tools for the swift-libsql SDK.",
        subcommands: [DemoCommand.self, ServeCommand.self, BenchCommand.self, SyncCommand.self, ReplicaBenchCommand.self, SchemaCommand.self]
    )
}
