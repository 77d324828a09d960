/// The elements of an array lent for the length of a closure, read without the array's bounds and uniqueness checks:
/// for the write path's per-scan loops over dense columns (hashes, item ids, statuses), where those checks are a
/// measurable share of the loop.
///
/// Invariants: a view lives no longer than the closure that lent it, and the array is not resized meanwhile; every
/// index is inside `0..<count`, asserted in debug builds.
@frozen
public struct ArrayView<Element> {
    @usableFromInline let base: UnsafeBufferPointer<Element>

    @inlinable
    init(_ base: UnsafeBufferPointer<Element>) { self.base = base }

    @inlinable public var count: Int { base.count }
    @inlinable public var indices: Range<Int> { 0..<base.count }

    @inlinable
    public subscript(index: Int) -> Element {
        @inline(__always) get {
            assert(index >= 0 && index < base.count, "element \(index) of \(base.count)")
            return base.baseAddress.unsafelyUnwrapped[index]
        }
    }
}

/// ``ArrayView`` with writes: the elements of an array lent for writing for the length of a closure (the same
/// invariants; writes replace elements, they never add or remove any).
@frozen
public struct MutableArrayView<Element> {
    @usableFromInline let base: UnsafeMutableBufferPointer<Element>

    @inlinable
    init(_ base: UnsafeMutableBufferPointer<Element>) { self.base = base }

    @inlinable public var count: Int { base.count }
    @inlinable public var indices: Range<Int> { 0..<base.count }

    @inlinable
    public subscript(index: Int) -> Element {
        @inline(__always) get {
            assert(index >= 0 && index < base.count, "element \(index) of \(base.count)")
            return base.baseAddress.unsafelyUnwrapped[index]
        }
        @inline(__always) nonmutating set {
            assert(index >= 0 && index < base.count, "element \(index) of \(base.count)")
            base.baseAddress.unsafelyUnwrapped[index] = newValue
        }
    }
}

extension Array {
    /// Lends the elements for reading without per-access checks, for the length of `body`.
    @inlinable
    public func withArrayView<Result, Failure: Error>(_ body: (ArrayView<Element>) throws(Failure) -> Result) throws(Failure) -> Result {
        let result: Swift.Result<Result, Failure> = withUnsafeBufferPointer { buffer in
            do throws(Failure) { return .success(try body(ArrayView(buffer))) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Lends the elements for reading and writing without per-access checks, for the length of `body`.
    @inlinable
    public mutating func withMutableArrayView<Result, Failure: Error>(
        _ body: (MutableArrayView<Element>) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        let result: Swift.Result<Result, Failure> = withUnsafeMutableBufferPointer { buffer in
            do throws(Failure) { return .success(try body(MutableArrayView(buffer))) } catch { return .failure(error) }
        }
        return try result.get()
    }
}

/// The uninitialised elements of an array being built by ``Swift/Array/init(initializingEvery:_:)``: each index is
/// initialised exactly once, possibly by several threads over disjoint ranges.
@frozen
public struct ArrayInitializer<Element> {
    @usableFromInline let base: UnsafeMutablePointer<Element>?
    public let count: Int

    @inlinable
    init(_ base: UnsafeMutablePointer<Element>?, count: Int) {
        self.base = base
        self.count = count
    }

    @inlinable @inline(__always)
    public func initialize(_ index: Int, to value: Element) {
        assert(index >= 0 && index < count, "element \(index) of \(count)")
        (base.unsafelyUnwrapped + index).initialize(to: value)
    }
}

extension Array {
    /// An array of `count` elements that `body` initialises in place, each index exactly once, without the
    /// zero-filling and per-element checks of appending (the write path's work array, gathered on two threads).
    @inlinable
    public init(initializingEvery count: Int, _ body: (ArrayInitializer<Element>) -> Void) {
        self.init(unsafeUninitializedCapacity: count) { buffer, initialized in
            body(ArrayInitializer(buffer.baseAddress, count: count))
            initialized = count
        }
    }
}
