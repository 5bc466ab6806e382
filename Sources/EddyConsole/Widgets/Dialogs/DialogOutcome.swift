/// What a key did to a modal dialog or overlay. The view keeps the dialog open on
/// `continuing`, acts on `submitted` (reading the dialog's values), and closes it on either
/// `submitted` or `cancelled`.
public enum DialogOutcome: Hashable, Sendable {
    case continuing
    case submitted
    case cancelled
}
