import RastroCore

/// The batches a connection has sent and not yet seen acknowledged, kept across reconnections so they can be sent
/// again; also the window that bounds how many may be outstanding.
actor Ledger {
    private var unacked: [UInt64: ScanBatch] = [:]
    private var order: [UInt64] = []
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var aborted = false
    let window: Int

    init(window: Int) { self.window = window }

    var isEmpty: Bool { unacked.isEmpty }

    func add(_ number: UInt64, _ batch: ScanBatch) {
        precondition(unacked[number] == nil, "batch number \(number) is already outstanding")
        unacked[number] = batch
        order.append(number)
    }

    /// Removes an acknowledged batch; `nil` when it was not outstanding (an answer seen twice).
    func acknowledge(_ number: UInt64) -> ScanBatch? {
        guard let batch = unacked.removeValue(forKey: number) else { return nil }
        order.removeAll { $0 == number }
        wakeAll()
        return batch
    }

    /// Everything outstanding, oldest first: what a new connection sends again.
    func outstanding() -> [(UInt64, ScanBatch)] {
        order.map { ($0, unacked[$0]!) }
    }

    /// Waits until fewer than `window` batches are outstanding (or the connection is lost).
    func waitForRoom() async {
        while unacked.count >= window && !aborted {
            await withCheckedContinuation { waiters.append($0) }
        }
    }

    /// Waits until every batch is acknowledged (or the connection is lost).
    func waitUntilEmpty() async {
        while !unacked.isEmpty && !aborted {
            await withCheckedContinuation { waiters.append($0) }
        }
    }

    /// The connection is gone: release everyone waiting on it.
    func abort() {
        aborted = true
        wakeAll()
    }

    /// A new connection starts.
    func resume() { aborted = false }

    var isAborted: Bool { aborted }

    private func wakeAll() {
        let waiting = waiters
        waiters = []
        for waiter in waiting { waiter.resume() }
    }
}
