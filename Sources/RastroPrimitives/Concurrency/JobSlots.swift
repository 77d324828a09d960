/// One result slot per job, for jobs that threads claim from a shared counter: each slot is written by the thread
/// that claimed its job, without a lock, and read once every thread has finished.
///
/// Invariants: every index is inside `0..<count` (checked, also in release builds: a bad job number would write past
/// the allocation); a slot has one writer, and nobody reads it before the writers are joined (the owner's join is
/// the synchronisation, e.g. ``HelperThread/run(background:foreground:)``).
public final class JobSlots<Element>: @unchecked Sendable {
    // @unchecked Sendable: slots are disjoint per claiming thread and read only after the threads are joined.
    @usableFromInline let storage: UnsafeMutableBufferPointer<Element>

    public init(count: Int, filler: Element) {
        storage = .allocate(capacity: count)
        storage.initialize(repeating: filler)
    }

    deinit {
        storage.deinitialize()
        storage.deallocate()
    }

    public var count: Int { storage.count }

    @inlinable
    public subscript(index: Int) -> Element {
        get {
            precondition(index >= 0 && index < storage.count, "job \(index) of \(storage.count)")
            return storage[index]
        }
        set {
            precondition(index >= 0 && index < storage.count, "job \(index) of \(storage.count)")
            storage[index] = newValue
        }
    }
}
