/// Why a dialog's fields do not make a request: the field to fix and what to type. Shown in
/// the dialog's message line, with the focus moved to the field.
public struct InvalidInput: Error, Equatable, Sendable, CustomStringConvertible {
    public var field: String
    public var description: String

    public init(field: String, description: String) {
        self.field = field
        self.description = description
    }
}
