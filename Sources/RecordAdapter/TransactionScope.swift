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
