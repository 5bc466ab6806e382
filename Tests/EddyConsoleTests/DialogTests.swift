import Testing
@testable import EddyConsole

@Suite struct DialogTests {
    func type(_ text: String, into field: inout TextField) {
        for c in text { _ = field.handle(.character(c)) }
    }

    @Test func textFieldEditing() {
        var field = TextField()
        type("orders", into: &field)
        #expect(field.text == "orders" && field.cursor == 6)
        #expect(field.handle(.left) == .moved)
        #expect(field.handle(.left) == .moved)
        #expect(field.handle(.backspace) == .edited)
        #expect(field.text == "ordrs" && field.cursor == 3)
        type("e", into: &field)
        #expect(field.text == "orders" && field.cursor == 4)
        #expect(field.handle(.delete) == .edited)
        #expect(field.text == "ordes")
        #expect(field.handle(.home) == .moved && field.cursor == 0)
        #expect(field.handle(.backspace) == .ignored)
        #expect(field.handle(.left) == .ignored)
        #expect(field.handle(.control("k")) == .edited && field.text == "")
        type("to offset 1200", into: &field)
        #expect(field.handle(.control("w")) == .edited && field.text == "to offset ")
        #expect(field.handle(.control("w")) == .edited && field.text == "to ")
        #expect(field.handle(.control("a")) == .moved && field.cursor == 0)
        #expect(field.handle(.control("e")) == .moved && field.cursor == 3)
        #expect(field.handle(.control("u")) == .edited && field.text == "" && field.cursor == 0)
        #expect(field.handle(.enter) == .submitted)
        #expect(field.handle(.escape) == .cancelled)
        #expect(field.handle(.function(2)) == .ignored)
    }

    @Test func textFieldRespectsMaxLengthAndUnicode() {
        var field = TextField(maxLength: 3)
        type("日本語abc", into: &field)
        #expect(field.text == "日本語")
        #expect(field.handle(.character("x")) == .ignored)
        field.text = "key-1"
        #expect(field.text == "key" && field.cursor == 3)
    }

    /// The cursor stays on screen however long the text and wherever the cursor is.
    @Test func textFieldScrollsToTheCursor() {
        var field = TextField()
        type("abcdefghijklmnopqrstuvwxyz", into: &field)
        for moves in 0...26 {
            var f = field
            for _ in 0..<moves { _ = f.handle(.left) }
            var grid = CellGrid(width: 8, height: 1)
            f.render(into: &grid, rect: grid.bounds, glyphs: .unicode, focused: true)
            let reversed = grid.cells.indices.filter { grid.cells[$0].style.attributes.contains(.reverse) }
            #expect(reversed.count == 1, "cursor at \(f.cursor)")
            if f.cursor < 26, let x = reversed.first {
                #expect(grid.cells[x].character == Array("abcdefghijklmnopqrstuvwxyz")[f.cursor])
            }
        }
    }

    @Test func choiceList() {
        var list = ChoiceList(["earliest", "latest", "current"])
        #expect(list.selectedOption == "earliest")
        #expect(list.handle(.down) && list.selected == 1)
        #expect(list.handle(.end) && list.selected == 2)
        let pastEnd = list.handle(.down), sideways = list.handle(.right)
        #expect(!pastEnd && !sideways && list.selected == 2)
        var row = ChoiceList(["a", "b"], axis: .horizontal)
        #expect(row.handle(.right) && row.selected == 1)
        let vertical = row.handle(.down)
        #expect(!vertical)
        #expect(ChoiceList([], selected: 3).selectedOption == "")
    }

    @Test func formFocusAndValues() {
        var form = FormDialog(title: "Produce", fields: [
            .text("key", "Key"), .choice("partition", "Partition", ChoiceList(["any", "0", "1"])), .text("value", "Value"),
        ])
        #expect(form.focusedID == "key")
        type("k1", form: &form)
        #expect(form.handle(.down) == .continuing && form.focusedID == "partition")
        _ = form.handle(.down)
        _ = form.handle(.down)
        #expect(form.choice("partition") == 2 && form.focusedID == "partition")
        _ = form.handle(.down)  // past the last option: next field
        #expect(form.focusedID == "value")
        type("{}", form: &form)
        #expect(form.handle(.tab) == .continuing && form.focusedID == "key")
        #expect(form.handle(.backTab) == .continuing && form.focusedID == "value")
        form.setHidden("partition", true)
        _ = form.handle(.tab)
        _ = form.handle(.tab)
        #expect(form.focusedID == "value")
        form.focus("partition")
        #expect(form.focusedID == "value")
        #expect(form.text("key") == "k1")
        #expect(form.text("value") == "{}")
        #expect(form.text("partition") == nil)
        #expect(form.handle(.enter) == .submitted)
        #expect(form.handle(.escape) == .cancelled)
    }

    func type(_ text: String, form: inout FormDialog) {
        for c in text { _ = form.handle(.character(c)) }
    }

    @Test func confirmDialogKeys() {
        var dialog = ConfirmDialog(title: "t", message: ["m"])
        #expect(dialog.handle(.enter) == .submitted)
        #expect(dialog.handle(.right) == .continuing && dialog.focused == .cancel)
        #expect(dialog.handle(.enter) == .cancelled)
        #expect(dialog.handle(.character("y")) == .submitted)
        #expect(dialog.handle(.character("n")) == .cancelled)
        #expect(dialog.handle(.escape) == .cancelled)
        var withPreview = ConfirmDialog(title: "t", message: [], preview: Table(columns: [TableColumn("P")], rows: (0..<20).map { TableRow([.text("\($0)")]) }, selection: TableSelection(row: nil)), maxPreviewRows: 5)
        _ = withPreview.handle(.pageDown)
        #expect(withPreview.preview?.selection == TableSelection(row: nil, scrollOffset: 5))
        _ = withPreview.handle(.end)
        #expect(withPreview.preview?.selection.scrollOffset == 15)
    }

    @Test func helpOverlayCloses() {
        for key in [Key.escape, .enter, .character("?"), .character("q")] {
            var help = HelpOverlay(sections: [])
            #expect(help.handle(key) == .cancelled)
        }
    }
}
