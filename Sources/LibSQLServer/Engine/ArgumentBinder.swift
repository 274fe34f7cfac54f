import Hrana
import SQLiteCore

/// Binds a statement's arguments like sqld's `Params::bind`.
///
/// Positional xor named; more arguments than parameters is an error; for each parameter: `?NNN` takes
/// positional argument NNN, a named parameter takes the argument with its exact name (prefix included)
/// or else its name without the prefix, an anonymous `?` takes the positional argument at its index.
/// A parameter without a value is an error, except in `EXPLAIN` statements.
enum ArgumentBinder {
    static func bind(_ stmt: Stmt, to statement: SQLiteStatement) throws(ProtocolError) {
        let args = stmt.effectiveArgs
        let namedArgs = stmt.effectiveNamedArgs
        if !args.isEmpty && !namedArgs.isEmpty { throw EngineError.argsBothKinds }
        let parameterCount = Int(statement.parameterCount)
        let provided = max(args.count, namedArgs.count)
        guard parameterCount >= provided else {
            throw EngineError.argsInvalid("too many parameters, expected \(parameterCount) found \(provided)")
        }
        guard parameterCount > 0 else { return }
        var named: [String: Value] = [:]
        for arg in namedArgs where named[arg.name] == nil { named[arg.name] = arg.value }
        let isExplain = statement.isExplain

        for index in 1...parameterCount {
            let name = statement.parameterName(Int32(index))
            let value: Value?
            if let name, let prefix = name.first {
                let rest = name.dropFirst()
                if prefix == "?" {
                    guard let position = Int(rest), position >= 1 else {
                        throw EngineError.argsInvalid("invalid parameter position \(name)")
                    }
                    value = position <= args.count ? args[position - 1] : nil
                } else {
                    value = named[name] ?? named[String(rest)]
                }
            } else {
                value = index <= args.count ? args[index - 1] : nil
            }
            guard let value else {
                if isExplain { continue }
                throw EngineError.argsInvalid("value for parameter \(name ?? String(index)) not found")
            }
            do {
                try statement.bind(value, at: Int32(index))
            } catch {
                throw EngineError.sqlite(error, atPrepare: false)
            }
        }
    }
}
