import LibSQLClient

/// What it takes to bring a database to the desired schema: the statements to run, in order, and what was
/// left out.
public struct SchemaPlan: Sendable, Hashable {
    /// One statement of the plan.
    public struct Step: Sendable, Hashable, CustomStringConvertible {
        /// The SQL text.
        public var sql: String
        /// Values bound to its `?` placeholders (never spliced into the text).
        public var arguments: [SQLValue]
        /// What the step is for, e.g. `rebuild table users: column email: NOT NULL added`.
        public var purpose: String

        /// Creates a step.
        public init(_ sql: String, arguments: [SQLValue] = [], purpose: String) {
            self.sql = sql
            self.arguments = arguments
            self.purpose = purpose
        }

        /// The statement with its arguments, for ``DatabaseConnection``.
        public var statement: Statement { Statement(sql: sql, arguments: .positional(arguments)) }

        /// The SQL with its arguments written as literals, for display (never for running).
        public var displaySQL: String { SchemaPlan.render(self) }

        public var description: String { sql }
    }

    /// Existing rows that would not fit the desired schema.
    public struct DataProblem: Sendable, Hashable, CustomStringConvertible {
        /// The table holding the rows.
        public var table: String
        /// How many rows are affected, when SQLite could count them.
        public var rowCount: Int?
        /// What is wrong.
        public var message: String

        /// Creates a problem report.
        public init(table: String, rowCount: Int?, message: String) {
            self.table = table
            self.rowCount = rowCount
            self.message = message
        }

        public var description: String {
            if let rowCount { "\(table): \(rowCount) row(s) \(message)" } else { "\(table): \(message)" }
        }
    }

    /// The statements to run, in order, inside one transaction with foreign keys off.
    public var steps: [Step]
    /// Destructive steps left out because drops are not enabled (``SchemaOptions/enableDrop``).
    public var skipped: [Step]
    /// Differences that were detected but are not handled; never silent.
    public var warnings: [String]
    /// Existing rows that would break (the plan cannot be applied while this is not empty).
    public var problems: [DataProblem]

    /// Creates a plan.
    public init(steps: [Step] = [], skipped: [Step] = [], warnings: [String] = [], problems: [DataProblem] = []) {
        self.steps = steps
        self.skipped = skipped
        self.warnings = warnings
        self.problems = problems
    }

    /// Whether the database already has the desired schema (nothing to run).
    public var isEmpty: Bool { steps.isEmpty }

    /// The plan as a SQL script: each statement ending with `;`, bound values shown as SQL literals, skipped
    /// steps as `-- Skipped:` comments and warnings as `-- Warning:` comments.
    public var script: String {
        var lines: [String] = []
        for warning in warnings { lines.append("-- Warning: " + warning) }
        for problem in problems { lines.append("-- Data problem: \(problem)") }
        for step in steps { lines.append(Self.render(step) + ";") }
        for step in skipped {
            lines.append(Self.render(step).split(separator: "\n", omittingEmptySubsequences: false)
                .enumerated().map { $0.offset == 0 ? "-- Skipped: \($0.element)" : "-- \($0.element)" }
                .joined(separator: "\n"))
        }
        return lines.joined(separator: "\n") + (lines.isEmpty ? "" : "\n")
    }

    /// The step with its arguments written as literals, for display only.
    static func render(_ step: Step) -> String {
        var text = ""
        var arguments = step.arguments.makeIterator()
        for token in SQLTokenizer.tokenize(step.sql) {
            if token.kind == .parameter, token.text == "?", let value = arguments.next() {
                text += literal(value)
            } else {
                text += token.text
            }
        }
        return text
    }

    private static func literal(_ value: SQLValue) -> String {
        switch value {
        case .null: "NULL"
        case .integer(let number): String(number)
        case .float(let number): String(number)
        case .text(let text): "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
        case .blob(let data): "x'" + data.map { String(format: "%02x", $0) }.joined() + "'"
        }
    }
}

/// A rename the diff cannot infer: without one, a renamed table or column is a drop plus an add.
///
/// In a schema file, write `-- @rename table old_name TO new_name` or
/// `-- @rename column table.old_name TO new_name` (the table by its desired name). Hints that were already
/// applied are ignored, so they can stay in the file.
public enum SchemaRename: Sendable, Hashable {
    /// Rename table `from` to `to`.
    case table(from: String, to: String)
    /// Rename column `from` of `table` (its desired name) to `to`.
    case column(table: String, from: String, to: String)
}

/// How the diff treats destructive changes and renames.
public struct SchemaOptions: Sendable {
    /// Whether dropping tables, columns, indexes, views and triggers is allowed; otherwise such steps are
    /// reported as ``SchemaPlan/skipped``.
    public var enableDrop: Bool
    /// Explicit renames, in addition to `@rename` hints in the file.
    public var renames: [SchemaRename]

    /// Creates options.
    public init(enableDrop: Bool = false, renames: [SchemaRename] = []) {
        self.enableDrop = enableDrop
        self.renames = renames
    }
}
