import EddyClient

/// Lenient date-time input for the dialogs: Kafka's `yyyy-MM-ddTHH:mm:ss.SSS[zone]`
/// (`KafkaDateTime`), also without the milliseconds (`2024-05-01T12:00:00Z`).
enum DateTimeInput {
    static func parseMillis(_ text: String) throws -> Int64 {
        var text = text
        let chars = Array(text)
        // yyyy-MM-ddTHH:mm:ss is 19 characters; add .000 when no fraction follows.
        if chars.count >= 19, chars[10] == "T", chars.count == 19 || chars[19] != "." {
            text = String(chars[..<19]) + ".000" + String(chars[19...])
        }
        return try KafkaDateTime.parseMillis(text)
    }
}
