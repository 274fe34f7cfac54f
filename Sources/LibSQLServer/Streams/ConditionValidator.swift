import Hrana

/// Checks that batch conditions only refer to earlier steps, before anything runs.
enum ConditionValidator {
    static func isValid(_ batch: Batch) -> Bool {
        batch.steps.indices.allSatisfy { index in
            batch.steps[index].condition.map { isValid($0, before: index) } ?? true
        }
    }

    private static func isValid(_ condition: BatchCondition, before index: Int) -> Bool {
        switch condition {
        case .ok(let step), .error(let step): Int(step) < index
        case .not(let inner): isValid(inner, before: index)
        case .and(let conditions), .or(let conditions): conditions.allSatisfy { isValid($0, before: index) }
        case .isAutocommit: true
        }
    }
}
