import Foundation
import Hrana
import Hummingbird

/// Runs a cursor batch on a pool thread and streams its entries as newline-delimited JSON into a pipe.
enum CursorProducer {
    /// Rows are gathered into chunks of about this size; other entries are sent at once.
    static let chunkSize = 32 * 1024

    /// Returns whether the stream may be used again (`false` after a protocol error).
    static func run(_ batch: Batch, lease: StreamLease, pipe: CursorPipe) -> Bool {
        var buffer = ByteBuffer()
        do {
            try lease.session.runCursor(batch, version: .v3) { entry in
                append(entry, to: &buffer)
                if case .row = entry, buffer.readableBytes < chunkSize { return }
                try pipe.send(buffer)
                buffer.clear()
            }
            if buffer.readableBytes > 0 { try? pipe.send(buffer) }
            return true
        } catch {
            if pipe.isCancelled { return true }
            buffer.clear()
            append(.error(ProtocolError(message: error.message, code: "PROTOCOL_ERROR")), to: &buffer)
            try? pipe.send(buffer)
            return false
        }
    }

    private static func append(_ entry: CursorEntry, to buffer: inout ByteBuffer) {
        buffer.writeBytes(ResponseEncoding.encode(entry))
        buffer.writeStaticString("\n")
    }
}
