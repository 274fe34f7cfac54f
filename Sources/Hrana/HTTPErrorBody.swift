import Foundation

extension ProtocolError {
    /// Reads the error in the body of a failed (non-2xx) HTTP response: a Hrana error
    /// `{"message": ..., "code": ...}` (sqld's `STREAM_EXPIRED`) or sqld's `{"error": ...}` (auth, namespaces,
    /// internal errors; no code). Returns `nil` for plain-text and other bodies.
    public init?(httpErrorBody body: Data) {
        if let error = try? HranaJSON.decode(ProtocolError.self, from: body) {
            self = error
        } else if let wrapped = try? HranaJSON.decode(WrappedError.self, from: body) {
            self.init(message: wrapped.error, code: nil)
        } else {
            return nil
        }
    }
}

private struct WrappedError: Decodable {
    var error: String
}
