/// A Hrana protocol version spoken over HTTP.
public enum ProtocolVersion: Int, Sendable, Hashable, Comparable, CaseIterable {
    /// Hrana 2: `/v2/pipeline`.
    case v2 = 2
    /// Hrana 3: `/v3/pipeline` and `/v3/cursor`, `get_autocommit`, `is_autocommit`.
    case v3 = 3

    /// The probe path, e.g. `v3`.
    public var pathComponent: String { "v\(rawValue)" }
    /// The pipeline path relative to the base URL, e.g. `v3/pipeline`.
    public var pipelinePath: String { "v\(rawValue)/pipeline" }

    public static func < (lhs: ProtocolVersion, rhs: ProtocolVersion) -> Bool { lhs.rawValue < rhs.rawValue }
}

extension StreamRequest {
    /// The oldest protocol version that can carry this request, its statements and conditions.
    public var minimumVersion: ProtocolVersion {
        switch self {
        case .getAutocommit: .v3
        case .batch(let batch): batch.minimumVersion
        default: .v2
        }
    }
}

extension Batch {
    /// The oldest protocol version whose conditions this batch uses.
    public var minimumVersion: ProtocolVersion {
        steps.contains { $0.condition?.minimumVersion == .v3 } ? .v3 : .v2
    }
}

extension BatchCondition {
    /// The oldest protocol version that knows this condition.
    public var minimumVersion: ProtocolVersion {
        switch self {
        case .ok, .error: .v2
        case .isAutocommit: .v3
        case .not(let condition): condition.minimumVersion
        case .and(let conditions), .or(let conditions): conditions.map(\.minimumVersion).max() ?? .v2
        }
    }
}

extension PipelineRequest {
    /// The oldest protocol version that can carry every request of this pipeline.
    public var minimumVersion: ProtocolVersion { requests.map(\.minimumVersion).max() ?? .v2 }
}

/// A message uses a feature that the protocol version it is sent with does not have.
public struct UnsupportedFeatureError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The feature (`get_autocommit`, `is_autocommit`, `cursor`).
    public var feature: String
    /// Where in the message, e.g. `requests[0].batch.steps[3].condition`.
    public var path: String
    /// The version the feature needs.
    public var requiredVersion: ProtocolVersion
    /// The version the message was checked against.
    public var version: ProtocolVersion

    /// Creates an error.
    public init(feature: String, path: String, requiredVersion: ProtocolVersion, version: ProtocolVersion) {
        self.feature = feature
        self.path = path
        self.requiredVersion = requiredVersion
        self.version = version
    }

    public var description: String {
        "\(feature) at \(path) needs Hrana \(requiredVersion.rawValue), but the stream speaks Hrana \(version.rawValue)"
    }
}

extension PipelineRequest {
    /// Throws when a request needs a newer version than `version`, naming the first offending request.
    public func validate(for version: ProtocolVersion) throws(UnsupportedFeatureError) {
        for (index, request) in requests.enumerated() {
            let path = "requests[\(index)]"
            switch request {
            case .getAutocommit where version < .v3:
                throw UnsupportedFeatureError(feature: "get_autocommit", path: path, requiredVersion: .v3, version: version)
            case .batch(let batch):
                try batch.validate(for: version, path: path + ".batch")
            default:
                break
            }
        }
    }
}

extension CursorRequest {
    /// Throws when `version` has no cursors (before Hrana 3) or the batch needs a newer version.
    public func validate(for version: ProtocolVersion) throws(UnsupportedFeatureError) {
        guard version >= .v3 else {
            throw UnsupportedFeatureError(feature: "cursor", path: "", requiredVersion: .v3, version: version)
        }
        try batch.validate(for: version, path: "batch")
    }
}

extension Batch {
    /// Throws when a step's condition needs a newer version than `version`, naming the step.
    public func validate(for version: ProtocolVersion, path: String = "") throws(UnsupportedFeatureError) {
        for (index, step) in steps.enumerated() {
            guard let condition = step.condition, condition.minimumVersion > version else { continue }
            let prefix = path.isEmpty ? "" : path + "."
            throw UnsupportedFeatureError(
                feature: "is_autocommit", path: "\(prefix)steps[\(index)].condition",
                requiredVersion: condition.minimumVersion, version: version)
        }
    }

    /// The first step whose condition refers to itself or a later step (servers reject such batches), with
    /// the offending reference.
    public var firstInvalidStepReference: (step: Int, reference: UInt32)? {
        for (index, step) in steps.enumerated() {
            if let reference = step.condition?.stepReferences.first(where: { Int($0) >= index }) {
                return (index, reference)
            }
        }
        return nil
    }
}

extension BatchCondition {
    /// Every step index the condition refers to.
    public var stepReferences: [UInt32] {
        switch self {
        case .ok(let step), .error(let step): [step]
        case .not(let condition): condition.stepReferences
        case .and(let conditions), .or(let conditions): conditions.flatMap(\.stepReferences)
        case .isAutocommit: []
        }
    }
}
