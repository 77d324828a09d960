import Foundation
import RastroPrimitives
@testable import RastroStore
import RastroTestSupport
import Testing

/// A store with a flipped byte in every trace block and every cell: `rastro verify` names them and exits 1, and every
/// report either answers or exits with an error naming the damage — none traps.
@Suite(.serialized)
struct DamagedStoreTests {
    static func run(_ arguments: [String]) throws -> BuiltRastro.Outcome { try BuiltRastro.run(arguments) }

    @Test func verifyNamesEveryDamagedValueAndNoReportTraps() throws {
        let directory = TemporaryDirectory()
        let data = directory.path + "/data"
        let stream = StreamFixtures.generated(scans: 3_000, seed: 8)
        let trackingID = String(stream.clean[0].split(separator: ",")[0])
        var damaged: [String: Int] = [:]
        do {
            let store = try Store(directory: data)
            _ = try store.ingest(StreamFixtures.batch(stream.all))
            #expect(try Self.run(["verify", "--data", data]).status == 0)
            try store.environment.write { transaction in
                for database in [store.databases.items, store.databases.cells] {
                    var entries: [(Key, [UInt8])] = []
                    try transaction.withCursor(database) { cursor in
                        var entry = try cursor.first()
                        while let current = entry {
                            var bytes = Array(current.value)
                            bytes[bytes.count / 3] ^= 0x04
                            entries.append((Key(current.key), bytes))
                            entry = try cursor.next()
                        }
                    }
                    for (key, bytes) in entries { try transaction.put(database, key, bytes) }
                    damaged[database.name] = entries.count
                }
            }
        }
        let verify = try Self.run(["verify", "--data", data, "--max-problems", "10000"])
        #expect(verify.exited && verify.status == 1)
        for (name, count) in damaged {
            let lines = verify.errors.split(separator: "\n").filter { $0.hasPrefix("problem: \(name) ") && $0.contains("checksum mismatch") }
            #expect(lines.count == count, "\(name): \(lines.count) of \(count) named\n\(verify.errors.prefix(2_000))")
        }
        #expect(verify.errors.contains("problem: items block 0: checksum mismatch"))

        let commands: [[String]] = [
            ["info"], ["trace", trackingID], ["productivity", "--by", "messenger"], ["compare", "--by", "work_center"],
            ["durations", "--from-event", "picked_up", "--to-event", "delivered"], ["returns", "--by", "reason"],
            ["states"], ["states", "--at", "2026-09-02T12:00:00"], ["overdue", "--event", "out_for_delivery", "--older-than", "24h"],
            ["export"], ["audit"], ["audit", "--verify"],
        ]
        let readsTracesOrRecords: Set<[String]> = [commands[1], commands[7], commands[8], commands[9]]
        for command in commands {
            let outcome = try Self.run(command + ["--data", data])
            let line = "rastro \(command.joined(separator: " "))"
            #expect(outcome.exited, "\(line) died of a signal")
            // Reports that read a damaged value say so, naming it; those that do not (whole-day summaries, the audit)
            // answer.
            if readsTracesOrRecords.contains(command) {
                #expect(outcome.status == 1 && outcome.errors.contains("checksum mismatch"), "\(line): \(outcome.errors)")
                #expect(outcome.errors.contains("items[block ") || outcome.errors.contains("cells[day "), "\(line): \(outcome.errors)")
            } else {
                #expect(outcome.status == 0, "\(line): \(outcome.errors)")
            }
        }
    }
}
