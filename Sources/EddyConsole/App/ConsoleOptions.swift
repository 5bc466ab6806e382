import Foundation

/// How `ConsoleApp.run` starts the console (the executable fills it from its options).
public struct ConsoleOptions: Sendable {
    /// `--refresh`: milliseconds between samples.
    public var refreshMs: Int64
    /// `--theme NAME|PATH`.
    public var theme: String
    /// `--read-only`: refuse every mutating action (resets still preview).
    public var readOnly: Bool
    /// Why the console is read-only when `--read-only` was not given (a cluster eddy did not
    /// make, or a named cluster not marked writable): what the refusals say instead of
    /// "restart without --read-only".
    public var readOnlyReason: String?
    /// An offset reset is confirmed by typing the group's name (a production cluster).
    public var typedResetConfirmation: Bool
    /// The named clusters `:cluster NAME` may switch to (empty: none, or not attached by name).
    public var clusterNames: [String]
    /// The name the status line shows.
    public var clusterName: String
    /// Why there are no broker and demo controls, when the reason is not that the console is
    /// attached through the client only (the cluster is not an eddy cluster).
    public var noControlsReason: String?
    /// Ctrl-C arrives as a key (the console quits cleanly) instead of SIGINT.
    public var ctrlCAsKey: Bool
    /// TERM, NO_COLOR, HOME, XDG_CONFIG_HOME, ... for the terminal and theme lookups.
    public var environment: [String: String]
    /// Where themes are found; nil: this process's (`ThemeLocator.live()`).
    public var themeLocator: ThemeLocator?

    public init(refreshMs: Int64 = 1000, theme: String = "default", readOnly: Bool = false, clusterName: String = "eddy",
                ctrlCAsKey: Bool = true, environment: [String: String] = ProcessInfo.processInfo.environment,
                themeLocator: ThemeLocator? = nil, noControlsReason: String? = nil, readOnlyReason: String? = nil,
                typedResetConfirmation: Bool = false, clusterNames: [String] = []) {
        self.refreshMs = max(100, refreshMs)
        self.theme = theme
        self.readOnly = readOnly
        self.clusterName = clusterName
        self.ctrlCAsKey = ctrlCAsKey
        self.environment = environment
        self.themeLocator = themeLocator
        self.noControlsReason = noControlsReason
        self.readOnlyReason = readOnlyReason
        self.typedResetConfirmation = typedResetConfirmation
        self.clusterNames = clusterNames
    }
}
