import RastroCore
import RastroPrimitives

extension ScanGenerator {
    /// Turns one day's scans into upload batches: seqs in each handheld's order, batches of 8–60 scans or cut by a
    /// pause, late uploads for handhelds that were offline, resends, conflicts and malformed rows.
    func flushScans(day: Int) {
        guard var scans = pending.removeValue(forKey: day) else { return }
        scans.sort { $0.person != $1.person ? $0.person < $1.person : $0.time < $1.time }
        let dayStart = zone.startOfDay(Int32(startDay + day))
        let minute: Int64 = 60_000
        var start = 0
        while start < scans.count {
            let person = Int(scans[start].person)
            var end = start
            while end < scans.count && Int(scans[end].person) == person { end += 1 }
            var offline: Range<Int64>? = nil
            if random.chance(configuration.offlineRate) {
                let from = dayStart + random.within((7 * 60 * minute)...(16 * 60 * minute))
                offline = from..<(from + random.within((120 * minute)...(600 * minute)))
            }
            var batchStart = start
            while batchStart < end {
                let target = Int(random.within(8...60))
                var batchEnd = batchStart + 1
                while batchEnd < end && batchEnd - batchStart < target
                    && scans[batchEnd].time - scans[batchEnd - 1].time < 25 * minute
                {
                    batchEnd += 1
                }
                var upload = scans[batchEnd - 1].time + random.within(5_000...180_000)
                if let offline, offline.contains(upload) { upload = offline.upperBound + random.within(minute...(10 * minute)) }
                makeBatch(scans[batchStart..<batchEnd], person: person, upload: upload)
                batchStart = batchEnd
            }
            start = end
        }
    }

    func makeBatch(_ scans: ArraySlice<SimulatedScan>, person: Int, upload: Int64) {
        var batch = UploadBatch(uploadTime: upload, kind: .scan)
        batch.bytes.reserveCapacity(scans.count * 110)
        for scan in scans {
            network.people[person].seq += 1
            let seq = network.people[person].seq
            let style = timestampStyle()
            batch.lineStarts.append(batch.bytes.count)
            batch.malformed.append(false)
            appendRow(scan, seq: seq, style: style, to: &batch.bytes)
            if random.chance(configuration.malformedRate) {
                batch.lineStarts.append(batch.bytes.count)
                batch.malformed.append(true)
                appendMalformedRow(scan, seq: seq, to: &batch.bytes)
            }
            if random.chance(configuration.conflictRate) {
                // A handheld reset to an old backup reuses this seq for a different scan.
                var other = scan
                other.event = scan.event == .delivered ? .received : .delivered
                other.reason = 0
                other.time += random.within(60_000...3_600_000)
                var conflict = UploadBatch(uploadTime: upload + random.within(3_600_000...172_800_000), kind: .conflict)
                conflict.lineStarts.append(0)
                conflict.malformed.append(false)
                appendRow(other, seq: seq, style: style, to: &conflict.bytes)
                outbox.append(conflict)
            }
        }
        outbox.append(batch)
        if random.chance(configuration.resendRate) {
            // The acknowledgement was lost: the handheld sends the same batch again later.
            var resend = batch
            resend.kind = .resend
            resend.uploadTime = upload + random.within(300_000...21_600_000)
            resend.malformed = batch.malformed
            outbox.append(resend)
        }
    }

    /// Emits, in upload order, every batch uploaded before `cutoff`; `false` once the stream has its scans.
    func emitUploads(before cutoff: Int64, _ emit: (GeneratedRowKind?, ByteView) -> Void) -> Bool {
        // Sorting by (upload time, creation order) keeps ties in creation order, so the stream is deterministic.
        let order = outbox.indices.sorted { (outbox[$0].uploadTime, $0) < (outbox[$1].uploadTime, $1) }
        var remaining: [UploadBatch] = []
        var finished = false
        for index in order {
            let batch = outbox[index]
            if batch.uploadTime >= cutoff || finished {
                remaining.append(batch)
                continue
            }
            batch.bytes.withByteView { bytes in
                for line in batch.lineStarts.indices {
                    let end = line + 1 < batch.lineStarts.count ? batch.lineStarts[line + 1] : bytes.count
                    let kind: GeneratedRowKind = batch.malformed[line] ? .malformed : batch.kind
                    switch kind {
                    case .scan:
                        if statistics.scans == configuration.scans {
                            finished = true
                            return
                        }
                        statistics.scans += 1
                    case .resend:
                        if configuration.clean { continue }
                        statistics.resends += 1
                    case .conflict:
                        if configuration.clean { continue }
                        statistics.conflicts += 1
                    case .malformed:
                        if configuration.clean { continue }
                        statistics.malformed += 1
                    }
                    emit(kind, bytes.part(batch.lineStarts[line]..<end))
                }
            }
        }
        outbox = remaining
        return !finished
    }

    // MARK: Rows

    /// 0: with the site offset (most gateways); 1: local time without offset (spreadsheets); 2: UTC with `Z`.
    func timestampStyle() -> UInt8 {
        let pick = random.below(100)
        return pick < 85 ? 0 : pick < 95 ? 1 : 2
    }

