/// The field ranges of the record being tokenised: one buffer per reader, allocated once and sized for the longest
/// record allowed (a record of n bytes has at most n + 1 fields), so that a field costs a store and an increment
/// rather than an array append with its uniqueness and capacity checks (ten per record).
struct FieldRanges {
    private let storage: UnsafeMutableBufferPointer<CSVScanReader.FieldRange>
    private(set) var count = 0

    /// Room for the fields of a record of up to `maximumRecordBytes` bytes.
    init(maximumRecordBytes: Int) {
        storage = .allocate(capacity: maximumRecordBytes + 2)
        storage.initialize(repeating: CSVScanReader.FieldRange(start: 0, end: 0, escaped: false, quoted: false))
    }

    /// Frees the buffer; the owner calls it once, from its `deinit`.
    func deallocate() { storage.deallocate() }

    var indices: Range<Int> { 0..<count }

    mutating func removeAll() { count = 0 }

    @inline(__always)
    mutating func append(_ field: CSVScanReader.FieldRange) {
        precondition(count < storage.count, "a record has more fields than bytes")
        storage[count] = field
        count += 1
    }

    @inline(__always)
    subscript(index: Int) -> CSVScanReader.FieldRange {
        precondition(index >= 0 && index < count, "field \(index) of \(count)")
        return storage[index]
    }
}
