import Foundation

/// Locates the recorded protocol exchanges bundled for replay tests.
public enum Fixtures {
    /// The folder of the reference Hrana test server's exchanges for one protocol version (`"v2"` or `"v3"`).
    public static func hranaTestServer(_ version: String) -> URL {
        Bundle.module.resourceURL!.appendingPathComponent("hrana-test-server").appendingPathComponent(version)
    }

    /// The folder of sqld's own snapshot files.
    public static var sqldSnapshots: URL {
        Bundle.module.resourceURL!.appendingPathComponent("sqld-snapshots")
    }

    /// The folder of exchanges recorded from this project's server by the client's recording transport.
    public static var recorded: URL {
        Bundle.module.resourceURL!.appendingPathComponent("recorded")
    }

    /// The JSON files of a folder, sorted by name.
    public static func jsonFiles(in folder: URL) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }
}
