import CSQLite
import Fixtures
import Foundation
import Synchronization

/// A SQLite VFS ("powerloss") that wraps the default one and simulates a power cut: once armed for a directory,
/// it counts the durable operations on files there (`xWrite`, `xTruncate`, `xSync`, `xDelete`); the `cut`-th and
/// every later one is silently dropped, as if the machine lost power at that moment and the process carried on
/// into the void. ``PowerLossDisk/reboot(_:)`` then decides what the disk kept of the writes that were never
/// synced. Reads always see the real file.
///
/// A file's creation is durable once it was synced (the unix VFS syncs the directory on a journal's first
/// `xSync`); a deletion with `syncDir` is durable at once.
enum PowerLossVFS {
    static let name = "powerloss"

    /// Registers the VFS (once per process); not the default.
    static func register() {
        _ = registration
    }

    private static let registration: Void = {
        let base = PowerLossVFS.base
        let vfs = UnsafeMutablePointer<sqlite3_vfs>.allocate(capacity: 1)
        vfs.initialize(to: base.pointee)
        vfs.pointee.pNext = nil
        vfs.pointee.zName = UnsafePointer(strdup(name))
        vfs.pointee.szOsFile = Int32(headerSize) + base.pointee.szOsFile
        vfs.pointee.xOpen = vfsOpen
        vfs.pointee.xDelete = vfsDelete
        vfs.pointee.xAccess = { _, path, flags, result in
            PowerLossVFS.base.pointee.xAccess(PowerLossVFS.base, path, flags, result)
        }
        vfs.pointee.xFullPathname = { _, path, count, out in
            PowerLossVFS.base.pointee.xFullPathname(PowerLossVFS.base, path, count, out)
        }
        let status = sqlite3_vfs_register(vfs, 0)
        precondition(status == SQLITE_OK, "could not register the power-loss VFS")
    }()

    /// The wrapper file: `sqlite3_file` (the methods pointer), the file's id, then the real file.
    static let headerSize = 16

    static func real(_ file: UnsafeMutablePointer<sqlite3_file>?) -> UnsafeMutablePointer<sqlite3_file> {
        (UnsafeMutableRawPointer(file!) + headerSize).assumingMemoryBound(to: sqlite3_file.self)
    }

    /// Calls a method of the real file.
    static func forward<Result>(
        _ file: UnsafeMutablePointer<sqlite3_file>?,
        _ body: (UnsafeMutablePointer<sqlite3_file>, sqlite3_io_methods) -> Result
    ) -> Result {
        let real = real(file)
        return body(real, real.pointee.pMethods.pointee)
    }

    static func id(_ file: UnsafeMutablePointer<sqlite3_file>?) -> Int {
        (UnsafeMutableRawPointer(file!) + 8).load(as: Int.self)
    }

    /// The default VFS, which this one wraps (registering this one does not make it the default).
    static var base: UnsafeMutablePointer<sqlite3_vfs> { sqlite3_vfs_find(nil)! }

