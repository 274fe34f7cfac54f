import NIOCore

/// Whether the client of an HTTP connection has gone away while its request is still being answered.
///
/// NIO stops reading a connection while its HTTP/1 response is pending, so a client that closes the socket
/// is not seen as inactive until the server writes. On Linux the kernel's TCP state tells it anyway: the
/// peer's FIN moves the socket to `CLOSE_WAIT`, as hyper (sqld's HTTP server) treats a read EOF.
enum ConnectionWatch {
    static func clientLeft(_ channel: any Channel) async -> Bool {
        guard channel.isActive else { return true }
        #if os(Linux)
        if let provider = channel as? any SocketOptionProvider,
           let info = try? await provider.getTCPInfo().get() {
            return info.tcpi_state == closeWait
        }
        #endif
        return false
    }

    /// `TCP_CLOSE_WAIT` in Linux's `tcp_states.h`.
    private static let closeWait: UInt8 = 8
}
