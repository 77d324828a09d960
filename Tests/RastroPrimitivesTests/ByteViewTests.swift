import RastroPrimitives
import Testing

/// The views the codecs read through, checked against the plain array operations they stand for.
@Suite struct ByteViewTests {
    static let bytes: [UInt8] = (0..<64).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }

    @Test(arguments: [0..<0, 0..<1, 3..<11, 7..<64, 0..<64, 63..<64, 64..<64])
    func partsAreTheArraySlices(range: Range<Int>) {
        Self.bytes.withByteView { view in
            let part = view.part(range)
            #expect(part.count == range.count)
            #expect(Array(part) == Array(Self.bytes[range]))
            #expect(part.array == Array(Self.bytes[range]))
            #expect(Array(view.part(from: range.lowerBound)) == Array(Self.bytes[range.lowerBound...]))
            #expect(Array(view.prefix(upTo: range.upperBound)) == Array(Self.bytes[..<range.upperBound]))
        }
    }

    /// Word-at-a-time equality agrees with element-wise equality for every length up to 40 and a difference at every
    /// position.
    @Test func equalityMatchesElementwise() {
        for length in 0...40 {
            let left = Array(Self.bytes[0..<length])
            left.withByteView { a in
                left.withByteView { b in #expect(a.equals(b)) }
                for position in 0..<length {
                    var other = left
                    other[position] ^= 0x40
                    other.withByteView { b in #expect(!a.equals(b), "length \(length), byte \(position)") }
                }
                (left + [0]).withByteView { b in #expect(!a.equals(b)) }
            }
        }
    }

    @Test func loadsAreLittleEndianAtAnyOffset() {
        Self.bytes.withByteView { view in
            for offset in 0...(64 - 8) {
                var expected: UInt64 = 0
                for index in (0..<8).reversed() { expected = expected << 8 | UInt64(Self.bytes[offset + index]) }
                #expect(UInt64(littleEndian: view.load(at: offset, as: UInt64.self)) == expected)
                for length in 0..<8 {
                    let word = view.partialWord(at: offset, count: length)
                    #expect(word == (length == 0 ? 0 : expected & (UInt64.max >> (64 - 8 * UInt64(length)))))
                }
            }
        }
    }

    @Test func compareIsLexicographicThenShorterFirst() {
        let cases: [([UInt8], [UInt8])] = [([], []), ([], [1]), ([1], [2]), ([1, 2], [1]), ([2], [1, 9]), ([5, 5], [5, 5])]
        for (left, right) in cases {
            let expected = left.lexicographicallyPrecedes(right) ? -1 : left == right ? 0 : 1
            let got = left.withByteView { a in right.withByteView { b in a.compare(b) } }
            #expect(got.signum() == expected, "\(left) vs \(right)")
        }
    }

    @Test func firstIndexSearchesOnlyTheRange() {
        let bytes: [UInt8] = Array("a,b;c,,d\n".utf8)
        bytes.withByteView { view in
            for start in 0...bytes.count {
                for end in start...bytes.count {
                    let expected = bytes[start..<end].firstIndex(of: UInt8(ascii: ","))
                    #expect(view.firstIndex(of: UInt8(ascii: ","), from: start, to: end) == expected)
                }
            }
        }
    }

    @Test func mutableViewsCopyAndMoveInside() {
        var target = [UInt8](repeating: 0, count: 16)
        Self.bytes.withByteView { source in
            target.withMutableByteView { view in
                view.copy(source.part(0..<5), to: 3)
                view.move(from: 3, to: 4, count: 5)
                view[0] = 99
            }
        }
        #expect(target[0] == 99)
        #expect(Array(target[4..<9]) == Array(Self.bytes[0..<5]))
        #expect(target[3] == Self.bytes[0])
    }

    @Test func lendersGiveTheirBytes() {
        #expect("héllo".withByteView { $0.string } == "héllo")
        #expect(withByteView(of: UInt32(0x0403_0201).littleEndian) { $0.array } == [1, 2, 3, 4])
        var value: UInt16 = 0
        withMutableByteView(of: &value) { $0[1] = 0x12 }
        #expect(value == UInt16(littleEndian: 0x1200))
        #expect(Self.bytes[10..<20].withByteView { $0.array } == Array(Self.bytes[10..<20]))
        var appended: [UInt8] = [7]
        Self.bytes.withByteView { appended.append($0.part(0..<3)) }
        #expect(appended == [7] + Self.bytes[0..<3])
    }
}

@Suite struct ArrayViewTests {
    @Test func viewsReadAndWriteTheArray() {
        var values = Array(0..<100)
        values.withMutableArrayView { view in
            for index in view.indices { view[index] = view[index] * 2 }
        }
        #expect(values == (0..<100).map { $0 * 2 })
        let sum = values.withArrayView { view in view.indices.reduce(0) { $0 + view[$1] } }
        #expect(sum == values.reduce(0, +))
    }

    /// Two threads initialise disjoint halves; every element is the one its index asks for.
    @Test func initializingEveryElementOnTwoThreads() {
        let helper = HelperThread(name: "test-initializer")
        let total = 10_001
        let values = [String](initializingEvery: total) { output in
            let fill = { (range: Range<Int>) in for index in range { output.initialize(index, to: "v\(index)") } }
            helper.run(background: { fill(total / 2..<total) }, foreground: { fill(0..<total / 2) })
        }
        #expect(values == (0..<total).map { "v\($0)" })
    }

    @Test func fixedArrayKeepsAppendsUpToItsCapacity() {
        var array = FixedArray(capacity: 4, filler: 0)
        defer { array.deallocate() }
        for value in [5, 6, 7] { array.append(value) }
        #expect(array.count == 3)
        #expect(array.indices.map { array[$0] } == [5, 6, 7])
        array.removeAll()
        array.append(9)
        #expect(array.count == 1 && array[0] == 9)
    }

    @Test func jobSlotsHoldWhatEachClaimantWrote() {
        let slots = JobSlots(count: 1_000, filler: -1)
        let helper = HelperThread(name: "test-slots")
        helper.run(background: { for job in stride(from: 1, to: 1_000, by: 2) { slots[job] = job } },
                   foreground: { for job in stride(from: 0, to: 1_000, by: 2) { slots[job] = job } })
        #expect((0..<1_000).allSatisfy { slots[$0] == $0 })
    }
}

/// The invariants are checked, not only written down: an access outside a view stops a debug build, and a fixed
/// array refuses to grow past its capacity in every build.
@Suite struct ViewBoundsTests {
    #if DEBUG
    @Test func readingPastAViewStopsADebugBuild() async {
        await #expect(processExitsWith: .failure) {
            _ = [UInt8](repeating: 1, count: 4).withByteView { $0[4] }
        }
        await #expect(processExitsWith: .failure) {
            _ = [UInt8](repeating: 1, count: 4).withByteView { $0.load(at: 1, as: UInt32.self) }
        }
        await #expect(processExitsWith: .failure) {
            var values = [1, 2, 3]
            values.withMutableArrayView { $0[3] = 0 }
        }
    }
    #endif

    @Test func appendingPastAFixedArrayStops() async {
        await #expect(processExitsWith: .failure) {
            var array = FixedArray(capacity: 2, filler: 0)
            for value in 0..<3 { array.append(value) }
        }
    }
}
