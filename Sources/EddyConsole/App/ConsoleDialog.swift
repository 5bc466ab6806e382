import EddyClient

/// The modal dialog on top of the view. Keys go to it until it closes.
public enum ConsoleDialog: Equatable, Sendable {
    /// `?`: every key of the current view.
    case help(HelpOverlay)
    /// `r`: strategy and scope of an offset reset.
    case resetOffsets(ResetForm)
    /// The reset's per-partition preview, waiting for confirmation.
    case resetPreview(ResetPreview)
    /// `p`: a test record to produce.
    case produce(FormDialog)
    /// `n`: a topic to create.
    case createTopic(FormDialog)
    /// `d`: demo and broker controls.
    case demoMenu(DemoMenu)
    /// Messages view `o`: the offset to jump to.
    case jumpToOffset(FormDialog)
    /// Messages view `t`: the time to jump to.
    case jumpToTime(FormDialog)
    /// Transactions view `a`: what aborting the selected transaction does, to confirm.
    case abortTransaction(TransactionSnapshot, ConfirmDialog)
}

/// A planned reset shown before it is committed: each partition's old → new offset and lag.
public struct ResetPreview: Equatable, Sendable {
    public var request: ResetRequest
    public var plan: OffsetResetPlan
    /// The group is active: confirming pauses its demo consumers around the reset (replay).
    public var replay: Bool
    public var dialog: ConfirmDialog

    public init(request: ResetRequest, plan: OffsetResetPlan, replay: Bool, dialog: ConfirmDialog) {
        self.request = request
        self.plan = plan
        self.replay = replay
        self.dialog = dialog
    }
}
