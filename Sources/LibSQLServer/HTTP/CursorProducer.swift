import Foundation
import Hrana
import Hummingbird

/// What a stream is fit for once a cursor batch has run on it.
enum CursorEnding: Equatable {
    /// The stream may take its next baton (including after the client went away).
    case reusable
    /// A protocol error: the stream must be forgotten and closed.
    case broken
}

/// Runs a cursor batch on a pool thread and streams its entries into a pipe: newline-delimited JSON, or
/// varint-length-delimited protobuf.
///
/// The stream's fate is settled before the client can see the end of the batch: each entry is held back
/// until the next one arrives, and the last one is only sent after `settle` ran. A client that reuses the
/// baton as soon as it reads the last entry (without waiting for the end of the body) therefore always
/// finds the stream released, and the body ends right after that entry, from this same thread.
enum CursorProducer {
    /// Rows are gathered into chunks of about this size; other entries are sent with the next one.
    static let chunkSize = 32 * 1024

    /// Runs `batch`, calls `settle` once the stream is idle again, then sends what is left and finishes
    /// the pipe. Blocks the calling thread.
    static func run(
        _ batch: Batch, stream: HranaStream, pipe: CursorPipe, encoding: WireEncoding = .json,
        encode: ((CursorEntry) throws(HranaCodingError) -> Data)? = nil, settle: (CursorEnding) -> Void
    ) {
        let encode = encode ?? encoding.encode
        defer { pipe.finish() }
        var pending = ByteBuffer()
        var sendBeforeNext = false
        var ending = CursorEnding.reusable
        do {
            try stream.runCursor(batch, version: .v3) { entry in
                if sendBeforeNext || pending.readableBytes >= chunkSize {
                    try pipe.send(pending)
                    pending.clear()
                }
                try append(entry, to: &pending, encoding: encoding, encode: encode)
                if case .row = entry { sendBeforeNext = false } else { sendBeforeNext = true }
            }
        } catch {
            if !pipe.isCancelled {
                ending = .broken
                // Also what an entry that could not be encoded ends with. Should this entry itself fail, the body
                // ends without a final entry, which clients report as an incomplete cursor.
                let entry = CursorEntry.error(ProtocolError(message: error.message, code: "PROTOCOL_ERROR"))
                try? append(entry, to: &pending, encoding: encoding, encode: encoding.encode)
            }
        }
        pipe.producerStopped()
        settle(ending)
        if pending.readableBytes > 0 { try? pipe.send(pending) }
    }

    private static func append(
        _ entry: CursorEntry, to buffer: inout ByteBuffer, encoding: WireEncoding,
        encode: (CursorEntry) throws(HranaCodingError) -> Data
    ) throws(HranaCodingError) {
        buffer.writeBytes(encoding.frame(try encode(entry)))
    }
}
