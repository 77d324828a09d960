import RastroCore

extension StoreReader {
    /// Calls `body` with every trace block in item order, each decoded in turn into one reused value: a walk over every
    /// stored scan that holds one block in memory at a time, inside this reader's single transaction.
    ///
    /// `body` returns `false` to stop early.
    public func forEachBlock(_ body: (TraceBlock) throws -> Bool) throws {
        var block = TraceBlock(number: 0)
        try transaction.withCursor(databases.items) { cursor in
            var entry = try cursor.first()
            while let current = entry {
                guard current.key.count == 4 else {
                    throw StoreCorruption("items: a key of \(current.key.count) bytes where block numbers have 4")
                }
                let number = current.key.load(at: 0, as: UInt32.self).bigEndian
                try decode(current.value, number: number, into: &block)
                if try !body(block) { return }
                entry = try cursor.next()
            }
        }
    }
}
