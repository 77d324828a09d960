import RastroPrimitives

/// A blocking queue holding at most `capacity` items between a producer thread and a consumer thread: the
/// producer waits when the consumer falls behind, so memory stays bounded.
final class BoundedQueue<Element: Sendable>: Sendable {
    private struct State {
        var items: [Element] = []
        var closed = false
    }

    private let state = Monitor(State())
    private let capacity: Int

    init(capacity: Int) {
        precondition(capacity > 0, "a queue holds at least one item")
        self.capacity = capacity
    }

    /// Waits for room, then enqueues; returns `false` when the queue was closed.
    @discardableResult
    func push(_ element: Element) -> Bool {
        let capacity = self.capacity
        return state.withLock(when: { $0.items.count < capacity || $0.closed }) { state, _ in
            guard !state.closed else { return false }
            state.items.append(element)
            return true
        }
    }

    /// Waits for an item; `nil` once the queue is closed and drained.
    func pop() -> Element? {
        state.withLock(when: { !$0.items.isEmpty || $0.closed }) { state, _ in
            state.items.isEmpty ? nil : state.items.removeFirst()
        }
    }

    func close() {
        state.withLock { $0.closed = true }
    }
}
