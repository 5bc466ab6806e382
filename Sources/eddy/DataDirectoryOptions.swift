import ArgumentParser
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `--data-dir`, shared by every command.
struct DataDirectoryOptions: ParsableArguments {
    /// Used when neither --data-dir nor EDDY_DATA_DIR is set.
    static let defaultDirectory = "./eddy-data"
    static let environmentVariable = "EDDY_DATA_DIR"

    @Option(name: .customLong("data-dir"), help: ArgumentHelp(
        "The data directory (default: $EDDY_DATA_DIR, else ./eddy-data).", valueName: "dir"))
    var dataDir: String?

    /// The directory this invocation uses.
    var path: String {
        if let dataDir { return dataDir }
        if let env = getenv(Self.environmentVariable).map({ String(cString: $0) }), !env.isEmpty { return env }
        return Self.defaultDirectory
    }

    func validate() throws {
        if let dataDir, dataDir.isEmpty { throw ValidationError("--data-dir must not be empty") }
    }
}