    nonisolated(unsafe) static let methods: UnsafeMutablePointer<sqlite3_io_methods> = {
        let methods = UnsafeMutablePointer<sqlite3_io_methods>.allocate(capacity: 1)
        methods.initialize(to: sqlite3_io_methods())
        methods.pointee.iVersion = 3
        methods.pointee.xClose = { file in
            let real = PowerLossVFS.real(file)
            let result = real.pointee.pMethods.pointee.xClose(real)
            PowerLossDisk.shared.closed(PowerLossVFS.id(file))
            return result
        }
        methods.pointee.xRead = { file, buffer, count, offset in forward(file) { $1.xRead($0, buffer, count, offset) } }
        methods.pointee.xWrite = { file, buffer, count, offset in
            let real = PowerLossVFS.real(file)
            guard PowerLossDisk.shared.willWrite(PowerLossVFS.id(file), real: real, offset: offset, count: Int(count)) else {
                return SQLITE_OK
            }
            return real.pointee.pMethods.pointee.xWrite(real, buffer, count, offset)
        }
        methods.pointee.xTruncate = { file, size in
            let real = PowerLossVFS.real(file)
            guard PowerLossDisk.shared.willTruncate(PowerLossVFS.id(file), real: real, to: size) else { return SQLITE_OK }
            return real.pointee.pMethods.pointee.xTruncate(real, size)
        }
        methods.pointee.xSync = { file, flags in
            let real = PowerLossVFS.real(file)
            guard PowerLossDisk.shared.willSync(PowerLossVFS.id(file)) else { return SQLITE_OK }
            return real.pointee.pMethods.pointee.xSync(real, flags)
        }
        methods.pointee.xFileSize = { file, size in forward(file) { $1.xFileSize($0, size) } }
        methods.pointee.xLock = { file, level in forward(file) { $1.xLock($0, level) } }
        methods.pointee.xUnlock = { file, level in forward(file) { $1.xUnlock($0, level) } }
        methods.pointee.xCheckReservedLock = { file, result in forward(file) { $1.xCheckReservedLock($0, result) } }
        methods.pointee.xFileControl = { file, op, argument in forward(file) { $1.xFileControl($0, op, argument) } }
        methods.pointee.xSectorSize = { file in forward(file) { $1.xSectorSize($0) } }
        methods.pointee.xDeviceCharacteristics = { file in forward(file) { $1.xDeviceCharacteristics($0) } }
        methods.pointee.xShmMap = { file, page, size, extend, pointer in
            let real = PowerLossVFS.real(file)
            guard real.pointee.pMethods.pointee.iVersion >= 2 else { return SQLITE_IOERR }
            return real.pointee.pMethods.pointee.xShmMap(real, page, size, extend, pointer)
        }
        methods.pointee.xShmLock = { file, offset, count, flags in
            let real = PowerLossVFS.real(file)
            guard real.pointee.pMethods.pointee.iVersion >= 2 else { return SQLITE_IOERR }
            return real.pointee.pMethods.pointee.xShmLock(real, offset, count, flags)
        }
        methods.pointee.xShmBarrier = { file in
            let real = PowerLossVFS.real(file)
            if real.pointee.pMethods.pointee.iVersion >= 2 { real.pointee.pMethods.pointee.xShmBarrier(real) }
        }
        methods.pointee.xShmUnmap = { file, delete in
            let real = PowerLossVFS.real(file)
            guard real.pointee.pMethods.pointee.iVersion >= 2 else { return SQLITE_OK }
            return real.pointee.pMethods.pointee.xShmUnmap(real, delete)
        }
        methods.pointee.xFetch = { file, offset, count, pointer in
            pointer?.pointee = nil  // no memory mapping: every read goes through xRead
            return SQLITE_OK
        }
        methods.pointee.xUnfetch = { _, _, _ in SQLITE_OK }
        return methods
    }()
}

private func vfsOpen(
    _ vfs: UnsafeMutablePointer<sqlite3_vfs>?, _ name: sqlite3_filename?, _ file: UnsafeMutablePointer<sqlite3_file>?,
    _ flags: Int32, _ outFlags: UnsafeMutablePointer<Int32>?
) -> Int32 {
    let base = PowerLossVFS.base
    let path = name.map { String(cString: $0) }
    var existed: Int32 = 0
    if let name { _ = base.pointee.xAccess(base, name, SQLITE_ACCESS_EXISTS, &existed) }
    let real = PowerLossVFS.real(file)
    let result = base.pointee.xOpen(base, name, real, flags, outFlags)
    guard result == SQLITE_OK else {
        file!.pointee.pMethods = nil
        return result
    }
    let id = PowerLossDisk.shared.opened(path, created: existed == 0 && flags & SQLITE_OPEN_CREATE != 0)
    (UnsafeMutableRawPointer(file!) + 8).storeBytes(of: id, as: Int.self)
    file!.pointee.pMethods = UnsafePointer(PowerLossVFS.methods)
    return SQLITE_OK
}

private func vfsDelete(_ vfs: UnsafeMutablePointer<sqlite3_vfs>?, _ name: UnsafePointer<CChar>?, _ syncDirectory: Int32) -> Int32 {
    let base = PowerLossVFS.base
    guard PowerLossDisk.shared.willDelete(name.map { String(cString: $0) }) else { return SQLITE_OK }
    return base.pointee.xDelete(base, name, syncDirectory)
}

/// The state of the simulated disk: what was written since the last sync of each file, and the cut.
final class PowerLossDisk: Sendable {
    static let shared = PowerLossDisk()

    /// What the disk keeps of the writes that were never synced when the power went.
    enum Loss: String, CaseIterable, Sendable, CustomStringConvertible {
        /// None of them.
        case dropUnsynced
        /// All of them (the machine stopped writing at the cut, having flushed everything before it).
        case keepUnsynced
        /// A random half of them (the disk wrote them back in any order).
        case keepSomeUnsynced

        var description: String { rawValue }
    }

    private struct Undo {
        var offset: Int64
        var bytes: [UInt8]
        var sizeBefore: Int64
    }

    private struct FileState {
        var undo: [Undo] = []
        /// Created since the last reboot and not yet synced: gone after a power cut.
        var createdUnsynced = false
    }

    private struct State {
        var directory: String?
        var cut: Int?
        var operations = 0
        var dead = false
        var paths: [Int: String] = [:]
        var nextID = 1
        var files: [String: FileState] = [:]

