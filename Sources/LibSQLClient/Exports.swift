// The wire types (`Value`, `TransactionMode`, `ErrorCode`, `ConstraintKind`...) are part of the client's API.
@_exported import Hrana
