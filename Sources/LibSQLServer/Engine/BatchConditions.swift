import Hrana

/// Validation and evaluation of batch step conditions, per the Hrana spec.
enum BatchConditions {
    /// Rejects references to the current or a later step, and `is_autocommit` before Hrana 3.
    static func validate(_ condition: BatchCondition, stepIndex: Int, version: ProtocolVersion) throws(StreamFailure) {
        switch condition {
        case .ok(let step), .error(let step):
            guard Int(step) < stepIndex else { throw .invalidConditionReference }
        case .not(let inner):
            try validate(inner, stepIndex: stepIndex, version: version)
        case .and(let conditions), .or(let conditions):
            for inner in conditions { try validate(inner, stepIndex: stepIndex, version: version) }
        case .isAutocommit:
            guard version >= .v3 else { throw .notSupported("The `is_autocommit` condition", version: version) }
        }
    }

    /// Evaluates a validated condition: `error(j)` of a skipped step is false; `and([])` is true, `or([])` false.
    static func evaluate(
        _ condition: BatchCondition, outcomes: [StreamExecution.StepOutcome], isAutocommit: @autoclosure () -> Bool
    ) -> Bool {
        switch condition {
        case .ok(let step): outcomes[Int(step)] == .ok
        case .error(let step): outcomes[Int(step)] == .error
        case .not(let inner): !evaluate(inner, outcomes: outcomes, isAutocommit: isAutocommit())
        case .and(let conditions):
            conditions.allSatisfy { evaluate($0, outcomes: outcomes, isAutocommit: isAutocommit()) }
        case .or(let conditions):
            conditions.contains { evaluate($0, outcomes: outcomes, isAutocommit: isAutocommit()) }
        case .isAutocommit: isAutocommit()
        }
    }
}