    func appendRow(_ scan: SimulatedScan, seq: UInt64, style: UInt8, to output: inout [UInt8]) {
        let person = network.people[Int(scan.person)]
        let center = network.centers[Int(scan.center)]
        appendTrackingID(scan, to: &output)
        output.append(UInt8(ascii: ","))
        if person.usesAliases, let alias = Self.aliases[scan.event] {
            output.append(contentsOf: alias.utf8)
        } else {
            output.append(contentsOf: scan.event.code.utf8)
        }
        output.append(UInt8(ascii: ","))
        appendTimestamp(scan.time, style: style, milliseconds: person.reportsMilliseconds, to: &output)
        output.append(UInt8(ascii: ","))
        output.append(contentsOf: person.messenger)
        output.append(UInt8(ascii: ","))
        output.append(contentsOf: center.code.utf8)
        output.append(UInt8(ascii: ","))
        output.append(contentsOf: person.device)
        output.append(UInt8(ascii: ","))
        appendNumber(seq, to: &output)
        output.append(UInt8(ascii: ","))
        if scan.reason != 0 { output.append(contentsOf: Self.reasonCodes[Int(scan.reason)].utf8) }
        output.append(UInt8(ascii: ","))
        if scan.hasLocation {
            appendDegrees(scan.latitude, to: &output)
            output.append(UInt8(ascii: ","))
            appendDegrees(scan.longitude, to: &output)
        } else {
            output.append(UInt8(ascii: ","))
        }
        output.append(UInt8(ascii: "\n"))
    }

    func appendTrackingID(_ scan: SimulatedScan, to output: inout [UInt8]) {
        output.append(contentsOf: Self.prefixes[Int(scan.prefix)].text.utf8)
        let digits = scan.prefix == 3 ? 6 : 10
        appendPadded(scan.number, digits, to: &output)
    }

    func appendTimestamp(_ time: Int64, style: UInt8, milliseconds: Bool, to output: inout [UInt8]) {
        let offset = style == 2 ? 0 : zone.cachedOffset(atUTC: time)
        let local = time + offset
        let days = SiteTimeZone.floorDivide(local, SiteTimeZone.millisecondsPerDay)
        let inDay = local - days * SiteTimeZone.millisecondsPerDay
        let date = CivilDate(daysSinceEpoch: Int(days))
        appendPadded(UInt64(date.year), 4, to: &output)
        output.append(UInt8(ascii: "-"))
        appendPadded(UInt64(date.month), 2, to: &output)
        output.append(UInt8(ascii: "-"))
        appendPadded(UInt64(date.day), 2, to: &output)
        output.append(style == 1 ? UInt8(ascii: " ") : UInt8(ascii: "T"))
        appendPadded(UInt64(inDay / 3_600_000), 2, to: &output)
        output.append(UInt8(ascii: ":"))
        appendPadded(UInt64(inDay / 60_000 % 60), 2, to: &output)
        output.append(UInt8(ascii: ":"))
        appendPadded(UInt64(inDay / 1000 % 60), 2, to: &output)
        if milliseconds {
            output.append(UInt8(ascii: "."))
            appendPadded(UInt64(inDay % 1000), 3, to: &output)
        }
        switch style {
        case 0:
            output.append(offset < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
            let minutes = abs(offset) / 60_000
            appendPadded(UInt64(minutes / 60), 2, to: &output)
            output.append(UInt8(ascii: ":"))
            appendPadded(UInt64(minutes % 60), 2, to: &output)
        case 2:
            output.append(UInt8(ascii: "Z"))
        default:
            break
        }
    }

    func appendDegrees(_ units: Int32, to output: inout [UInt8]) {
        // Handhelds report six decimals.
        var value = Int64(units) / 10
        if value < 0 {
            output.append(UInt8(ascii: "-"))
            value = -value
        }
        appendNumber(UInt64(value / 1_000_000), to: &output)
        output.append(UInt8(ascii: "."))
        appendPadded(UInt64(value % 1_000_000), 6, to: &output)
    }

    func appendNumber(_ value: UInt64, to output: inout [UInt8]) {
        var digits = 1
        var limit: UInt64 = 10
        while value >= limit && digits < 19 {
            digits += 1
            limit *= 10
        }
        if value >= limit { digits = 20 }
        appendPadded(value, digits, to: &output)
    }

    func appendPadded(_ value: UInt64, _ width: Int, to output: inout [UInt8]) {
        let start = output.count
        output.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: width))
        var remaining = value
        var position = start + width - 1
        while remaining > 0 && position >= start {
            output[position] = UInt8(48 + remaining % 10)
            remaining /= 10
            position -= 1
        }
    }

    /// A row broken the way real exports break.
    func appendMalformedRow(_ scan: SimulatedScan, seq: UInt64, to output: inout [UInt8]) {
        var row: [UInt8] = []
        appendRow(scan, seq: seq &+ 7_000_000, style: 0, to: &row)
        var fields = String(decoding: row.dropLast(), as: UTF8.self).split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        switch random.below(9) {
        case 0: fields[1] = "ENTREGAD0"
        case 1: fields[2] = "31/09/2026 10:00"
        case 2:
            fields[1] = "failed_attempt"
            fields[7] = ""
        case 3: fields[9] = ""
        case 4: fields[3] = ""
        case 5: fields[6] = "12O45"
        case 6: fields[0] = String(repeating: "GU0", count: 15)
        case 7: fields.append("extra")
        default: fields[2] = "2026-09-31T10:00:00-05:00"
        }
        if fields[9].isEmpty && fields[8].isEmpty { fields[8] = "4.6" }
        output.append(contentsOf: fields.joined(separator: ",").utf8)
        output.append(UInt8(ascii: "\n"))
    }
}
