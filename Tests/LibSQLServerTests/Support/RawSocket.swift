import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A blocking TCP client for sending malformed or partial HTTP by hand.
final class RawSocket: @unchecked Sendable {
    private let fd: Int32

    /// Connects to 127.0.0.1:`port`; `receiveBuffer` shrinks the kernel's receive buffer (a slow reader whose
    /// peer meets back-pressure soon).
    init(port: Int, receiveBuffer: Int? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError.unexpected("socket failed") }
        if var size = receiveBuffer.map(Int32.init) {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw HarnessError.unexpected("connect failed")
        }
        var timeout = timeval(tv_sec: 8, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Reads until the peer closes or the receive timeout passes; returns what arrived and whether it closed.
    func readAll() -> (text: String, closed: Bool) {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                received += buffer[0..<count]
            } else {
                return (String(decoding: received, as: UTF8.self), count == 0)
            }
        }
    }

    /// Reads what is available, waiting for at least one byte (or the receive timeout).
    func receive() -> String {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : ""
    }

    /// Reads until a whole response head has arrived (and whatever came with it), the peer closes, or
    /// `limit` passes.
    func receiveHead(within limit: Duration = .seconds(60)) -> String {
        let deadline = ContinuousClock.now + limit
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while ContinuousClock.now < deadline {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count == 0 || (count < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) { break }
            if count > 0 {
                received += buffer[0..<count]
                if received.count >= 4, received.indices.dropFirst(3).contains(where: {
                    received[$0 - 3] == 13 && received[$0 - 2] == 10 && received[$0 - 1] == 13 && received[$0] == 10
                }) { break }
            }
        }
        return String(decoding: received, as: UTF8.self)
    }

    func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }

    /// Reads until `count` bytes have arrived, the peer closes, or the receive timeout passes.
    func receiveBytes(_ count: Int) -> [UInt8] {
        var received: [UInt8] = []
        received.reserveCapacity(count)
        var buffer = [UInt8](repeating: 0, count: min(65536, count))
        while received.count < count {
            let wanted = min(buffer.count, count - received.count)
            let read = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, wanted, 0) }
            if read < 0, errno == EINTR { continue }
            guard read > 0 else { break }
            received += buffer[0..<read]
        }
        return received
    }

    /// Reads a response head byte by byte; returns it (without the blank line), or what arrived before the peer
    /// closed or the receive timeout passed.
    func receiveHeadBytes() -> String {
        var received: [UInt8] = []
        while !received.suffix(4).elementsEqual([13, 10, 13, 10]) {
            let byte = receiveBytes(1)
            guard let first = byte.first else { break }
            received.append(first)
        }
        return String(decoding: received.dropLast(4), as: UTF8.self)
    }

    /// Sends `text` one byte every `interval` until the peer closes the connection or `limit` passes; returns
    /// how long the peer took to close it, `nil` if it did not.
    func trickle(_ text: String, every interval: Duration, for limit: Duration) -> Duration? {
        let start = ContinuousClock.now
        var bytes = Array(text.utf8)[...]
        while ContinuousClock.now - start < limit {
            if bytes.isEmpty { bytes = Array(" ".utf8)[...] }
            let byte = bytes.removeFirst()
            let sent = withUnsafeBytes(of: byte) { Glibc.send(fd, $0.baseAddress, 1, Int32(MSG_NOSIGNAL)) }
            var probe: UInt8 = 0
            let read = recv(fd, &probe, 1, Int32(MSG_DONTWAIT))
            if sent < 0 || read == 0 || (read < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
                return ContinuousClock.now - start
            }
            Thread.sleep(forTimeInterval: Double(interval.components.attoseconds) / 1e18 + Double(interval.components.seconds))
        }
        return nil
    }

    /// Runs blocking socket work off the cooperative thread pool.
    static func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
        }
    }
}
