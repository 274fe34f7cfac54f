import Foundation
import LibSQLClient
import Synchronization

/// The transaction a task is inside, found through a task-local so that models used in `transaction { }` run on it.
final class TransactionScope: Sendable {
    @TaskLocal static var current: TransactionScope?

    let owner: ObjectIdentifier
    let transaction: Transaction
    let depth: Int
    private let savepointCounter: Mutex<Int>
    private let callbacks = Mutex<[Callback]>([])
    /// Set by ``RecordConnection/committing(_:)``: the next write is sent together with `COMMIT`.
    private let commitsWithNextWrite = Mutex(false)
    private let committed = Mutex(false)

    /// Whether a write carried `COMMIT` (the transaction's work is durable whatever happens next).
    var hasCommitted: Bool { committed.withLock { $0 } }

    func markCommitted() { committed.withLock { $0 = true } }

    struct Callback: Sendable {
        let onCommit: @Sendable () async -> Void
        let onRollback: @Sendable () async -> Void
    }

    init(owner: ObjectIdentifier, transaction: Transaction, depth: Int = 0, counter: Int = 0) {
        self.owner = owner
        self.transaction = transaction
        self.depth = depth
        self.savepointCounter = Mutex(counter)
    }

    func nextSavepointName() -> String {
        savepointCounter.withLock { value in
            value += 1
            return "records_savepoint_\(depth + 1)_\(value)"
        }
    }

    func child() -> TransactionScope {
        TransactionScope(owner: owner, transaction: transaction, depth: depth + 1)
    }

    func commitWithNextWrite(_ enabled: Bool) {
        commitsWithNextWrite.withLock { $0 = enabled }
    }

    /// Whether `sql` is the write that must carry `COMMIT`; claims it (only one statement does).
    func claimsCommit(for sql: String) -> Bool {
        commitsWithNextWrite.withLock { pending in
            guard pending, Self.isWrite(sql) else { return false }
            pending = false
            return true
        }
    }

    static func isWrite(_ sql: String) -> Bool {
        let word = sql.utf8.drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\t") }
            .prefix { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0 & 0xDF) }
        return ["insert", "update", "delete", "replace"].contains(String(decoding: word, as: UTF8.self).lowercased())
    }

    func register(_ callback: Callback) {
        callbacks.withLock { $0.append(callback) }
    }

    /// Moves a released savepoint's callbacks to this scope: they run when the outer transaction ends.
    func adopt(_ child: TransactionScope) {
        let moved = child.takeCallbacks()
        callbacks.withLock { $0.append(contentsOf: moved) }
    }

    func takeCallbacks() -> [Callback] {
        callbacks.withLock { list in
            defer { list = [] }
            return list
        }
    }
}
