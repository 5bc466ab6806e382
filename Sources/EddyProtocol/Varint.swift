/// Varint helpers shared by the reader and writer.
///
/// A varint holds 7 bits per byte, least significant group first, with the high bit set on
/// every byte but the last. Signed values are zigzag-mapped first: 0,-1,1,-2 → 0,1,2,3.
/// A 32-bit varint takes at most 5 bytes and a 64-bit one at most 10; longer is an overflow.
public enum Varint {
    @inlinable public static func zigzag(_ v: Int64) -> UInt64 {
        UInt64(bitPattern: (v << 1) ^ (v >> 63))
    }

    @inlinable public static func unzigzag(_ v: UInt64) -> Int64 {
        Int64(bitPattern: v >> 1) ^ -Int64(bitPattern: v & 1)
    }

    /// Bytes needed to encode `v` as an unsigned varint.
    @inlinable public static func size(unsigned v: UInt64) -> Int {
        var v = v, n = 1
        while v >= 0x80 { v >>= 7; n += 1 }
        return n
    }

    /// Bytes needed to encode `v` as a zigzag varint.
    @inlinable public static func size(_ v: Int64) -> Int { size(unsigned: zigzag(v)) }
}
