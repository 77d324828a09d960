/// An array of fixed capacity allocated once and reused: an append is a store and an increment, without the
/// uniqueness and capacity checks of `Array.append`, for per-record scratch such as a CSV record's field ranges.
///
/// Invariants: `0 <= count <= capacity` (checked on every append, also in release builds: overflowing it would write
/// past the allocation); reads are inside `0..<count` (asserted in debug builds). The owner calls ``deallocate()``
/// once, from its `deinit`; the struct is not copied after that.
public struct FixedArray<Element: BitwiseCopyable> {
    @usableFromInline let storage: UnsafeMutableBufferPointer<Element>
    @usableFromInline var used = 0
    @inlinable public var count: Int { used }

    /// Room for `capacity` elements, each initialised to `filler`.
    public init(capacity: Int, filler: Element) {
        storage = .allocate(capacity: capacity)
        storage.initialize(repeating: filler)
    }

    /// Frees the buffer.
    public func deallocate() { storage.deallocate() }

    public var capacity: Int { storage.count }
    @inlinable public var indices: Range<Int> { 0..<count }

    @inlinable
    public mutating func removeAll() { used = 0 }

    @inlinable @inline(__always)
    public mutating func append(_ element: Element) {
        precondition(used < storage.count, "FixedArray holds at most \(storage.count) elements")
        storage[used] = element
        used += 1
    }

    @inlinable
    public subscript(index: Int) -> Element {
        @inline(__always) get {
            assert(index >= 0 && index < count, "element \(index) of \(count)")
            return storage[index]
        }
    }
}

/// A byte buffer allocated once and reused as scratch space (a record's unescaped fields, say). Views of it are
/// valid while its owner holds it and until the bytes they show are written again; the owner calls
/// ``deallocate()`` once, from its `deinit`.
public struct ScratchBytes {
    @usableFromInline let storage: UnsafeMutableRawBufferPointer

    public init(count: Int) {
        storage = .allocate(byteCount: count, alignment: 8)
        storage.initializeMemory(as: UInt8.self, repeating: 0)
    }

    public func deallocate() { storage.deallocate() }

    /// All the bytes, writable.
    @inlinable
    public var bytes: MutableByteView { MutableByteView(borrowing: storage) }
}
