import Foundation

/// A server started by ``HranaServer/withRunning(_:logger:_:)``: where it listens and what it has served.
public struct RunningServer: Sendable {
    /// The bound TCP port (the real one when the configuration asked for port 0).
    public var port: Int
    /// The base URL clients use, e.g. `http://127.0.0.1:PORT`.
    public var url: URL
    let counter: RequestCounter
    /// Live (not expired) HTTP streams, for tests of stream expiry.
    let liveStreams: @Sendable () -> Int

    /// The number of HTTP requests served so far, for one path (`"/v3/pipeline"`) or, with `nil`, all paths.
    public func requestCount(path: String? = nil) -> Int {
        counter.count(path: path)
    }
}
