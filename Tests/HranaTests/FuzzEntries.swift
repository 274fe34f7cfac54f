import Foundation
import Hrana

/// What each Hrana fuzz target does with one input (`Fuzz/run.sh` builds them with libFuzzer). Also
/// compiled into the fuzz binaries, so a saved crash input replays here through exactly the same code.
///
/// The property is that no input traps: every decoder either returns a value or throws a typed error, and
/// whatever it returns encodes again and decodes to the same value.
enum HranaFuzzEntries {
    /// Every JSON request and response type, HTTP and WebSocket.
    static func json(_ data: Data) {
        roundTripJSON(PipelineRequest.self, data)
        roundTripJSON(PipelineResponse.self, data)
        roundTripJSON(CursorRequest.self, data)
        roundTripJSON(CursorResponse.self, data)
        roundTripJSON(CursorEntry.self, data)
        roundTripJSON(ClientMessage.self, data)
        roundTripJSON(ServerMessage.self, data)
        _ = ProtocolError(httpErrorBody: data)
    }

    /// Every protobuf message of section 7, HTTP and WebSocket.
    static func protobuf(_ data: Data) {
        roundTripProtobuf(PipelineRequest.self, data)
        roundTripProtobuf(PipelineResponse.self, data)
        roundTripProtobuf(CursorRequest.self, data)
        roundTripProtobuf(CursorResponse.self, data)
        roundTripProtobuf(CursorEntry.self, data)
        roundTripProtobuf(ClientMessage.self, data)
        roundTripProtobuf(ServerMessage.self, data)
        roundTripProtobuf(Value.self, data)
    }

    /// `/v3/cursor` bodies, JSON lines and varint-delimited protobuf, fed in the chunk sizes the first byte picks.
    static func cursorBody(_ data: Data) {
        guard let first = data.first else { return }
        let body = data.dropFirst()
        let step = Int(first % 17) + 1
        var json = CursorBodyDecoder(maxLineLength: 4096)
        var protobuf = ProtobufCursorBodyDecoder()
        var index = body.startIndex
        do {
            while index < body.endIndex {
                let end = body.index(index, offsetBy: step, limitedBy: body.endIndex) ?? body.endIndex
                _ = try json.feed(body[index..<end])
                index = end
            }
            _ = try json.finish()
        } catch {}
        do {
            _ = try protobuf.feed(body)
            try protobuf.finish()
        } catch {}
    }

    private static func roundTripJSON<T: Codable & Equatable>(_ type: T.Type, _ data: Data) {
        guard let value = try? HranaJSON.decode(type, from: data) else { return }
        // Non-finite floats have no JSON form; the encoder refuses them instead of writing invalid JSON.
        guard let again = try? HranaJSON.encode(value) else { return }
        guard let decoded = try? HranaJSON.decode(type, from: again) else {
            fatalError("\(type): re-encoded JSON does not decode: \(String(decoding: again, as: UTF8.self))")
        }
        if decoded != value { fatalError("\(type): JSON round trip changed \(value) into \(decoded)") }
    }

    private static func roundTripProtobuf<M: ProtobufMessage & Equatable>(_ type: M.Type, _ data: Data) {
        guard let value = try? HranaProtobuf.decode(type, from: data) else { return }
        let again = HranaProtobuf.encode(value)
        guard let decoded = try? HranaProtobuf.decode(type, from: again) else {
            fatalError("\(type): re-encoded protobuf does not decode")
        }
        if decoded != value && !"\(value)".contains("nan") {
            fatalError("\(type): protobuf round trip changed \(value) into \(decoded)")
        }
    }
}
