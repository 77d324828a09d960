import RastroCore
import RastroPrimitives

extension WriteSession {
    /// Turns every scan of the batch into its stored form, replacing identifiers by dictionary ids and creating ids
    /// for new identifiers.
    ///
    /// Consecutive scans usually come from the same handheld, person and centre, so each lookup first compares the
    /// bytes with the previous scan's: most scans cost a few short byte comparisons, not four hash lookups.
    mutating func resolveEntities() throws {
        let count = batch.count
        var stored = buffers.stored
        stored.removeAll(keepingCapacity: true)
        stored.reserveCapacity(count)
        defer { buffers.stored = stored }
        var previousScan: Scan? = nil
        var previous = StoredScan(
            scannedAt: 0, receivedAt: 0, seq: 0, messenger: 0, workCenter: 0, device: 0, reason: 0, latitude: 0,
            longitude: 0, event: .pickedUp, hasLocation: false)
        for index in 0..<count {
            let scan = batch.scans[index]
            var next = StoredScan(
                scannedAt: scan.scannedAt, receivedAt: scan.receivedAt, seq: scan.seq, messenger: 0, workCenter: 0,
                device: 0, reason: 0, latitude: scan.latitude, longitude: scan.longitude, event: scan.event,
                hasLocation: scan.hasLocation)
            if let last = previousScan {
                next.messenger = sameBytes(scan.messenger, last.messenger) ? previous.messenger : try entity(.messenger, scan.messenger)
                next.workCenter = sameBytes(scan.workCenter, last.workCenter) ? previous.workCenter : try entity(.workCenter, scan.workCenter)
                next.device = sameBytes(scan.device, last.device) ? previous.device : try entity(.device, scan.device)
                if scan.reason.length > 0 {
                    next.reason = last.reason.length > 0 && sameBytes(scan.reason, last.reason) ? previous.reason : try entity(.reason, scan.reason)
                }
            } else {
                next.messenger = try entity(.messenger, scan.messenger)
                next.workCenter = try entity(.workCenter, scan.workCenter)
                next.device = try entity(.device, scan.device)
                if scan.reason.length > 0 { next.reason = try entity(.reason, scan.reason) }
            }
            stored.append(next)
            previous = next
            previousScan = scan
        }
    }

    @inline(__always)
    func sameBytes(_ left: ByteSpan, _ right: ByteSpan) -> Bool {
        guard left.length == right.length else { return false }
        if left.offset == right.offset { return true }
        return batch.bytes.withByteView { all in
            all.part(from: Int(left.offset), count: Int(left.length)).equals(all.part(from: Int(right.offset), count: Int(left.length)))
        }
    }

    /// The id of an identifier: from the process cache, the staged ids of this commit, the database, or new.
    mutating func entity(_ kind: EntityKind, _ span: ByteSpan) throws -> UInt32 {
        let name = batch.inline(span)
        let slot = Int(kind.rawValue) - 1
        if let id = writer.entityIDs[slot][name] { return id }
        if let staged = stagedEntities[slot][name] { return staged }
        var key = Key()
        key.append(kind.rawValue)
        name.withBytes { key.append($0) }
        if let stored = try transaction.withValue(databases.entities, key, { bytes -> UInt32 in
            var reader = ByteReader(bytes)
            return try reader.uint32BigEndian()
        }) {
            stagedEntities[slot][name] = stored
            return stored
        }
        let id = counters.nextEntity[slot]
        counters.nextEntity[slot] += 1
        let value = ByteWriter(reservingCapacity: 4)
        value.uint32BigEndian(id)
        try transaction.put(databases.entities, key, value)
        var reverse = Key()
        reverse.append(kind.rawValue | 0x80)
        reverse.append(bigEndian: id)
        try name.withBytes { try transaction.put(databases.entities, reverse, $0) }
        stagedEntities[slot][name] = id
        return id
    }
}
