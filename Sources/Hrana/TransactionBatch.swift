/// How a transaction batch begins, with libsql-client-ts's names.
public enum TransactionMode: String, Sendable, Hashable, CaseIterable {
    /// `BEGIN IMMEDIATE`: takes the write lock up front.
    case write
    /// `BEGIN TRANSACTION READONLY`: libSQL's read-only transaction (servers on stock SQLite rewrite it).
    case read
    /// `BEGIN DEFERRED`: takes locks as statements need them.
    case deferred

    /// The statement that opens the transaction.
    public var beginSQL: String {
        switch self {
        case .write: "BEGIN IMMEDIATE"
        case .read: "BEGIN TRANSACTION READONLY"
        case .deferred: "BEGIN DEFERRED"
        }
    }
}

/// A batch built by ``BatchBuilder`` together with where the user's statements sit in it.
public struct TransactionBatch: Sendable, Hashable {
    /// The batch to send.
    public var batch: Batch
    /// The index of the `BEGIN` step, if the batch opens a transaction.
    public var beginStep: Int?
    /// The batch step index of each user statement, in the order given.
    public var statementSteps: [Int]
    /// The index of the `COMMIT` step, if the batch commits.
    public var commitStep: Int?
    /// The index of the `ROLLBACK` step, if the batch has one.
    public var rollbackStep: Int?

    /// Creates a description of a transaction batch.
    public init(batch: Batch, beginStep: Int?, statementSteps: [Int], commitStep: Int?, rollbackStep: Int?) {
        self.batch = batch
        self.beginStep = beginStep
        self.statementSteps = statementSteps
        self.commitStep = commitStep
        self.rollbackStep = rollbackStep
    }

    /// The user statements' results, or the first failure in the order libsql-client-ts reports them:
    /// `BEGIN`, then each statement (its error, or "not executed" when it was skipped), then `COMMIT`.
    public func results(from result: BatchResult) throws(TransactionBatchError) -> [StmtResult] {
        let stepCount = batch.steps.count
        guard result.stepResults.count == stepCount, result.stepErrors.count == stepCount else {
            throw TransactionBatchError(
                kind: .malformedResult, statementIndex: nil, error: nil,
                detail: "the batch has \(stepCount) steps but the result has \(result.stepResults.count) results "
                    + "and \(result.stepErrors.count) errors")
        }
        if let beginStep {
            if let error = result.stepErrors[beginStep] {
                throw TransactionBatchError(kind: .beginFailed, statementIndex: nil, error: error)
            }
            if result.stepResults[beginStep] == nil {
                throw TransactionBatchError(kind: .beginNotExecuted, statementIndex: nil, error: nil)
            }
        }
        var results: [StmtResult] = []
        results.reserveCapacity(statementSteps.count)
        for (index, step) in statementSteps.enumerated() {
            if let error = result.stepErrors[step] {
                throw TransactionBatchError(kind: .statementFailed, statementIndex: index, error: error)
            }
            guard let stepResult = result.stepResults[step] else {
                throw TransactionBatchError(kind: .statementNotExecuted, statementIndex: index, error: nil)
            }
            results.append(stepResult)
        }
        if let commitStep {
            if let error = result.stepErrors[commitStep] {
                throw TransactionBatchError(kind: .commitFailed, statementIndex: nil, error: error)
            }
            if result.stepResults[commitStep] == nil {
                throw TransactionBatchError(kind: .commitNotExecuted, statementIndex: nil, error: nil)
            }
        }
        return results
    }

    /// The index (among the user statements) of the first statement that failed, if any.
    public func failingStatementIndex(in result: BatchResult) -> Int? {
        statementSteps.firstIndex { $0 < result.stepErrors.count && result.stepErrors[$0] != nil }
    }
}

/// Why a transaction batch did not produce results for every statement.
public struct TransactionBatchError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What failed.
    public enum Kind: String, Sendable, Hashable {
        /// The `BEGIN` step failed; nothing ran.
        case beginFailed
        /// The `BEGIN` step did not run.
        case beginNotExecuted
        /// A user statement failed; the transaction was rolled back.
        case statementFailed
        /// A user statement was skipped, because the transaction had already ended (libsql-client-ts:
        /// `TRANSACTION_CLOSED`).
        case statementNotExecuted
        /// `COMMIT` failed; the transaction was rolled back.
        case commitFailed
        /// `COMMIT` did not run.
        case commitNotExecuted
        /// The result does not fit the batch (wrong number of steps).
        case malformedResult
    }

    /// What failed.
    public var kind: Kind
    /// The index of the user statement concerned, for statement failures.
    public var statementIndex: Int?
    /// The server's error, when a step failed.
    public var error: ProtocolError?
    /// Extra detail for ``Kind/malformedResult``.
    public var detail: String?

    /// Creates an error.
    public init(kind: Kind, statementIndex: Int?, error: ProtocolError?, detail: String? = nil) {
        self.kind = kind
        self.statementIndex = statementIndex
        self.error = error
        self.detail = detail
    }

    public var description: String {
        var text: String
        switch kind {
        case .beginFailed: text = "BEGIN failed"
        case .beginNotExecuted: text = "BEGIN was not executed"
        case .statementFailed: text = "statement \(statementIndex ?? -1) failed"
        case .statementNotExecuted:
            text = "statement \(statementIndex ?? -1) was not executed (the transaction was already closed)"
        case .commitFailed: text = "COMMIT failed"
        case .commitNotExecuted: text = "COMMIT was not executed"
        case .malformedResult: text = "malformed batch result"
        }
        if let error { text += ": \(error.message)" + (error.code.map { " (\($0))" } ?? "") }
        if let detail { text += ": \(detail)" }
        return text
    }
}

