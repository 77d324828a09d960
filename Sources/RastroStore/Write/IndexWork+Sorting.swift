import RastroCore
import RastroPrimitives

extension IndexWork {
    /// Sorts records whose order compares their time first (cell records, current states): by the time as integers,
    /// then each run of equal times by the records' own order. The result is exactly `records.sort()`'s.
    ///
    /// Each record's time since the earliest is packed above its position (`time << 24 | position`) and the integers
    /// sorted (``RadixSort``, the positions presorted); the records are then gathered in that order. A comparison sort
    /// of the records themselves compares four or five fields per step. Times
    /// spanning 2^40 ms or more (35 years), or more than 2^24 records, fall back to that sort.
    static func sortByTime<Record: Comparable>(
        _ records: inout [Record], keys: inout [UInt64], scratch: inout [UInt64], time: (Record) -> Int64
    ) {
        let count = records.count
        guard count > 1 else { return }
        var earliest = Int64.max
        var latest = Int64.min
        for record in records {
            let value = time(record)
            earliest = min(earliest, value)
            latest = max(latest, value)
        }
        let (span, overflow) = latest.subtractingReportingOverflow(earliest)
        guard count < 1 << 24, !overflow, span < 1 << 40 else {
            records.sort()
            return
        }
        keys.removeAll(keepingCapacity: true)
        for (position, record) in records.enumerated() {
            keys.append(UInt64(time(record) - earliest) << 24 | UInt64(position))
        }
        RadixSort.sort(&keys, scratch: &scratch, presortedLowBits: 24)
        let unsorted = records
        var start = 0
        for position in 0..<count {
            records[position] = unsorted[Int(truncatingIfNeeded: keys[position] & 0xFF_FFFF)]
            // A run of equal times ends before this record: order it by the records' full order.
            if position > 0 && keys[position] >> 24 != keys[position - 1] >> 24 {
                if position - start > 1 { records[start..<position].sort() }
                start = position
            }
        }
        if count - start > 1 { records[start..<count].sort() }
    }
}
