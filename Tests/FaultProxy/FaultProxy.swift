import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fault-injecting TCP proxy on loopback, for tests: it forwards connections from its own port to an upstream
/// port on 127.0.0.1 and breaks them on purpose (delays, resets, a stalled peer, truncated or byte-split
/// responses).
///
/// ```swift
/// let proxy = try FaultProxy(upstreamPort: server.port)
/// defer { proxy.stop() }
/// proxy.setFault(.reset(after: 100, .response), connections: 1)
/// let db = try Database(url: proxy.url)
/// ```
/// Each accepted connection takes the fault in force when it is accepted; ``resetAll()`` breaks the
/// connections already open. Each connection is served by one thread that polls both sockets.
public final class FaultProxy: @unchecked Sendable {
    /// Which way bytes travel.
    public enum Direction: Sendable, Hashable {
        /// From the client to the server.
        case request
        /// From the server to the client.
        case response
    }

    /// What the proxy does to a connection.
    public enum Fault: Sendable, Hashable {
        /// Forwards everything unchanged.
        case none
        /// Waits this long before forwarding each chunk, in both directions.
        case delay(Duration)
        /// Forwards this many bytes in one direction, then resets both sides (TCP RST).
        case reset(after: Int, Direction)
        /// Accepts the connection and then neither reads nor writes, until the client goes away.
        case stall
        /// Forwards this many response bytes, then closes both sides cleanly (FIN).
        case truncateResponse(after: Int)
        /// Forwards this many response bytes, then stops forwarding and holds the connection open.
        case stallResponse(after: Int)
        /// Forwards the response one byte per write, with `TCP_NODELAY`.
        case oneByteWrites
    }

    private struct State {
        var fault: Fault = .none
        var faultedConnectionsLeft: Int?
        var stopped = false
        var resetGeneration = 0
        var accepted = 0
        var open = 0
    }

    /// The port the proxy listens on (127.0.0.1).
    public let port: Int
    /// The upstream port on 127.0.0.1.
    public let upstreamPort: Int
    private let listener: Int32
    private let state = Mutex(State())

