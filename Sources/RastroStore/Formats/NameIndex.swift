import RastroCore
import RastroPrimitives

/// Lookups in the `names` database: tracking id → item id, through sorted blocks keyed by their first name.
enum NameIndex {
    /// Positions `cursor` on the block that holds (or would hold) `name` and decodes it; returns the block's first
    /// name and the next block's first name, or `nil` when `name` sorts before every block.
    static func locateBlock(_ cursor: inout Cursor, _ name: InlineBytes, into block: inout NameBlock) throws
        -> (first: InlineBytes, next: InlineBytes?)?
    {
        let atOrAfter = try name.withBytes { try cursor.seek(atOrAfter: $0) }
        var entry: Cursor.Entry?
        var next: InlineBytes? = nil
        if let found = atOrAfter, InlineBytes(found.key) == name {
            entry = found  // This block starts with the name.
        } else if let found = atOrAfter {
            let following = InlineBytes(found.key)
            if let previous = try cursor.previous() {
                entry = previous
                next = following
            } else {
                // The name sorts before every block: the first block is where it belongs.
                entry = try cursor.first()
            }
        } else {
            entry = try cursor.last()
        }
        guard let found = entry else { return nil }
        do throws(StoreCorruption) {
            try block.decode(found.value)
        } catch {
            throw error.located("names", InlineBytes(found.key).string)
        }
        if next == nil, let following = try cursor.next() {
            next = InlineBytes(following.key)
            _ = try cursor.previous()
        }
        return (InlineBytes(found.key), next)
    }


    /// The item id of a tracking id, or `nil` when the store has never seen it.
    static func itemID(_ name: InlineBytes, transaction: Transaction, database: Database) throws -> UInt32? {
        var block = NameBlock()
        return try transaction.withCursor(database) { cursor -> UInt32? in
            guard try locateBlock(&cursor, name, into: &block) != nil else { return nil }
            let (position, found) = block.search(name)
            return found ? block.ids[position] : nil
        }
    }
}
