/// Numbers for requests, streams, cursors or stored SQL on one socket: a released number is reused first, else
/// the next one never used, from 0.
struct IDAllocator {
    private var next: Int32 = 0
    private var free: [Int32] = []

    mutating func allocate() -> Int32 {
        if let id = free.popLast() { return id }
        defer { next &+= 1 }
        return next
    }

    mutating func release(_ id: Int32) {
        free.append(id)
    }
}
