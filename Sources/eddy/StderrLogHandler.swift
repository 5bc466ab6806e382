import Logging
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Log lines from the modules (a truncated torn tail, a rebuilt index, ...) as single lines on
/// stderr: `eddy: warning: <message> (key=value, ...)`. The level is `EDDY_LOG_LEVEL`
/// (trace, debug, info, notice, warning, error, critical), warning by default, so stdout
/// carries only command output.
struct StderrLogHandler: LogHandler {
    static let environmentVariable = "EDDY_LOG_LEVEL"

    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Installs the handler for every Logger created afterwards.
    static func bootstrap() {
        let level = getenv(environmentVariable).flatMap { Logger.Level(rawValue: String(cString: $0).lowercased()) } ?? .warning
        LoggingSystem.bootstrap { _ in StderrLogHandler(logLevel: level) }
    }

    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { _, new in new }
        var text = "eddy: \(event.level): \(event.message)"
        if !all.isEmpty {
            text += " (" + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ") + ")"
        }
        printNotice(text)
    }
}
