import RastroPrimitives

/// The event codes a validator met lately, by their exact bytes, and the event each maps to.
///
/// A file or a handheld spells its events in a handful of ways (`ENTREGADO`, `delivered`, …), so almost every scan
/// repeats a spelling seen a moment before. Mapping a code through the ``EventCatalog`` copies it, lowercases it,
/// hashes it and probes a dictionary; here a code of up to sixteen bytes is two word loads and a compare in a table
/// of eight. Exact bytes are a finer key than the catalog's (which folds case), so an answer found here is the
/// catalog's answer. Codes the catalog does not know are never kept.
public struct RecentEventCodes: Sendable {
    @usableFromInline
    struct Slot: Sendable {
        @usableFromInline var low: UInt64 = 0
        @usableFromInline var high: UInt64 = 0
        /// 0 for an empty slot.
        @usableFromInline var length: UInt8 = 0
        @usableFromInline var event: Event = .pickedUp

        @usableFromInline init() {}

        @usableFromInline init(low: UInt64, high: UInt64, length: UInt8, event: Event) {
            self.low = low
            self.high = high
            self.length = length
            self.event = event
        }
    }

    @usableFromInline var slots = [Slot](repeating: Slot(), count: 8)

    public init() {}

    /// The event of `code` in `catalog`: from the table when these exact bytes were looked up lately.
    @inlinable
    public mutating func event(for code: ByteView, in catalog: EventCatalog) -> Event? {
        let count = code.count
        guard count > 0 && count <= 16 else { return catalog.event(for: code) }
        let low = count >= 8 ? code.load(at: 0, as: UInt64.self) : code.partialWord(at: 0, count: count)
        let high: UInt64
        if count == 16 {
            high = code.load(at: 8, as: UInt64.self)
        } else if count > 8 {
            high = code.partialWord(at: 8, count: count - 8)
        } else {
            high = 0
        }
        let slot = Int(truncatingIfNeeded: (((low ^ (high &* 31)) &+ UInt64(count)) &* 0x9E37_79B9_7F4A_7C15) >> 61)
        let cached = slots[slot]
        if cached.length == UInt8(count) && cached.low == low && cached.high == high { return cached.event }
        guard let event = catalog.event(for: code) else { return nil }
        slots[slot] = Slot(low: low, high: high, length: UInt8(count), event: event)
        return event
    }
}
