import EddyProtocol
import Testing

/// Bytes from a hex string; whitespace is ignored.
func hexBytes(_ s: String) -> [UInt8] {
    let digits = s.filter { !$0.isWhitespace }.map { UInt8(String($0), radix: 16)! }
    precondition(digits.count % 2 == 0, "odd number of hex digits")
    return stride(from: 0, to: digits.count, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
}

func hexString(_ bytes: [UInt8]) -> String {
    bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
}

func utf8(_ s: String) -> [UInt8] { Array(s.utf8) }

/// Rewrites batchLength to match `bytes.count` and recomputes the CRC over attributes..end, so
/// a deliberately malformed batch gets past the length and checksum checks to the record parser.
func resealed(_ bytes: [UInt8], fixLength: Bool = true) -> [UInt8] {
    var b = bytes
    guard b.count >= RecordBatchHeader.size else { return b }
    if fixLength {
        let len = UInt32(b.count - RecordBatchHeader.logOverhead)
        b.replaceSubrange(8 ..< 12, with: withUnsafeBytes(of: len.bigEndian) { Array($0) })
    }
    let crc = b.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[RecordBatchHeader.attributesOffset...])) }
    b.replaceSubrange(RecordBatchHeader.crcOffset ..< RecordBatchHeader.crcOffset + 4,
                      with: withUnsafeBytes(of: crc.bigEndian) { Array($0) })
    return b
}

/// Overwrites a big-endian integer at `offset`.
func patched<T: FixedWidthInteger>(_ bytes: [UInt8], _ value: T, at offset: Int) -> [UInt8] {
    var b = bytes
    b.replaceSubrange(offset ..< offset + MemoryLayout<T>.size, with: withUnsafeBytes(of: value.bigEndian) { Array($0) })
    return b
}

/// The `RecordBatchError` that `body` throws, or nil if it returns normally. Any other error
/// is recorded as a test failure.
func batchError(sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) -> RecordBatchError? {
    do {
        try body()
        return nil
    } catch let e as RecordBatchError {
        return e
    } catch {
        Issue.record("expected a RecordBatchError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
