import Foundation
import LibSQLClient

/// What destroying an owner does to the records of one of its `hasMany`/`hasOne` associations (Rails'
/// `dependent:`).
public enum DependentAction: Sendable, Hashable {
    /// Loads the associated records and destroys each with its callbacks (and its own dependents).
    case destroy
    /// Deletes the associated rows in one statement, without callbacks.
    case deleteAll
    /// Sets their foreign key to `NULL` in one statement, without callbacks.
    case nullify
    /// Refuses to destroy the owner while associated records exist: ``RecordError/Kind/recordNotDestroyed``
    /// with the reason in ``RecordError/validationErrors`` under `base`, as Rails reports it.
    case restrictWithError
}

/// A `hasMany` or `hasOne` association whose ``DependentAction`` runs when the owner is destroyed; list them in
/// ``Model/dependents`` (Swift cannot enumerate a type's static properties):
///
/// ```swift
/// struct User: Model {
///     static let posts = hasMany(Post.self, dependent: .destroy)
///     static let profile = hasOne(Profile.self, dependent: .deleteAll)
///     static var dependents: [Dependent<User>] { [Dependent(posts), Dependent(profile)] }
///     …
/// }
/// ```
public struct Dependent<Owner: Model>: Sendable {
    let name: String
    let action: DependentAction?
    let run: @Sendable (Owner, RecordConnection) async throws -> Void

    /// The dependent action of a `hasMany` association.
    public init<Target: Model>(_ association: HasMany<Owner, Target>) {
        self.init(Target.self, foreignKey: association.foreignKey, action: association.dependent, many: true)
    }

    /// The dependent action of a `hasOne` association.
    public init<Target: Model>(_ association: HasOne<Owner, Target>) {
        self.init(Target.self, foreignKey: association.foreignKey, action: association.dependent, many: false)
    }

    private init<Target: Model>(_ target: Target.Type, foreignKey: String, action: DependentAction?, many: Bool) {
        name = Target.tableName
        self.action = action
        let name = self.name
        run = { owner, connection in
            let scope = Target.query(on: connection).where(Column(foreignKey) == (try owner.primaryKeyValue()))
            switch action {
            case .destroy:
                for record in try await (many ? scope.all() : scope.limit(1).all()) { try await record.destroy(on: connection) }
            case .deleteAll:
                _ = try await scope.deleteAll()
            case .nullify:
                _ = try await scope.updateAll([foreignKey: SQLValue.null])
            case .restrictWithError:
                guard try await scope.exists() else { return }
                var errors = ValidationErrors()
                errors.add("base", "Cannot delete record because dependent \(name) exist")
                throw RecordError(
                    .recordNotDestroyed, "Failed to destroy \(Owner.self): dependent \(name) exist", validationErrors: errors)
            case nil:
                throw RecordError(.statementInvalid, "\(Owner.self).dependents lists the \(name) association, which declares no dependent: action")
            }
        }
    }
}
