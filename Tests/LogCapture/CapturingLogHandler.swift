import Logging
import Synchronization

/// A swift-log handler for tests that keeps every record in memory, at every level (trace included), so a
/// test can check what a library logged and that no secret appears in it.
///
/// ```swift
/// let handler = CapturingLogHandler()
/// let db = try Database(url: url, logger: Logger(label: "test") { _ in handler })
/// #expect(!handler.lines.contains { $0.contains(token) })
/// ```
public final class CapturingLogHandler: LogHandler, Sendable {
    /// One log record: the logger's metadata merged with the call's.
    public struct Entry: Sendable {
        public var level: Logger.Level
        public var message: String
        public var metadata: [String: String]
    }

    private let storage = Mutex<(entries: [Entry], metadata: Logger.Metadata)>(([], [:]))

    public init() {}

    /// Every record so far, oldest first.
    public var entries: [Entry] { storage.withLock { $0.entries } }

    /// Every record so far as one line each: the message, then its metadata.
    public var lines: [String] {
        entries.map { entry in
            entry.metadata.isEmpty
                ? entry.message
                : entry.message + " " + entry.metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                    .joined(separator: " ")
        }
    }

    public var metadata: Logger.Metadata {
        get { storage.withLock { $0.metadata } }
        set { storage.withLock { $0.metadata = newValue } }
    }

    public var logLevel: Logger.Level {
        get { .trace }
        set {}
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { storage.withLock { $0.metadata[key] } }
        set { storage.withLock { $0.metadata[key] = newValue } }
    }

    public func log(event: LogEvent) {
        storage.withLock { storage in
            let metadata = storage.metadata.merging(event.metadata ?? [:]) { $1 }
            storage.entries.append(Entry(
                level: event.level, message: event.message.description, metadata: metadata.mapValues { "\($0)" }))
        }
    }
}
