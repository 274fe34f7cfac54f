/// Rebuilds a ``BatchResult`` from cursor entries, checking the cursor grammar
/// `(step_begin row* (step_end | step_error) | step_error)* error?`.
///
/// Steps that produced no entries (skipped by their condition) end up with both result and error `nil`,
/// exactly as in a `batch` response.
///
/// ```swift
/// var builder = BatchResultBuilder(stepCount: batch.steps.count)
/// for entry in entries { try builder.add(entry) }
/// let result = try builder.finish()
/// ```
public struct BatchResultBuilder: Sendable {
    /// The number of steps of the batch the cursor ran.
    public let stepCount: Int
    /// The batch-level `error` entry, once received; ``finish()`` throws it.
    public private(set) var batchError: ProtocolError?

    private var stepResults: [StmtResult?]
    private var stepErrors: [ProtocolError?]
    private var open: (step: Int, cols: [Column], rows: [[Value]])?
    private var lastStep = -1
    private var entryIndex = 0

    /// Creates a builder for a batch of `stepCount` steps.
    public init(stepCount: Int) {
        precondition(stepCount >= 0, "stepCount must not be negative")
        self.stepCount = stepCount
        stepResults = Array(repeating: nil, count: stepCount)
        stepErrors = Array(repeating: nil, count: stepCount)
    }

    /// Whether a step has begun and not yet ended.
    public var isInsideStep: Bool { open != nil }

    /// Adds the next entry. Throws a ``HranaCodingError`` (path `entries[i]`) when the entry breaks the grammar.
    public mutating func add(_ entry: CursorEntry) throws(HranaCodingError) {
        defer { entryIndex += 1 }
        if case .unknown = entry { return }
        if batchError != nil { throw violation("\(entry.kindName) entry after the batch-level error entry") }
        switch entry {
        case .stepBegin(let step, let cols):
            if let open { throw violation("step_begin for step \(step) inside step \(open.step) (no step_end)") }
            let index = try checkedNewStep(step, entry: "step_begin")
            open = (index, cols, [])
        case .row(let row):
            guard open != nil else { throw violation("row entry outside a step (no step_begin before it)") }
            guard row.count == open!.cols.count else {
                throw violation("row has \(row.count) values but step \(open!.step) has \(open!.cols.count) columns")
            }
            open!.rows.append(row)
        case .stepEnd(let affectedRowCount, let lastInsertRowID):
            guard let current = open else { throw violation("step_end entry outside a step (no step_begin before it)") }
            stepResults[current.step] = StmtResult(
                cols: current.cols, rows: current.rows, affectedRowCount: affectedRowCount,
                lastInsertRowID: lastInsertRowID)
            open = nil
        case .stepError(let step, let error):
            if let current = open {
                guard Int(step) == current.step else {
                    throw violation("step_error for step \(step) inside step \(current.step)")
                }
                stepErrors[current.step] = error
                open = nil
            } else {
                stepErrors[try checkedNewStep(step, entry: "step_error")] = error
            }
        case .error(let error):
            open = nil
            batchError = error
        case .unknown:
            break
        }
    }

    /// Adds entries in order.
    public mutating func add(contentsOf entries: some Sequence<CursorEntry>) throws(HranaCodingError) {
        for entry in entries { try add(entry) }
    }

    /// The rebuilt result. Throws the batch-level ``ProtocolError`` when the cursor ended with an `error`
    /// entry, and a ``HranaCodingError`` when it ended inside a step.
    public func finish() throws -> BatchResult {
        if let batchError { throw batchError }
        if let open {
            throw HranaCodingError(
                message: "cursor ended inside step \(open.step) (step_begin without step_end or step_error)",
                path: "entries[\(entryIndex)]")
        }
        return BatchResult(stepResults: stepResults, stepErrors: stepErrors)
    }

    private mutating func checkedNewStep(_ step: UInt32, entry: String) throws(HranaCodingError) -> Int {
        let index = Int(step)
        guard index < stepCount else {
            throw violation("\(entry) for step \(step), but the batch has \(stepCount) steps")
        }
        guard index > lastStep else {
            throw violation("\(entry) for step \(step) after step \(lastStep) (steps must appear once, in order)")
        }
        lastStep = index
        return index
    }

    private func violation(_ message: String) -> HranaCodingError {
        HranaCodingError(message: "cursor grammar violation: \(message)", path: "entries[\(entryIndex)]")
    }
}

extension CursorEntry {
    /// The wire `type` of the entry.
    public var kindName: String {
        switch self {
        case .stepBegin: "step_begin"
        case .row: "row"
        case .stepEnd: "step_end"
        case .stepError: "step_error"
        case .error: "error"
        case .unknown(let type): type
        }
    }
}
