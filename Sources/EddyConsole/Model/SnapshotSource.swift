import EddyClient

/// Where the console's samples come from. The app calls `snapshot()` once per refresh
/// interval, off the input path; a throw is shown in the status line and the previous sample
/// stays on screen.
public protocol SnapshotSource: Sendable {
    func snapshot() async throws(ClientError) -> ConsoleSnapshot
}
