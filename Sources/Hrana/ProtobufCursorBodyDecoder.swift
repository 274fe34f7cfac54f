import Foundation

/// Decodes the body of `POST /v3-protobuf/cursor` incrementally, as its bytes arrive.
///
/// The body is a sequence of items, each a varint length and that many bytes of protobuf: first the
/// ``CursorResponse`` header (``header``), then one ``CursorEntry`` per item. Feed it the body in chunks of any
/// size; each call returns the entries completed so far. Entries of unknown kind (sqld's `replication_index`,
/// also sent as an empty item) are skipped. An item longer than ``maxItemLength`` bytes is an error, so a bad
/// length cannot grow memory without bound. After an error every later call throws the same error.
///
/// ```swift
/// var decoder = ProtobufCursorBodyDecoder()
/// for try await chunk in body { for entry in try decoder.feed(chunk) { handle(entry) } }
/// try decoder.finish()
/// ```
public struct ProtobufCursorBodyDecoder: Sendable {
    /// The longest item accepted, in bytes, without its length prefix.
    public let maxItemLength: Int
    /// The header item, once it has been decoded.
    public private(set) var header: CursorResponse?

    private var buffer: [UInt8] = []
    private var itemNumber = 0
    private var consumed = 0
    private var failure: HranaCodingError?
    private var finished = false

    /// Creates a decoder with an item limit (in bytes); the default is the JSON decoder's line limit.
    public init(maxItemLength: Int = CursorBodyDecoder.defaultMaxLineLength) {
        precondition(maxItemLength > 0, "maxItemLength must be positive")
        self.maxItemLength = maxItemLength
    }

    /// Consumes the next bytes of the body and returns the entries whose items are now complete.
    public mutating func feed(_ bytes: some Sequence<UInt8>) throws(HranaCodingError) -> [CursorEntry] {
        if let failure { throw failure }
        guard !finished else { throw fail(HranaCodingError(message: "cursor body fed after finish()", path: "")) }
        buffer.append(contentsOf: bytes)
        var entries: [CursorEntry] = []
        var start = 0
        while let (length, prefixSize) = try itemLength(at: start) {
            let bodyStart = start + prefixSize
            guard buffer.count - bodyStart >= length else { break }
            itemNumber += 1
            if let entry = try decodeItem(buffer[bodyStart..<(bodyStart + length)], at: consumed + bodyStart) {
                entries.append(entry)
            }
            start = bodyStart + length
        }
        buffer.removeSubrange(0..<start)
        consumed += start
        return entries
    }

    /// Ends the body: checks that no item was cut off and that the header arrived.
    public mutating func finish() throws(HranaCodingError) {
        if let failure { throw failure }
        guard !finished else { return }
        finished = true
        if !buffer.isEmpty {
            throw fail(HranaCodingError(
                message: "cursor body ended inside item \(itemNumber + 1) (\(buffer.count) bytes left over)", path: "",
                offset: consumed))
        }
        if header == nil {
            throw fail(HranaCodingError(message: "cursor body ended before its header item", path: "", offset: consumed))
        }
    }

    /// Decodes a whole protobuf cursor body at once.
    public static func decode(_ body: some Sequence<UInt8>) throws(HranaCodingError) -> (
        header: CursorResponse, entries: [CursorEntry]
    ) {
        var decoder = ProtobufCursorBodyDecoder()
        let entries = try decoder.feed(body)
        try decoder.finish()
        return (decoder.header!, entries)
    }

    /// The length prefix at `start`: `nil` when it is not complete yet.
    private mutating func itemLength(at start: Int) throws(HranaCodingError) -> (Int, Int)? {
        var length: UInt64 = 0
        var index = start
        while index < buffer.count {
            let byte = buffer[index]
            guard index - start < 10 else {
                throw fail(HranaCodingError(message: "item length varint is too long", path: "", offset: consumed + start))
            }
            length |= UInt64(byte & 0x7F) << UInt64(7 * (index - start))
            index += 1
            if byte < 0x80 {
                guard length <= UInt64(maxItemLength) else {
                    throw fail(HranaCodingError(
                        message: "cursor body item \(itemNumber + 1) is \(length) bytes, above the limit of \(maxItemLength)",
                        path: "", offset: consumed + start))
                }
                return (Int(length), index - start)
            }
        }
        return nil
    }

    private mutating func decodeItem(_ item: ArraySlice<UInt8>, at offset: Int) throws(HranaCodingError) -> CursorEntry? {
        do throws(HranaCodingError) {
            if header == nil {
                header = try Self.decode(CursorResponse.self, item)
                return nil
            }
            let entry = try Self.decode(CursorEntry.self, item)
            if case .unknown = entry { return nil }
            return entry
        } catch {
            var located = error
            located.message = "cursor body item \(itemNumber): \(error.message)"
            located.offset = error.offset.map { $0 + offset }
            throw fail(located)
        }
    }

    private static func decode<M: ProtobufMessage>(_ type: M.Type, _ item: ArraySlice<UInt8>) throws(HranaCodingError) -> M {
        try item.withUnsafeBufferPointer { HranaProtobuf.decode(type, bytes: $0) }.get()
    }

    private mutating func fail(_ error: HranaCodingError) -> HranaCodingError {
        failure = error
        buffer = []
        return error
    }
}
