/// Kafka's murmur2 hash (`org.apache.kafka.common.utils.Utils.murmur2`), seed 0x9747b28c.
/// Keyed records are placed with `toPositive(murmur2(key)) % partitions`, so a key lands on
/// the same partition in eddy as with Kafka's Java client.
public enum Murmur2 {
    public static func hash(_ data: UnsafeRawBufferPointer) -> Int32 {
        let length = data.count
        let m: UInt32 = 0x5bd1_e995
        let r: UInt32 = 24
        var h: UInt32 = 0x9747_b28c ^ UInt32(truncatingIfNeeded: length)
        let length4 = length / 4
        for i in 0 ..< length4 {
            let i4 = i * 4
            var k = UInt32(data[i4]) | UInt32(data[i4 + 1]) << 8 | UInt32(data[i4 + 2]) << 16 | UInt32(data[i4 + 3]) << 24
            k = k &* m
            k ^= k >> r
            k = k &* m
            h = h &* m
            h ^= k
        }
        let tail = length & ~3
        switch length % 4 {
        case 3:
            h ^= UInt32(data[tail + 2]) << 16
            h ^= UInt32(data[tail + 1]) << 8
            h ^= UInt32(data[tail])
            h = h &* m
        case 2:
            h ^= UInt32(data[tail + 1]) << 8
            h ^= UInt32(data[tail])
            h = h &* m
        case 1:
            h ^= UInt32(data[tail])
            h = h &* m
        default:
            break
        }
        h ^= h >> 13
        h = h &* m
        h ^= h >> 15
        return Int32(bitPattern: h)
    }

    public static func hash<C: ContiguousBytes>(_ bytes: C) -> Int32 {
        bytes.withUnsafeBytes { hash($0) }
    }

    /// Kafka's `Utils.toPositive`: clears the sign bit (not `abs`, which overflows on Int32.min).
    @inlinable public static func toPositive(_ n: Int32) -> Int32 { n & 0x7fff_ffff }

    /// The partition Kafka's default partitioner picks for a non-null key.
    public static func partition<C: ContiguousBytes>(forKey key: C, partitions: Int) -> Int {
        precondition(partitions > 0)
        return Int(toPositive(hash(key))) % partitions
    }
}