/// Builds the batches libsql-client-ts sends for transactions, step for step.
///
/// Every statement is chained on the success of the previous step (`ok(previous)`); on Hrana 3 each also
/// requires `not(is_autocommit)`, so nothing runs outside the transaction after SQLite rolled it back by
/// itself. Multiple conditions are combined with `and`, in that order.
public enum BatchBuilder {
    /// `BEGIN` (per `mode`), the statements, `COMMIT`, and `ROLLBACK` when `COMMIT` did not succeed.
    ///
    /// With `explicitDefaults` (the libsql-client-ts style) statements get `args: []`, `named_args: []` and
    /// `want_rows: true` where they leave them unset; control statements always carry every key with
    /// `want_rows: false`.
    public static func transaction(
        _ statements: [Stmt], mode: TransactionMode = .deferred, version: ProtocolVersion,
        explicitDefaults: Bool = true
    ) -> TransactionBatch {
        build(statements, mode: mode, version: version, explicitDefaults: explicitDefaults, disableForeignKeys: false)
    }

    /// libsql-client-ts's `migrate()`: ``transaction(_:mode:version:explicitDefaults:)`` between an
    /// unconditional `PRAGMA foreign_keys=off` first step and `PRAGMA foreign_keys=on` last step.
    public static func migration(
        _ statements: [Stmt], mode: TransactionMode = .deferred, version: ProtocolVersion,
        explicitDefaults: Bool = true
    ) -> TransactionBatch {
        build(statements, mode: mode, version: version, explicitDefaults: explicitDefaults, disableForeignKeys: true)
    }

    /// A batch for an interactive transaction on an open stream: optionally `BEGIN` (the first batch of the
    /// transaction), then the statements chained on `ok(previous)`, with `not(is_autocommit)` on Hrana 3.
    /// No `COMMIT` or `ROLLBACK`.
    public static func interactive(
        _ statements: [Stmt], begin mode: TransactionMode?, version: ProtocolVersion, explicitDefaults: Bool = true
    ) -> TransactionBatch {
        var steps: [BatchStep] = []
        var beginStep: Int?
        if let mode {
            beginStep = steps.count
            steps.append(BatchStep(stmt: control(mode.beginSQL)))
        }
        let statementSteps = appendChained(
            statements, to: &steps, after: beginStep, version: version, explicitDefaults: explicitDefaults)
        return TransactionBatch(
            batch: Batch(steps: steps), beginStep: beginStep, statementSteps: statementSteps, commitStep: nil,
            rollbackStep: nil)
    }

    private static func build(
        _ statements: [Stmt], mode: TransactionMode, version: ProtocolVersion, explicitDefaults: Bool,
        disableForeignKeys: Bool
    ) -> TransactionBatch {
        var steps: [BatchStep] = []
        if disableForeignKeys { steps.append(BatchStep(stmt: control("PRAGMA foreign_keys=off"))) }
        let beginStep = steps.count
        steps.append(BatchStep(stmt: control(mode.beginSQL)))
        let statementSteps = appendChained(
            statements, to: &steps, after: beginStep, version: version, explicitDefaults: explicitDefaults)
        let commitStep = steps.count
        steps.append(
            BatchStep(
                condition: chained(after: statementSteps.last ?? beginStep, version: version), stmt: control("COMMIT")))
        let rollbackStep = steps.count
        steps.append(BatchStep(condition: .not(.ok(step: UInt32(commitStep))), stmt: control("ROLLBACK")))
        if disableForeignKeys { steps.append(BatchStep(stmt: control("PRAGMA foreign_keys=on"))) }
        return TransactionBatch(
            batch: Batch(steps: steps), beginStep: beginStep, statementSteps: statementSteps, commitStep: commitStep,
            rollbackStep: rollbackStep)
    }

    private static func appendChained(
        _ statements: [Stmt], to steps: inout [BatchStep], after first: Int?, version: ProtocolVersion,
        explicitDefaults: Bool
    ) -> [Int] {
        var previous = first
        var indices: [Int] = []
        indices.reserveCapacity(statements.count)
        for statement in statements {
            var stmt = statement
            if explicitDefaults {
                stmt.args = stmt.args ?? []
                stmt.namedArgs = stmt.namedArgs ?? []
                stmt.wantRows = stmt.wantRows ?? true
            }
            indices.append(steps.count)
            steps.append(BatchStep(condition: chained(after: previous, version: version), stmt: stmt))
            previous = steps.count - 1
        }
        return indices
    }

    private static func chained(after previous: Int?, version: ProtocolVersion) -> BatchCondition? {
        var conditions: [BatchCondition] = []
        if let previous { conditions.append(.ok(step: UInt32(previous))) }
        if version >= .v3 { conditions.append(.not(.isAutocommit)) }
        switch conditions.count {
        case 0: return nil
        case 1: return conditions[0]
        default: return .and(conditions)
        }
    }

    private static func control(_ sql: String) -> Stmt {
        Stmt(sql: sql, args: [], namedArgs: [], wantRows: false)
    }
}
