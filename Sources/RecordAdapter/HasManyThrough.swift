import Foundation
import LibSQLClient

/// `Owner` reaches many `Target` rows through an intermediate model (Rails' `has_many :through`):
/// `User.hasMany(Comment.self, through: User.posts, source: Post.comments)` or, over a join table,
/// `Post.hasMany(Tag.self, through: Post.taggings, source: Tagging.tag)`.
public struct HasManyThrough<Owner: Model, Through: Model, Target: Model>: Sendable {
    enum Source: Sendable {
        /// `Target.<foreignKey>` holds the intermediate row's primary key.
        case hasMany(foreignKey: String)
        /// `Through.<foreignKey>` holds the target's primary key.
        case belongsTo(foreignKey: String)
    }

    /// The owner's association to the intermediate model.
    public let through: HasMany<Owner, Through>
    let source: Source

    /// A query for the targets of one record (one statement, with a subquery on the intermediate table).
    public func query(for owner: Owner, on connection: RecordConnection? = nil) throws -> Query<Target> {
        let middle = SQLQuoting.identifier(Through.tableName)
        let ownerKey = SQLQuoting.identifier(through.foreignKey)
        let key = try owner.primaryKeyValue()
        switch source {
        case .hasMany(let foreignKey):
            return Target.query(on: connection).where(
                "\(SQLQuoting.identifier(foreignKey)) IN (SELECT \(SQLQuoting.identifier(Through.primaryKey)) FROM \(middle) WHERE \(ownerKey) = ?)",
                key)
        case .belongsTo(let foreignKey):
            return Target.query(on: connection).where(
                "\(SQLQuoting.identifier(Target.primaryKey)) IN (SELECT \(SQLQuoting.identifier(foreignKey)) FROM \(middle) WHERE \(ownerKey) = ?)",
                key)
        }
    }

    /// The targets of one record.
    public func load(for owner: Owner, on connection: RecordConnection? = nil) async throws -> [Target] {
        try await query(for: owner, on: connection).all()
    }

    /// The targets of many records in two queries, one per level (the intermediate rows, then the targets),
    /// never one per record. A target reached through several intermediate rows appears once per owner.
    public func preload(for owners: [Owner], on connection: RecordConnection? = nil) async throws -> Preloaded<Owner, [Target]> {
        let middles = try await through.preload(for: owners, on: connection)
        let middleRows = middles.values.values.flatMap { $0 }
        var byMiddle: [SQLValue: [Target]] = [:]
        switch source {
        case .hasMany(let foreignKey):
            let loaded = try await HasMany<Through, Target>(foreignKey: foreignKey, dependent: nil).preload(for: middleRows, on: connection)
            byMiddle = loaded.values
        case .belongsTo(let foreignKey):
            let loaded = try await BelongsTo<Through, Target>(foreignKey: foreignKey).preload(for: middleRows, on: connection)
            for (key, target) in loaded.values { if let target { byMiddle[key] = [target] } }
        }
        var byOwner: [SQLValue: [Target]] = [:]
        for (ownerKey, rows) in middles.values {
            var seen: Set<SQLValue> = []
            for middle in rows {
                let key: SQLValue
                switch source {
                case .hasMany: key = try middle.primaryKeyValue()
                case .belongsTo(let foreignKey): key = try middle.columnValues()[foreignKey] ?? .null
                }
                for target in byMiddle[key] ?? [] where seen.insert(try target.primaryKeyValue()).inserted {
                    byOwner[ownerKey, default: []].append(target)
                }
            }
        }
        return Preloaded(keyColumn: Owner.primaryKey, values: byOwner, empty: [])
    }
}

extension Model {
    /// Declares that `Target` rows are reached through `through`, whose records each have many targets
    /// (`User.hasMany(Comment.self, through: User.posts, source: Post.comments)`).
    public static func hasMany<Through: Model, Target: Model>(
        _ target: Target.Type, through: HasMany<Self, Through>, source: HasMany<Through, Target>
    ) -> HasManyThrough<Self, Through, Target> {
        HasManyThrough(through: through, source: .hasMany(foreignKey: source.foreignKey))
    }

    /// Declares that `Target` rows are reached through `through`, whose records each belong to one target (a
    /// join table: `Post.hasMany(Tag.self, through: Post.taggings, source: Tagging.tag)`).
    public static func hasMany<Through: Model, Target: Model>(
        _ target: Target.Type, through: HasMany<Self, Through>, source: BelongsTo<Through, Target>
    ) -> HasManyThrough<Self, Through, Target> {
        HasManyThrough(through: through, source: .belongsTo(foreignKey: source.foreignKey))
    }
}
