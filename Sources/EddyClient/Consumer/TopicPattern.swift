import Foundation

/// The regular expression of a pattern subscription (`subscribe(pattern:)`). As in Kafka
/// (`Pattern.matcher(topic).matches()`), a topic matches only when the whole name does:
/// `orders.*` matches `orders-eu` but not `old-orders`.
public struct TopicPattern: Sendable, Equatable, CustomStringConvertible {
    public let pattern: String
    private let regex: Compiled

    /// Fails with `.invalidConfig` when `pattern` is not a valid ICU regular expression.
    public init(_ pattern: String) throws(ClientError) {
        do {
            // Anchoring the whole alternation makes the engine backtrack into a full match, like
            // Java's `matches()` (a bare `a|ab` would stop at "a" in "ab").
            regex = Compiled(try NSRegularExpression(pattern: "^(?:" + pattern + ")$"))
        } catch {
            throw .invalidConfig(key: "subscription pattern", value: pattern, reason: "not a valid regular expression: \(error)")
        }
        self.pattern = pattern
    }

    public func matches(_ topic: String) -> Bool {
        let range = NSRange(topic.startIndex ..< topic.endIndex, in: topic)
        return regex.expression.firstMatch(in: topic, options: [], range: range) != nil
    }

    public var description: String { pattern }

    public static func == (a: TopicPattern, b: TopicPattern) -> Bool { a.pattern == b.pattern }

    /// NSRegularExpression is immutable and thread-safe once built.
    private final class Compiled: @unchecked Sendable {
        let expression: NSRegularExpression
        init(_ e: NSRegularExpression) { expression = e }
    }
}
