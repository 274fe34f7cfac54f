import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import Synchronization

/// A TLS-terminating TCP proxy on loopback, for tests: it accepts TLS connections on its own port with a
/// certificate from `TLSFixtures/` and relays the plain bytes to `127.0.0.1:upstreamPort` (our server), so the
/// client's `https:` and `wss:` paths meet a real TLS peer.
public final class TLSProxy: Sendable {
    /// The port the proxy listens on (127.0.0.1).
    public let port: Int
    private let channel: any Channel
    private let counters: Counters

    /// How many connections were accepted, and how many finished their TLS handshake.
    public final class Counters: Sendable {
        let accepted = Atomic(0)
        let handshakes = Atomic(0)
    }

    /// Starts a proxy presenting `certificate` (a fixture's base name: `server`, `wrong-host`).
    public static func start(upstreamPort: Int, certificate: String = "server") async throws -> TLSProxy {
        let chain = try NIOSSLCertificate.fromPEMFile(try TLSFixture.path(certificate + ".pem"))
        let key = try NIOSSLPrivateKey(file: try TLSFixture.path(certificate + "-key.pem"), format: .pem)
        let context = try NIOSSLContext(configuration: .makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key)))
        let counters = Counters()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                counters.accepted.add(1, ordering: .relaxed)
                return child.eventLoop.makeCompletedFuture {
                    let relay = RelayHandler()
                    try child.pipeline.syncOperations.addHandlers(
                        NIOSSLServerHandler(context: context), HandshakeCounter(counters), relay)
                    ClientBootstrap(group: child.eventLoop)
                        .channelInitializer { upstream in
                            upstream.eventLoop.makeCompletedFuture {
                                try upstream.pipeline.syncOperations.addHandler(RelayHandler(partner: child))
                            }
                        }
                        .connect(host: "127.0.0.1", port: upstreamPort)
                        .whenComplete { result in
                            switch result {
                            case .success(let upstream): relay.connected(to: upstream)
                            case .failure: child.close(promise: nil)
                            }
                        }
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return TLSProxy(channel: channel, counters: counters)
    }

    private init(channel: any Channel, counters: Counters) {
        self.channel = channel
        self.counters = counters
        port = channel.localAddress?.port ?? 0
    }

    /// Connections accepted so far.
    public var acceptedConnections: Int { counters.accepted.load(ordering: .relaxed) }
    /// Connections whose TLS handshake succeeded.
    public var completedHandshakes: Int { counters.handshakes.load(ordering: .relaxed) }

    /// Stops listening; open connections end with their peers.
    public func stop() async {
        try? await channel.close()
    }
}

/// The fixture files of `TLSFixtures/`.
public enum TLSFixture {
    public static func path(_ name: String) throws -> String {
        guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "TLSFixtures") else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: name])
        }
        return url.path
    }

    /// The test CA's certificate, as PEM bytes.
    public static var caPEM: Data {
        get throws { try Data(contentsOf: URL(fileURLWithPath: try path("ca.pem"))) }
    }
}

/// Counts finished TLS handshakes.
private final class HandshakeCounter: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    private let counters: TLSProxy.Counters

    init(_ counters: TLSProxy.Counters) { self.counters = counters }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event { counters.handshakes.add(1, ordering: .relaxed) }
        context.fireUserInboundEventTriggered(event)
    }
}

/// Forwards the bytes read on its channel to the partner channel; closing either side closes the other. Both
/// channels of a pair live on one event loop, so its state is only touched there.
private final class RelayHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    private var partner: (any Channel)?
    private var pending: [ByteBuffer] = []
    private var closed = false

    init(partner: (any Channel)? = nil) { self.partner = partner }

    /// The upstream connection is up: what arrived before it is sent now.
    func connected(to upstream: any Channel) {
        upstream.eventLoop.assertInEventLoop()
        guard !closed else {
            upstream.close(promise: nil)
            return
        }
        partner = upstream
        for buffer in pending { upstream.write(buffer, promise: nil) }
        pending.removeAll()
        upstream.flush()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        if let partner { partner.writeAndFlush(buffer, promise: nil) } else { pending.append(buffer) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        partner?.close(promise: nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
