/// Record batches that are still in a segment file: what a Fetch answer carries when its
/// records can go from the file to the socket without being copied (Kafka's `FileRecords`,
/// written with `FileChannel.transferTo`, that is sendfile). The network server sends them so;
/// everything else reads them (`bytes()`).
///
/// The range holds whole batches, the first starting at `position`. The file is the storage
/// layer's (`RecordsFile`): the segment's own descriptor, kept open while the records reference
/// it, so the segment may be rolled, deleted or closed meanwhile.
public struct FileRecords: Sendable, Equatable {
    public let file: any RecordsFile
    /// Byte position of the first batch in the file.
    public let position: Int64
    /// Bytes, from `position`.
    public let count: Int
    /// The offset after the last batch.
    public let nextOffset: Int64

    public init(file: any RecordsFile, position: Int64, count: Int, nextOffset: Int64) {
        self.file = file
        self.position = position
        self.count = count
        self.nextOffset = nextOffset
    }

    /// The bytes, read from the file.
    public func bytes() throws -> [UInt8] { try file.read(at: position, count: count) }

    public static func == (a: FileRecords, b: FileRecords) -> Bool {
        a.file === b.file && a.position == b.position && a.count == b.count && a.nextOffset == b.nextOffset
    }
}

/// An open file that `FileRecords` point into (implemented by the storage layer).
public protocol RecordsFile: AnyObject, Sendable {
    /// The file's descriptor, open as long as this object lives (the network server hands it to
    /// sendfile, keeping the object until the write is done). Only read and stat it.
    var descriptor: Int32 { get }
    /// The file's current size: less than a range's end when the file was truncated since.
    func size() throws -> Int64
    /// `count` bytes from `position`.
    func read(at position: Int64, count: Int) throws -> [UInt8]
}
