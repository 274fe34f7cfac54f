import Foundation

/// A unique database path in a fresh temporary folder, removed with the folder by `remove()`.
struct TemporaryDatabase {
    let folder: URL
    let path: String

    init() {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("sqlitecore-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        path = folder.appendingPathComponent("test.db").path
    }

    func remove() {
        try? FileManager.default.removeItem(at: folder)
    }
}
