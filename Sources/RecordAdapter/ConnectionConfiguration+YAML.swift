import Foundation
import Yams

extension ConnectionConfiguration {
    /// Reads one environment of a Rails-style `database.yml`:
    ///
    /// ```yaml
    /// default: &default
    ///   adapter: turso
    ///   database: ${TURSO_DATABASE_URL}
    ///   token: ${TURSO_AUTH_TOKEN}
    /// production:
    ///   <<: *default
    ///   replica_path: /var/data/app.db
    /// ```
    /// `<<: *alias` merges, `${NAME}` (and the seed's `<%= ENV["NAME"] %>`) take values from `environmentVariables`;
    /// an unset variable is an error, `${NAME:-fallback}` gives a fallback.
    public init(yaml: String, environment: String, environmentVariables: [String: String] = ProcessInfo.processInfo.environment) throws {
        let loaded: Any?
        do {
            loaded = try Yams.load(yaml: yaml)
        } catch {
            throw RecordError(.configurationInvalid, "database.yml is not valid YAML: \(error)")
        }
        guard let root = loaded as? [String: Any] else {
            throw RecordError(.configurationInvalid, "database.yml must map environment names to settings")
        }
        guard let section = root[environment] else {
            throw RecordError(.configurationInvalid, "database.yml has no \(environment) environment (has \(root.keys.sorted().joined(separator: ", ")))")
        }
        guard let settings = section as? [String: Any] else {
            throw RecordError(.configurationInvalid, "database.yml: \(environment) must be a mapping of settings")
        }
        var dictionary: [String: any Sendable] = [:]
        for (key, value) in settings.sorted(by: { $0.key < $1.key }) {
            switch value {
            case let text as String: dictionary[key] = try Self.substitute(text, key: key, environmentVariables)
            case let number as Int: dictionary[key] = number
            case is NSNull: continue
            default: throw RecordError(.configurationInvalid, "database.yml: \(environment).\(key) must be text or a number")
            }
        }
        try self.init(dictionary: dictionary, source: "database.yml (\(environment))")
    }

    /// Reads one environment of a `database.yml` file.
    public init(yamlFile path: String, environment: String, environmentVariables: [String: String] = ProcessInfo.processInfo.environment) throws {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw RecordError(.configurationInvalid, "Cannot read \(path): \(error.localizedDescription)")
        }
        try self.init(yaml: text, environment: environment, environmentVariables: environmentVariables)
    }

    static func substitute(_ text: String, key: String, _ variables: [String: String]) throws -> String {
        let pattern = #"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|<%=\s*ENV\[\s*["']([A-Za-z_][A-Za-z0-9_]*)["']\s*\]\s*%>"#
        let regex = try NSRegularExpression(pattern: pattern)
        let source = text as NSString
        var result = ""
        var last = 0
        for match in regex.matches(in: text, range: NSRange(location: 0, length: source.length)) {
            result += source.substring(with: NSRange(location: last, length: match.range.location - last))
            let nameRange = match.range(at: 1).location != NSNotFound ? match.range(at: 1) : match.range(at: 3)
            let name = source.substring(with: nameRange)
            if let value = variables[name] {
                result += value
            } else if match.range(at: 2).location != NSNotFound {
                result += source.substring(with: match.range(at: 2))
            } else {
                throw RecordError(.configurationInvalid, "database.yml: \(key) uses \(name), which is not set")
            }
            last = match.range.location + match.range.length
        }
        result += source.substring(from: last)
        return result
    }
}
