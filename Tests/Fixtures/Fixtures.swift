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

    /// The inputs that fuzz target `target` saved (see `fuzz/README.md`), sorted by name; empty when none.
    public static func fuzzInputs(_ target: String) throws -> [(name: String, data: Data)] {
        let folder = Bundle.module.resourceURL!.appendingPathComponent("fuzz").appendingPathComponent(target)
        guard FileManager.default.fileExists(atPath: folder.path) else { return [] }
        return try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
            .map { ($0.lastPathComponent, try Data(contentsOf: $0)) }
    }

    /// Every request and response body of the recorded HTTP exchanges (JSON bodies re-serialized), for
    /// tests that need realistic inputs.
    public static func recordedBodies() throws -> [Data] {
        var bodies: [Data] = []
        let folders = [hranaTestServer("v2"), hranaTestServer("v3")]
            + (try FileManager.default.contentsOfDirectory(at: recorded, includingPropertiesForKeys: nil))
        for folder in folders {
            for file in try jsonFiles(in: folder) {
                guard let record = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any]
                else { continue }
                for key in ["request_body", "response_body"] {
                    switch record[key] {
                    case let text as String: bodies.append(Data(text.utf8))
                    case let object as [String: Any]: bodies.append(try JSONSerialization.data(withJSONObject: object))
                    default: continue
                    }
                }
            }
        }
        return bodies
    }

    /// The JSON files of a folder, sorted by name.
    public static func jsonFiles(in folder: URL) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }
}
