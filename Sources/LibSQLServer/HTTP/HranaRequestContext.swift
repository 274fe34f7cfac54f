import Hummingbird
import NIOCore

/// Hummingbird's request context plus the connection, so that a long request can notice its client leaving.
struct HranaRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The HTTP connection the request arrived on.
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        channel = source.channel
    }
}
