/// A key the project's own hash tables (``DeltaTable``, ``KeyIndex``) hash with ``FastHash``: a well-mixed 64-bit
/// hash computed directly from the key's fields, instead of through `Hasher` (SipHash), which resists hash flooding
/// at several times the cost. The keys of these tables are values the store derives itself (ids, days, validated
/// identifiers), so flooding is not a concern there; `Dictionary` and `Set` keep using `Hasher`.
public protocol FastHashable: Equatable {
    /// A hash of every field that `==` compares; equal keys have equal hashes.
    var fastHash: UInt64 { get }
}

extension UInt32: FastHashable {
    @inlinable public var fastHash: UInt64 { FastHash.mix(UInt64(self)) }
}

extension UInt64: FastHashable {
    @inlinable public var fastHash: UInt64 { FastHash.mix(self) }
}
