import EddyClient

/// The Messages view's jump dialogs: to an offset (`o`), or to a time (`t`): a date-time, or
/// a duration meaning that long ago.
enum JumpForm {
    static func offset(current: Int64?) -> FormDialog {
        FormDialog(title: "Jump to offset", fields: [
            .text("offset", "Offset", TextField(current.map(String.init) ?? "", placeholder: "e.g. 0")),
        ], submitLabel: "jump", controlWidth: 24)
    }

    static func time() -> FormDialog {
        FormDialog(title: "Jump to time", fields: [
            .text("time", "Time", TextField(placeholder: "2024-05-01T12:00:00 or PT5M (ago)")),
        ], submitLabel: "jump", controlWidth: 36,
        message: StatusMessage("date-time: YYYY-MM-DDTHH:mm:SS[.sss][Z|+hh:mm]; duration: PnDTnHnMnS"))
    }

    static func offsetStart(from form: FormDialog) throws(InvalidInput) -> MessagesStart {
        guard let offset = Int64(form.text("offset")?.trimmingSpaces ?? ""), offset >= 0 else {
            throw InvalidInput(field: "offset", description: "the offset is a whole number >= 0")
        }
        return .offset(offset)
    }

    static func timeStart(from form: FormDialog) throws(InvalidInput) -> MessagesStart {
        let text = form.text("time")?.trimmingSpaces ?? ""
        if text.hasPrefix("P") || text.hasPrefix("-P") || text.hasPrefix("+P") {
            do {
                return .ago(milliseconds: abs(try KafkaDuration.parseMillis(text)))
            } catch {
                throw InvalidInput(field: "time", description: "\(error)")
            }
        }
        do {
            return .timestamp(try DateTimeInput.parseMillis(text))
        } catch {
            throw InvalidInput(field: "time", description: "\(error)")
        }
    }
}
