import Foundation
import Logging

/// Writes log lines to standard error. Unlike swift-log's `StreamLogHandler`, it renders metadata only when
/// a line is written, so the per-request metadata hummingbird sets costs nothing at quieter log levels.
struct ConsoleLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    init(label: String, logLevel: Logger.Level) {
        self.label = label
        self.logLevel = logLevel
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = event.metadata.map { metadata.merging($0) { _, new in new } } ?? metadata
        let rendered = merged.isEmpty
            ? "" : " " + merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let timestamp = Date.now.formatted(.iso8601)
        FileHandle.standardError.write(Data("\(timestamp) \(event.level) \(label):\(rendered) \(event.message)\n".utf8))
    }
}
