/// A runtime failure reported as `eddy: <description>` with exit status 1. Where Kafka has a
/// name for the error, the description starts with it (`TOPIC_ALREADY_EXISTS: ...`).
struct EddyError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) { self.description = description }

    /// `NAME: message`, Kafka's error name first.
    init(kafka name: String, _ message: String) { description = "\(name): \(message)" }
}
