import CEddyCRC

/// CRC-32C (Castagnoli), the checksum of Kafka's RecordBatch v2.
///
/// Computed with the CPU's CRC32 instructions when available (SSE4.2 on x86-64, the CRC
/// extension on ARMv8), otherwise with slice-by-8 tables.
public enum CRC32C {
    /// True when `checksum` runs on hardware CRC instructions on this machine.
    public static var isHardwareAccelerated: Bool { eddy_crc32c_hardware() != 0 }

    /// CRC-32C of `bytes`, continuing from `crc` (0 to start).
    @inlinable
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
        return eddy_crc32c_update(crc, base, bytes.count)
    }

    /// CRC-32C of a byte collection.
    @inlinable
    public static func checksum<C: ContiguousBytes>(_ bytes: C, continuing crc: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0, continuing: crc) }
    }

    /// The portable slice-by-8 implementation, regardless of hardware support.
    public static func softwareChecksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
        return eddy_crc32c_update_sw(crc, base, bytes.count)
    }
}

/// Byte containers with contiguous storage (kept local so the protocol module needs no Foundation).
public protocol ContiguousBytes {
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}
extension Array: ContiguousBytes where Element == UInt8 {}
extension ArraySlice: ContiguousBytes where Element == UInt8 {}
extension ContiguousArray: ContiguousBytes where Element == UInt8 {}
