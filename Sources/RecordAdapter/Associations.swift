import Foundation
import LibSQLClient

/// `Owner` holds a foreign key to one `Target` (Rails' `belongs_to`): `Post.belongsTo(User.self)` reads
/// `posts.user_id`.
public struct BelongsTo<Owner: Model, Target: Model>: Sendable {
    /// The owner's column holding the target's primary key.
    public let foreignKey: String

    /// The target of one record, or `nil` when its foreign key is `NULL` or dangling.
    public func load(for owner: Owner, on connection: RecordConnection? = nil) async throws -> Target? {
        let key = try owner.columnValues()[foreignKey] ?? .null
        guard key != .null else { return nil }
        return try await Target.query(on: connection).where(Column(Target.primaryKey) == key).first()
    }

    /// The targets of many records in one query (`WHERE id IN (…)`), never one query per record.
    public func preload(for owners: [Owner], on connection: RecordConnection? = nil) async throws -> Preloaded<Owner, Target?> {
        let keys = try owners.map { try $0.columnValues()[foreignKey] ?? .null }
        let distinct = Array(Set(keys.filter { $0 != .null }))
        let targets = distinct.isEmpty ? [] : try await Target.query(on: connection).where(Column(Target.primaryKey).in(distinct)).all()
        var byKey: [SQLValue: Target] = [:]
        for target in targets { byKey[try target.primaryKeyValue()] = target }
        return Preloaded(keyColumn: foreignKey, values: byKey.mapValues { $0 }, empty: nil)
    }
}

/// `Owner` is referenced by many `Target` rows (Rails' `has_many`): `User.hasMany(Post.self)` reads
/// `posts.user_id`.
public struct HasMany<Owner: Model, Target: Model>: Sendable {
    /// The target's column holding the owner's primary key.
    public let foreignKey: String
    /// What destroying the owner does to the targets (run when the association is in ``Model/dependents``).
    public var dependent: DependentAction?

    /// A query for the targets of one record, to refine further (`.order(…)`, `.where(…)`).
    public func query(for owner: Owner, on connection: RecordConnection? = nil) throws -> Query<Target> {
        Target.query(on: connection).where(Column(foreignKey) == (try owner.primaryKeyValue()))
    }

    /// The targets of one record.
    public func load(for owner: Owner, on connection: RecordConnection? = nil) async throws -> [Target] {
        try await query(for: owner, on: connection).all()
    }

    /// The targets of many records in one query (`WHERE user_id IN (…)`), ordered by `order`.
    public func preload(for owners: [Owner], order: Ordering? = nil, on connection: RecordConnection? = nil) async throws -> Preloaded<Owner, [Target]> {
        let keys = Array(Set(try owners.map { try $0.primaryKeyValue() }.filter { $0 != .null }))
        var query = Target.query(on: connection).where(Column(foreignKey).in(keys))
        query = query.order(order ?? Ordering.parse(Target.primaryKey))
        let targets = keys.isEmpty ? [] : try await query.all()
        var byKey: [SQLValue: [Target]] = [:]
        for target in targets { byKey[try target.columnValues()[foreignKey] ?? .null, default: []].append(target) }
        return Preloaded(keyColumn: Owner.primaryKey, values: byKey, empty: [])
    }
}

/// `Owner` is referenced by at most one `Target` row (Rails' `has_one`).
public struct HasOne<Owner: Model, Target: Model>: Sendable {
    /// The target's column holding the owner's primary key.
    public let foreignKey: String
    /// What destroying the owner does to the target (run when the association is in ``Model/dependents``).
    public var dependent: DependentAction?

    /// The target of one record, or `nil`.
    public func load(for owner: Owner, on connection: RecordConnection? = nil) async throws -> Target? {
        try await Target.query(on: connection).where(Column(foreignKey) == (try owner.primaryKeyValue())).first()
    }

    /// The targets of many records in one query.
    public func preload(for owners: [Owner], on connection: RecordConnection? = nil) async throws -> Preloaded<Owner, Target?> {
        let many = try await HasMany<Owner, Target>(foreignKey: foreignKey, dependent: nil).preload(for: owners, on: connection)
        return Preloaded(keyColumn: Owner.primaryKey, values: many.values.compactMapValues(\.first), empty: nil)
    }
}

/// Associated records loaded for many owners at once; look them up by owner: `posts[user]`.
public struct Preloaded<Owner: Model, Loaded: Sendable>: Sendable {
    let keyColumn: String
    let values: [SQLValue: Loaded]
    let empty: Loaded

    /// The associated value of one owner (empty or `nil` when it has none).
    public subscript(owner: Owner) -> Loaded {
        guard let key = try? owner.columnValues()[keyColumn] else { return empty }
        return values[key] ?? empty
    }
}

extension Model {
    /// Declares that this model holds a foreign key to `Target` (default column: `<target>_id`).
    public static func belongsTo<Target: Model>(_ target: Target.Type, foreignKey: String? = nil) -> BelongsTo<Self, Target> {
        BelongsTo(foreignKey: foreignKey ?? Inflection.snakeCase(String(describing: Target.self)) + "_id")
    }

    /// Declares that `Target` rows reference this model (default column: `<this model>_id`).
    public static func hasMany<Target: Model>(
        _ target: Target.Type, foreignKey: String? = nil, dependent: DependentAction? = nil
    ) -> HasMany<Self, Target> {
        HasMany(foreignKey: foreignKey ?? Inflection.snakeCase(String(describing: Self.self)) + "_id", dependent: dependent)
    }

    /// Declares that at most one `Target` row references this model (default column: `<this model>_id`).
    public static func hasOne<Target: Model>(
        _ target: Target.Type, foreignKey: String? = nil, dependent: DependentAction? = nil
    ) -> HasOne<Self, Target> {
        HasOne(foreignKey: foreignKey ?? Inflection.snakeCase(String(describing: Self.self)) + "_id", dependent: dependent)
    }
}
