/// The newest `limit` values of a quantity sampled once per snapshot, oldest first: what a
/// sparkline draws and the latest rate a table shows.
///
/// Invariant: `values.count <= limit`.
public struct Series: Sendable, Equatable {
    public private(set) var values: [Double]
    public let limit: Int

    public init(limit: Int, values: [Double] = []) {
        self.limit = max(1, limit)
        self.values = Array(values.suffix(self.limit))
    }

    /// Appends a value, dropping the oldest beyond `limit`.
    public mutating func append(_ value: Double) {
        if values.count == limit { values.removeFirst() }
        values.append(value)
    }

    /// The newest value, nil before the first.
    public var last: Double? { values.last }

    public var sparkline: Sparkline { Sparkline(values: values) }
}
