import ArgumentParser
import Foundation
import LibSQLClient
import RecordAdapter
import Replica

/// `libsql schema`: declarative schema management (`diff`, `apply`), like the seed's `turso:schema:*` tasks
/// but without sqlite3def.
struct SchemaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema", abstract: "Compare a schema file with a database and apply the difference.",
        subcommands: [Diff.self, Apply.self])

    /// The connection and diff options both subcommands take.
    struct Connection: ParsableArguments {
        @Option(help: "Database URL (libsql://, https://, http://, file:). Default: $TURSO_DATABASE_URL.")
        var url: String?

        @Option(help: "Auth token. Default: $TURSO_AUTH_TOKEN.")
        var authToken: String?

        @Option(help: ArgumentHelp(
            "A database.yml with the seed's keys (adapter, database or url, token, replica_path, sync_interval).",
            valueName: "file"))
        var config: String?

        @Option(help: "The environment to read from --config. Default: $LIBSQL_ENV, then development.")
        var environment: String?

        @Flag(help: "Allow dropping tables, columns, indexes, views and triggers (otherwise they are skipped).")
        var enableDrop = false

        @Option(help: ArgumentHelp(
            "Rename hint: table:OLD=NEW or column:TABLE.OLD=NEW (repeatable; same as @rename comments).",
            valueName: "hint"))
        var rename: [String] = []

        /// The database to diff (always the remote), and the replica to sync before and after, if one is configured.
        func open() async throws -> (database: Database, replica: EmbeddedReplica?) {
            let environment = ProcessInfo.processInfo.environment
            if let config {
                guard url == nil, authToken == nil else { throw ValidationError("--config cannot be combined with --url or --auth-token") }
                let name = self.environment ?? environment["LIBSQL_ENV"].flatMap { $0.isEmpty ? nil : $0 } ?? "development"
                let settings: ConnectionConfiguration
                do {
                    settings = try ConnectionConfiguration(yamlFile: config, environment: name)
                } catch {
                    throw ValidationError("\(error)")
                }
                let database = try Database(url: settings.database, authToken: settings.token)
                guard let replicaPath = settings.replicaPath else { return (database, nil) }
                do {
                    let replica = try await EmbeddedReplica.open(path: replicaPath, url: settings.database, authToken: settings.token)
                    return (database, replica)
                } catch {
                    await database.close()
                    throw error
                }
            }
            guard let url = url ?? environment["TURSO_DATABASE_URL"].flatMap({ $0.isEmpty ? nil : $0 }) else {
                throw ValidationError("No database: pass --url or --config, or set TURSO_DATABASE_URL")
            }
            return (try Database(url: url, authToken: authToken ?? environment["TURSO_AUTH_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }), nil)
        }

        func options() throws -> SchemaOptions {
            let renames = try rename.map { hint -> SchemaRename in
                let parts = hint.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { throw ValidationError("--rename \(hint): expected KIND:OLD=NEW") }
                if parts[0].hasPrefix("table:") {
                    return .table(from: String(parts[0].dropFirst(6)), to: parts[1])
                }
                if parts[0].hasPrefix("column:"), let dot = parts[0].lastIndex(of: ".") {
                    let table = String(parts[0][parts[0].index(parts[0].startIndex, offsetBy: 7)..<dot])
                    return .column(table: table, from: String(parts[0][parts[0].index(after: dot)...]), to: parts[1])
                }
                throw ValidationError("--rename \(hint): expected table:OLD=NEW or column:TABLE.OLD=NEW")
            }
            return SchemaOptions(enableDrop: enableDrop, renames: renames)
        }
    }

    static func read(_ path: String) throws -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ValidationError("Schema file not found or unreadable: \(path)")
        }
    }

    /// Runs `body` with a migrator on the remote (a configured replica is synced before and after), closing both;
    /// schema, client and replica errors become exit status 1 with the message.
    static func withMigrator(
        _ connection: Connection, _ body: (SchemaMigrator) async throws -> Void
    ) async throws {
        let options = try connection.options()
        let target: (database: Database, replica: EmbeddedReplica?)
        do {
            target = try await connection.open()
        } catch let error as ReplicaError {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
        var synchronize: (@Sendable () async throws -> Void)?
        if let replica = target.replica {
            synchronize = { _ = try await replica.sync() }
        }
        let migrator = SchemaMigrator(database: target.database, options: options, synchronize: synchronize)
        func close() async {
            await target.replica?.close()
            await target.database.close()
        }
        do {
            try await body(migrator)
            await close()
        } catch let error as SchemaError {
            await close()
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        } catch let error as LibSQLError {
            await close()
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        } catch let error as ReplicaError {
            await close()
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        } catch {
            await close()
            throw error
        }
    }

    static func printSummary(_ plan: SchemaPlan, full: Bool) {
        for warning in plan.warnings { print("    warning: \(warning)") }
        for problem in plan.problems { print("    data problem: \(problem)") }
        if plan.isEmpty {
            print("    Already up to date.")
        } else {
            print("    \(plan.steps.count) statement(s) to apply:")
            if full {
                print(plan.steps.map { "\($0.displaySQL);" }.joined(separator: "\n"))
            } else {
                for step in plan.steps { print("      " + (step.displaySQL.split(separator: "\n").first.map(String.init) ?? "")) }
            }
        }
        for step in plan.skipped {
            print("    -- Skipped: \(step.sql.split(separator: "\n").first.map(String.init) ?? "") (needs --enable-drop)")
        }
    }

    /// `libsql schema diff FILE`: the dry run.
    struct Diff: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the statements that would bring the database to FILE (changes nothing).")

        @Argument(help: "The desired schema (.sql with CREATE statements). Not needed with --export.")
        var file: String?

        @Flag(help: "Exit with status 2 when changes are pending (for CI).")
        var check = false

        @Flag(help: "Print the current schema as SQL instead.")
        var export = false

        @OptionGroup var connection: Connection

        func run() async throws {
            if export {
                try await withMigrator(connection) { migrator in
                    let sql = try await migrator.currentSchemaSQL()
                    print(sql.isEmpty ? "-- No table exists --" : sql, terminator: "")
                }
                return
            }
            guard let file else { throw ValidationError("Missing the schema FILE") }
            let desired = try read(file)
            var pending = false
            try await withMigrator(connection) { migrator in
                print("==> [1/2] Pulling latest schema from remote...")
                print("    Done.")
                print("==> [2/2] Computing schema diff...")
                let plan = try await migrator.plan(for: desired)
                printSummary(plan, full: true)
                pending = !plan.isEmpty
                if !plan.problems.isEmpty { throw SchemaError(kind: .dataViolation, message: "see the data problems above", problems: plan.problems) }
            }
            if check && pending { throw ExitCode(2) }
        }
    }

    /// `libsql schema apply FILE`: the seed's four steps, atomically.
    struct Apply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply the difference between FILE and the database in one atomic batch.")

        @Argument(help: "The desired schema (.sql with CREATE statements).")
        var file: String

        @OptionGroup var connection: Connection

        func run() async throws {
            let desired = try read(file)
            try await withMigrator(connection) { migrator in
                let plan = try await migrator.apply(desired) { progress in
                    switch progress {
                    case .pulling: print("==> [1/4] Pulling latest schema from remote...")
                    case .computing: print("==> [2/4] Computing schema diff...")
                    case .computed(let plan): printSummary(plan, full: false)
                    case .applying: print("==> [3/4] Applying schema to remote...")
                    case .confirming: print("==> [4/4] Pulling to confirm...")
                    case .done: print("    Done.")
                    }
                }
                if !plan.isEmpty { print("==> Schema applied successfully!") }
            }
        }
    }
}
