import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A tiny blocking HTTP responder on a loopback port, for failure paths no real server produces on purpose:
/// HTML error pages, truncated bodies and connection resets. Each connection gets one scripted action.
final class RawHTTPServer: @unchecked Sendable {
    enum Action: Sendable {
        /// Writes these bytes, then closes.
        case respond(String)
        /// Closes the connection with a TCP reset, without answering.
        case reset
        /// Reads the request, answers nothing for this long, then closes.
        case stall(seconds: Double)
    }

    let port: Int
    private let socket: Int32
    private let actions: @Sendable (_ requestLine: String) -> Action
    private let thread: Thread

    init(actions: @escaping @Sendable (_ requestLine: String) -> Action) throws {
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0, listen(fd, 16) == 0 else { throw CocoaError(.fileWriteUnknown) }
        withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        socket = fd
        self.actions = actions
        thread = Thread { [actions] in
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 { return }
                RawHTTPServer.serve(client, actions: actions)
            }
        }
        thread.start()
    }

    var url: String { "http://127.0.0.1:\(port)" }

    func stop() {
        shutdown(socket, Int32(SHUT_RDWR))
        close(socket)
    }

    private static func serve(_ client: Int32, actions: (String) -> Action) {
        var request = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        var headerEnd: Int?
        var contentLength = 0
        while true {
            let count = read(client, &buffer, buffer.count)
            if count <= 0 { break }
            request += buffer[0..<count]
            if headerEnd == nil, let range = String(decoding: request, as: UTF8.self).range(of: "\r\n\r\n") {
                let text = String(decoding: request, as: UTF8.self)
                headerEnd = text.utf8.distance(from: text.startIndex, to: range.upperBound)
                for line in text[..<range.lowerBound].split(separator: "\r\n") where line.lowercased().hasPrefix("content-length:") {
                    contentLength = Int(line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) ?? 0
                }
            }
            if let headerEnd, request.count >= headerEnd + contentLength { break }
        }
        let requestLine = String(decoding: request.prefix { $0 != 13 }, as: UTF8.self)
        switch actions(requestLine) {
        case .respond(let text):
            let bytes = Array(text.utf8)
            _ = bytes.withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
            close(client)
        case .reset:
            var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
            setsockopt(client, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
            close(client)
        case .stall(let seconds):
            Thread.sleep(forTimeInterval: seconds)
            close(client)
        }
    }
}

/// An HTTP/1.1 response with a body, closing the connection.
func rawResponse(status: String, contentType: String, body: String, declaredLength: Int? = nil) -> String {
    "HTTP/1.1 \(status)\r\ncontent-type: \(contentType)\r\ncontent-length: \(declaredLength ?? body.utf8.count)\r\nconnection: close\r\n\r\n\(body)"
}
