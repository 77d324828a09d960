import RastroCore
import RastroPrimitives

/// Stored bytes that do not decode: a bug or a damaged file, reported with the database and key when known.
public typealias StoreCorruption = CorruptBytes
