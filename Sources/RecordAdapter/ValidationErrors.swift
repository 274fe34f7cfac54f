import Foundation

/// What a record's validations found wrong, per attribute (Rails' `errors`).
public struct ValidationErrors: Sendable, Hashable, Sequence {
    /// One failed check.
    public struct Entry: Sendable, Hashable {
        /// The column (attribute) name, or `base` for the record as a whole.
        public var attribute: String
        /// The message, such as `can't be blank`.
        public var message: String
    }

    /// The failures, in the order the validations ran.
    public private(set) var entries: [Entry] = []

    /// No failures.
    public init() {}

    /// Records a failure.
    public mutating func add(_ attribute: String, _ message: String) {
        entries.append(Entry(attribute: attribute, message: message))
    }

    /// Whether nothing failed.
    public var isEmpty: Bool { entries.isEmpty }
    /// How many checks failed.
    public var count: Int { entries.count }

    /// The messages of one attribute.
    public subscript(attribute: String) -> [String] {
        entries.filter { $0.attribute == attribute }.map(\.message)
    }

    /// `name can't be blank`-style messages.
    public var fullMessages: [String] {
        entries.map { $0.attribute == "base" ? $0.message : "\($0.attribute) \($0.message)" }
    }

    public func makeIterator() -> IndexingIterator<[Entry]> { entries.makeIterator() }
}
