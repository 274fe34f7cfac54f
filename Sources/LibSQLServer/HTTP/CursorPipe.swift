import Foundation
import Hummingbird

/// Carries cursor output from the engine's pool thread to the HTTP response writer, with back-pressure:
/// the producer blocks while `capacity` chunks are waiting to be written.
final class CursorPipe: @unchecked Sendable {
    /// The consumer stopped (client gone or response dropped); the producer should abort.
    struct Cancelled: Error {}

    private let condition = NSCondition()
    private var queued = 0
    private var cancelled = false
    private var producerDone = false
    private let capacity: Int
    let chunks: AsyncStream<ByteBuffer>
    private let continuation: AsyncStream<ByteBuffer>.Continuation

    init(capacity: Int = 8) {
        self.capacity = capacity
        (chunks, continuation) = AsyncStream.makeStream(of: ByteBuffer.self)
    }

    /// Producer: queues a chunk, waiting while the consumer is behind.
    func send(_ chunk: ByteBuffer) throws(Cancelled) {
        condition.lock()
        while queued >= capacity && !cancelled { condition.wait() }
        if cancelled {
            condition.unlock()
            throw Cancelled()
        }
        queued += 1
        condition.unlock()
        continuation.yield(chunk)
    }

    /// Producer: the batch has stopped running (the stream may be used again from now on).
    func producerStopped() {
        condition.lock()
        producerDone = true
        condition.unlock()
    }

    /// Producer: no more chunks.
    func finish() {
        continuation.finish()
    }

    /// Consumer: a chunk was written.
    func consumed() {
        condition.lock()
        queued -= 1
        condition.signal()
        condition.unlock()
    }

    /// Consumer: stop the producer.
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
        continuation.finish()
    }

    /// The client went away: stops the producer and, while its batch still runs, calls `interrupt` to stop
    /// the running statement (never after ``producerStopped()``, when the stream may run another request).
    func abandon(interrupt: () -> Void) {
        condition.lock()
        defer { condition.unlock() }
        cancelled = true
        condition.broadcast()
        if !producerDone { interrupt() }
        continuation.finish()
    }

    var isCancelled: Bool {
        condition.lock()
        defer { condition.unlock() }
        return cancelled
    }
}

/// Cancels its pipe when the response body that owns it is written or dropped unwritten.
final class CursorPipeGuard: Sendable {
    let pipe: CursorPipe
    init(_ pipe: CursorPipe) { self.pipe = pipe }
    deinit { pipe.cancel() }
}
