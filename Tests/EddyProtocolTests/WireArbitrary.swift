@testable import EddyProtocol

/// A generated message type that can make random values valid in a version (see
/// `Generated/Wire+Arbitrary.swift`, written by scripts/generate-messages).
protocol WireArbitraryMessage {
    static func arbitrary(version: Int16, using g: inout SplitMix64) -> Self
}

/// Random field values for the generated `arbitrary` functions: short strings that mix ASCII
/// with multi-byte UTF-8, short byte arrays and arrays of 0 to 3 elements, so that every
/// version of every message is exercised without huge values.
enum WireArbitrary {
    static let alphabet: [String] = ["a", "b", "Z", "0", "-", "_", ".", "é", "ß", "世", "🙂", " "]

    static func string(using g: inout SplitMix64) -> String {
        let n = Int.random(in: 0 ... 6, using: &g)
        return (0 ..< n).map { _ in alphabet.randomElement(using: &g)! }.joined()
    }

    static func bytes(using g: inout SplitMix64) -> [UInt8] {
        (0 ..< Int.random(in: 0 ... 8, using: &g)).map { _ in UInt8.random(in: 0 ... 255, using: &g) }
    }

    static func array<T>(using g: inout SplitMix64, _ element: (inout SplitMix64) -> T) -> [T] {
        (0 ..< Int.random(in: 0 ... 3, using: &g)).map { _ in element(&g) }
    }

    static func oneIn(_ n: Int, using g: inout SplitMix64) -> Bool {
        Int.random(in: 0 ..< n, using: &g) == 0
    }
}

/// Whether two existential messages are the same type and equal.
func wireEqual(_ a: any WireMessage, _ b: any WireMessage) -> Bool {
    func open<M: WireMessage>(_ a: M) -> Bool { (b as? M) == a }
    return open(a)
}

/// A domain message with a bridge to its generated wire type (`Wire/Bridge/`).
protocol WireBridged: Equatable {
    associatedtype WireForm: WireMessage
    init(wire: WireForm, version: Int16)
    func wire(version: Int16) -> WireForm
}
