import HummingbirdCore
import Logging
import NIOCore

/// Closes a connection whose first request head has not fully arrived within `timeout` of the connection
/// opening, then steps out of the pipeline.
///
/// Hummingbird's WebSocket-upgradable channel arms its idle timeout only after the first head has been parsed,
/// so without this a client that trickles header bytes (slow-loris) would hold its connection for ever. Later
/// heads on a kept-alive connection are covered by Hummingbird's own idle timeout, and an upgraded WebSocket
/// is past its head before this handler leaves.
final class RequestHeadDeadline: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let timeout: TimeAmount
    private var expiry: Scheduled<Void>?
    private var afterLineFeed = false
    private var headComplete = false

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        expiry?.cancel()
        expiry = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data)
        if !headComplete, endsHead(bytes) {
            headComplete = true
            expiry?.cancel()
            expiry = nil
            context.fireChannelRead(data)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            return
        }
        context.fireChannelRead(data)
    }

    /// Whether `bytes` finish the head: an empty line, `\n\n` or `\n\r\n`, possibly split across reads.
    private func endsHead(_ bytes: ByteBuffer) -> Bool {
        bytes.withUnsafeReadableBytes { raw in
            for byte in raw {
                switch byte {
                case UInt8(ascii: "\n"):
                    if afterLineFeed { return true }
                    afterLineFeed = true
                case UInt8(ascii: "\r"):
                    continue
                default:
                    afterLineFeed = false
                }
            }
            return false
        }
    }

    private func arm(_ context: ChannelHandlerContext) {
        guard expiry == nil, !headComplete else { return }
        let channel = context.channel
        expiry = context.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
    }
}

/// A child channel that puts ``RequestHeadDeadline`` in front of another child channel's pipeline.
struct HeadDeadlineChannel<Inner: ServerChildChannel>: ServerChildChannel {
    let inner: Inner
    let timeout: TimeAmount

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Inner.Value> {
        do {
            try channel.pipeline.syncOperations.addHandler(RequestHeadDeadline(timeout: timeout), position: .first)
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        return inner.setup(channel: channel, logger: logger)
    }

    func handle(value: Inner.Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }
}