        func watches(_ path: String) -> Bool {
            guard let directory else { return false }
            return path.hasPrefix(directory + "/")
        }
    }

    private let state = Mutex(State())

    /// Starts counting durable operations on files under `directory`; the `cut`-th is the first one lost (`nil`:
    /// none, to count them).
    func arm(directory: String, cut: Int?) {
        state.withLock { $0 = State(directory: directory, cut: cut, paths: $0.paths, nextID: $0.nextID) }
    }

    /// How many durable operations ran (or were dropped) since ``arm(directory:cut:)``.
    var operations: Int { state.withLock { $0.operations } }
    var poweredOff: Bool { state.withLock { $0.dead } }

    /// The power comes back: unsynced writes are kept or undone as `loss` says, files never synced since their
    /// creation disappear (unless `loss` keeps everything), and the VFS stops counting. Call it once every
    /// connection that used the VFS is closed.
    func reboot(_ loss: Loss, seed: UInt64 = 1) throws {
        let files = state.withLock { state -> [String: FileState] in
            defer { state = State(paths: state.paths, nextID: state.nextID) }
            return state.files
        }
        var random = SeededGenerator(seed: seed)
        for (path, file) in files {
            if loss == .keepUnsynced { continue }
            if file.createdUnsynced, loss == .dropUnsynced || random.next() % 2 == 0 {
                unlink(path)
                continue
            }
            guard !file.undo.isEmpty, let handle = FileHandle(forUpdatingAtPath: path) else { continue }
            for undo in file.undo.reversed() where loss == .dropUnsynced || random.next() % 2 == 0 {
                try handle.seek(toOffset: UInt64(undo.offset))
                try handle.write(contentsOf: undo.bytes)
                try handle.truncate(atOffset: UInt64(undo.sizeBefore))
            }
            try handle.synchronize()
            try handle.close()
        }
    }

    // MARK: Called by the VFS

    func opened(_ path: String?, created: Bool) -> Int {
        state.withLock { state in
            let id = state.nextID
            state.nextID += 1
            if let path {
                state.paths[id] = path
                if created, !state.dead, state.watches(path) {
                    state.files[path, default: FileState()].createdUnsynced = true
                }
            }
            return id
        }
    }

    func closed(_ id: Int) {
        state.withLock { _ = $0.paths.removeValue(forKey: id) }
    }

    /// Counts one durable operation; whether it reaches the disk.
    private func step(_ state: inout State) -> Bool {
        state.operations += 1
        if let cut = state.cut, state.operations >= cut { state.dead = true }
        return !state.dead
    }

    func willWrite(_ id: Int, real: UnsafeMutablePointer<sqlite3_file>, offset: Int64, count: Int) -> Bool {
        state.withLock { state in
            guard let path = state.paths[id], state.watches(path) else { return true }
            guard step(&state) else { return false }
            var size: sqlite3_int64 = 0
            _ = real.pointee.pMethods.pointee.xFileSize(real, &size)
            var old = [UInt8](repeating: 0, count: count)
            if offset < size {
                _ = old.withUnsafeMutableBytes { real.pointee.pMethods.pointee.xRead(real, $0.baseAddress, Int32(count), offset) }
            }
            let kept = Int(max(0, min(Int64(count), size - offset)))
            state.files[path, default: FileState()].undo.append(
                Undo(offset: offset, bytes: Array(old.prefix(kept)), sizeBefore: size))
            return true
        }
    }

    func willTruncate(_ id: Int, real: UnsafeMutablePointer<sqlite3_file>, to newSize: Int64) -> Bool {
        state.withLock { state in
            guard let path = state.paths[id], state.watches(path) else { return true }
            guard step(&state) else { return false }
            var size: sqlite3_int64 = 0
            _ = real.pointee.pMethods.pointee.xFileSize(real, &size)
            guard newSize < size else { return true }
            var old = [UInt8](repeating: 0, count: Int(size - newSize))
            _ = old.withUnsafeMutableBytes { real.pointee.pMethods.pointee.xRead(real, $0.baseAddress, Int32($0.count), newSize) }
            state.files[path, default: FileState()].undo.append(Undo(offset: newSize, bytes: old, sizeBefore: size))
            return true
        }
    }

    func willSync(_ id: Int) -> Bool {
        state.withLock { state in
            guard let path = state.paths[id], state.watches(path) else { return true }
            guard step(&state) else { return false }
            state.files[path] = FileState()
            return true
        }
    }

    func willDelete(_ path: String?) -> Bool {
        state.withLock { state in
            guard let path, state.watches(path) else { return true }
            guard step(&state) else { return false }
            state.files[path] = nil
            return true
        }
    }
}
