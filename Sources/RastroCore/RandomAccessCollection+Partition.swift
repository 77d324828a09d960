extension RandomAccessCollection {
    /// The index of the first element that belongs in the second partition, in a collection partitioned by
    /// `belongsInSecondPartition` (every element for which it is false comes first), or `endIndex` when none does: a
    /// binary search. On a sorted collection, `partitioningIndex { $0 >= value }` is where `value` is or would go.
    ///
    /// The semantics of swift-algorithms' method of the same name; one binary search for the store's sorted tables
    /// (name blocks, seq ranges, receive times, staged blocks, index records) instead of a loop written in each.
    @inlinable
    public func partitioningIndex(where belongsInSecondPartition: (Element) throws -> Bool) rethrows -> Index {
        var low = startIndex
        var remaining = count
        while remaining > 0 {
            let half = remaining / 2
            let middle = index(low, offsetBy: half)
            if try belongsInSecondPartition(self[middle]) {
                remaining = half
            } else {
                low = index(after: middle)
                remaining -= half + 1
            }
        }
        return low
    }
}
