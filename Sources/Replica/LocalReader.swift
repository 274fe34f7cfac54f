import CSQLite
import Foundation
import LibSQLClient
import Logging
import SQLiteCore
import Synchronization

/// The replica's local side: the `Database` reads run on, and a connection that tells read-only statements from
/// writes. Both move to the new file when the replica is rebuilt.
final class LocalReader: Sendable {
    let path: String
    private let busyTimeout: Duration
    private let state: Mutex<(database: Database, classifier: SQLiteConnection, readOnly: [String: Bool])>

    init(path: String, busyTimeout: Duration) throws {
        self.path = path
        self.busyTimeout = busyTimeout
        state = Mutex((try Self.openDatabase(path, busyTimeout), try Self.openClassifier(path, busyTimeout), [:]))
    }

    var database: Database { state.withLock { $0.database } }

    /// Whether SQLite compiles `sql` on the replica as one statement that does not write. A statement that does
    /// not compile locally (a table the replica does not have yet, a syntax error) is not: the primary answers it.
    func isReadOnly(_ sql: String) -> Bool {
        state.withLock { state in
            if let known = state.readOnly[sql] { return known }
            guard let (statement, tail) = try? state.classifier.prepare(sql), let statement else { return false }
            let readOnly = statement.isReadOnly && !Self.isTransactionControl(sql)
                && (tail.allSatisfy { $0.isWhitespace || $0 == ";" })
            if state.readOnly.count > 512 { state.readOnly.removeAll() }
            state.readOnly[sql] = readOnly
            return readOnly
        }
    }

    /// Moves to a new database file at the same path.
    func reopen() async {
        guard let database = try? Self.openDatabase(path, busyTimeout), let classifier = try? Self.openClassifier(path, busyTimeout)
        else { return }
        let old = state.withLock { state in
            defer { state = (database, classifier, [:]) }
            return state
        }
        old.classifier.close()
        await old.database.close()
    }

    func close() async {
        let current = state.withLock { $0 }
        current.classifier.close()
        await current.database.close()
    }

    /// Transaction control, and pragmas that set something, never run on the replica.
    private static func isTransactionControl(_ sql: String) -> Bool {
        let word = sql.drop { $0.isWhitespace }.prefix { $0.isLetter }.uppercased()
        if word == "PRAGMA" { return sql.contains("=") }
        return ["BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE", "ATTACH", "DETACH", "VACUUM"].contains(word)
    }

    /// Read-only, journal mode untouched: nothing but the applier ever writes the replica file.
    private static func openDatabase(_ path: String, _ busyTimeout: Duration) throws -> Database {
        try Database(
            readOnlyLocalPath: path, busyTimeout: busyTimeout,
            logger: Logger(label: "Replica", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    private static func openClassifier(_ path: String, _ busyTimeout: Duration) throws -> SQLiteConnection {
        do {
            let connection = try SQLiteConnection(path: path, mode: .readOnly, create: false)
            connection.setBusyTimeout(busyTimeout)
            return connection
        } catch {
            throw ReplicaError(.localFileError, "Could not open the replica file: \(error.message)")
        }
    }
}