    /// Starts a proxy on an ephemeral loopback port in front of `127.0.0.1:upstreamPort`.
    public init(upstreamPort: Int) throws {
        self.upstreamPort = upstreamPort
        let fd = socket(AF_INET, Self.streamType, 0)
        guard fd >= 0 else { throw FaultProxyError.socket("socket", errno) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = Self.loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0, listen(fd, 128) == 0 else {
            Self.closeSocket(fd, .fin)
            throw FaultProxyError.socket("bind/listen", errno)
        }
        withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        listener = fd
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    deinit { stop() }

    /// `http://127.0.0.1:<port>`.
    public var url: String { "http://127.0.0.1:\(port)" }

    /// Connections accepted so far.
    public var acceptedConnections: Int { state.withLock { $0.accepted } }

    /// Connections still open.
    public var openConnections: Int { state.withLock { $0.open } }

    /// Applies `fault` to the next `connections` accepted connections (all later ones when `nil`); connections
    /// after those are forwarded unchanged.
    public func setFault(_ fault: Fault, connections: Int? = nil) {
        state.withLock {
            $0.fault = fault
            $0.faultedConnectionsLeft = connections
        }
    }

    /// Resets (TCP RST) every connection open now, on both sides.
    public func resetAll() {
        state.withLock { $0.resetGeneration += 1 }
    }

    /// Stops accepting and closes every connection. Idempotent.
    public func stop() {
        let first = state.withLock { state -> Bool in
            defer { state.stopped = true }
            return !state.stopped
        }
        guard first else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        Self.closeSocket(listener, .fin)
    }

    // MARK: Accepting

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return
            }
            let (fault, generation, stopped) = state.withLock { state -> (Fault, Int, Bool) in
                state.accepted += 1
                state.open += 1
                var fault = state.fault
                if let left = state.faultedConnectionsLeft {
                    if left > 0 { state.faultedConnectionsLeft = left - 1 } else { fault = .none }
                }
                return (fault, state.resetGeneration, state.stopped)
            }
            if stopped {
                Self.closeSocket(client, .fin)
                finished()
                return
            }
            let thread = Thread { [self] in
                serve(client: client, fault: fault, generation: generation)
                finished()
            }
            thread.start()
        }
    }

    private func finished() {
        state.withLock { $0.open -= 1 }
    }

    // MARK: One connection

    private enum Ending {
        case fin, reset
    }

    private func serve(client: Int32, fault: Fault, generation: Int) {
        if fault == .stall {
            stall(client, generation: generation)
            return
        }
        let upstream = Self.connectUpstream(port: upstreamPort)
        guard upstream >= 0 else {
            Self.closeSocket(client, .reset)
            return
        }
        if fault == .oneByteWrites {
            var one: Int32 = 1
            setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        let ending = pump(client: client, upstream: upstream, fault: fault, generation: generation)
        Self.closeSocket(client, ending)
        Self.closeSocket(upstream, ending)
    }

    /// Forwards both ways until a side closes, the fault ends the connection, or the proxy stops.
    private func pump(client: Int32, upstream: Int32, fault: Fault, generation: Int) -> Ending {
        var forwarded: [Direction: Int] = [.request: 0, .response: 0]
        var holding = false
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            if let ending = interrupted(generation) { return ending }
            var fds = [
                pollfd(fd: client, events: holding ? Self.peerClosed : Int16(POLLIN), revents: 0),
                pollfd(fd: upstream, events: Int16(holding ? 0 : POLLIN), revents: 0),
            ]
            let ready = poll(&fds, 2, 50)
            if ready < 0 {
                if errno == EINTR { continue }
                return .reset
            }
            if holding {
                if fds[0].revents & (Self.peerClosed | Int16(POLLHUP | POLLERR)) != 0 { return .fin }
                continue
            }
            for (index, direction) in [(0, Direction.request), (1, Direction.response)] {
                guard fds[index].revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 else { continue }
                let source = index == 0 ? client : upstream
                let target = index == 0 ? upstream : client
                let count = buffer.withUnsafeMutableBytes { recv(source, $0.baseAddress, $0.count, 0) }
                if count <= 0 { return count == 0 ? .fin : .reset }
                var chunk = Array(buffer[0..<count])
                var after: Ending?
                switch fault {
                case .delay(let duration):
                    Thread.sleep(forTimeInterval: Self.seconds(duration))
                case .reset(let limit, let faulted) where faulted == direction:
                    if forwarded[direction]! + chunk.count >= limit {
                        chunk = Array(chunk.prefix(max(0, limit - forwarded[direction]!)))
                        after = .reset
                    }
                case .truncateResponse(let limit) where direction == .response:
                    if forwarded[direction]! + chunk.count >= limit {
                        chunk = Array(chunk.prefix(max(0, limit - forwarded[direction]!)))
                        after = .fin
                    }
                case .stallResponse(let limit) where direction == .response:
                    if forwarded[direction]! + chunk.count >= limit {
                        chunk = Array(chunk.prefix(max(0, limit - forwarded[direction]!)))
                        holding = true
                    }
                default:
                    break
                }
                let split = fault == .oneByteWrites && direction == .response
                guard Self.write(chunk, to: target, oneByteAtATime: split) else { return .reset }
                forwarded[direction]! += chunk.count
                if let after { return after }
                if holding { break }
            }
        }
    }

    /// Holds an accepted connection without reading or writing until the client closes or the proxy stops.
    private func stall(_ client: Int32, generation: Int) {
        while interrupted(generation) == nil {
            var fds = [pollfd(fd: client, events: Self.peerClosed, revents: 0)]
            let ready = poll(&fds, 1, 50)
            if ready > 0 && fds[0].revents & (Self.peerClosed | Int16(POLLHUP | POLLERR)) != 0 { break }
        }
        Self.closeSocket(client, .reset)
    }

    private func interrupted(_ generation: Int) -> Ending? {
        state.withLock { state in
            if state.stopped { return .fin }
            return state.resetGeneration != generation ? .reset : nil
        }
    }

    // MARK: Sockets

    #if canImport(Glibc)
    private static let streamType = Int32(SOCK_STREAM.rawValue)
    /// The poll event of a peer that closed its side, seen without reading (`POLLRDHUP`, which Glibc's module
    /// does not export because it needs `_GNU_SOURCE`).
    private static let peerClosed: Int16 = 0x2000
    #else
    private static let streamType = SOCK_STREAM
    private static let peerClosed = Int16(POLLHUP)
    #endif

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    private static func connectUpstream(port: Int) -> Int32 {
        let fd = socket(AF_INET, streamType, 0)
        guard fd >= 0 else { return -1 }
        var address = loopback(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            closeSocket(fd, .fin)
            return -1
        }
        return fd
    }

    private static func write(_ bytes: [UInt8], to fd: Int32, oneByteAtATime: Bool) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let length = oneByteAtATime ? 1 : bytes.count - offset
            let sent = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, length, Int32(MSG_NOSIGNAL)) }
            if sent < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += sent
        }
        return true
    }

    private static func closeSocket(_ fd: Int32, _ ending: Ending) {
        if ending == .reset {
            var option = linger(l_onoff: 1, l_linger: 0)
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
        }
        #if canImport(Glibc)
        Glibc.close(fd)
        #else
        Darwin.close(fd)
        #endif
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

/// A socket call of the proxy failed.
public struct FaultProxyError: Error, CustomStringConvertible {
    let call: String
    let code: Int32

    init(_ call: String, _ code: Int32) {
        self.call = call
        self.code = code
    }

    static func socket(_ call: String, _ code: Int32) -> FaultProxyError { FaultProxyError(call, code) }

    public var description: String { "\(call) failed: errno \(code)" }
}
