import CNCurses
import Testing
@testable import EddyConsole

@Suite struct KeyDecodingTests {
    @Test(arguments: [
        (UInt32(10), Key.enter), (13, .enter), (9, .tab), (27, .escape), (127, .backspace), (8, .backspace),
        (1, .control("a")), (21, .control("u")), (23, .control("w")), (3, .control("c")),
        (0x61, .character("a")), (0x51, .character("Q")), (0x3F, .character("?")), (0x3A, .character(":")),
        (0x20, .character(" ")), (0xE9, .character("é")), (0x65E5, .character("日")), (0x1F680, .character("🚀")),
        (0, .unknown(0)), (0x9B, .unknown(0x9B)), (0xD800, .unknown(0xD800)),
    ])
    func characters(value: UInt32, key: Key) {
        #expect(Key.decode(.character(value)) == key)
    }

    @Test func functionKeys() {
        let table: [(Int32, Key)] = [
            (KEY_UP, .up), (KEY_DOWN, .down), (KEY_LEFT, .left), (KEY_RIGHT, .right),
            (KEY_PPAGE, .pageUp), (KEY_NPAGE, .pageDown), (KEY_HOME, .home), (KEY_END, .end),
            (KEY_IC, .insert), (KEY_DC, .delete), (KEY_BACKSPACE, .backspace), (KEY_ENTER, .enter),
            (KEY_BTAB, .backTab), (KEY_RESIZE, .resize), (eddy_key_f(1), .function(1)), (eddy_key_f(12), .function(12)),
            (eddy_key_f(24), .function(24)), (KEY_MOUSE, .unknown(KEY_MOUSE)),
        ]
        for (code, key) in table {
            #expect(Key.decode(.functionKey(code)) == key, "code \(code)")
        }
        // The codes are distinct, so the table above cannot pass by accident.
        #expect(Set(table.map(\.0)).count == table.count)
    }

    @Test func descriptions() {
        #expect(Key.control("u").description == "Ctrl-U")
        #expect(Key.function(5).description == "F5")
        #expect(Key.character("q").description == "q")
    }
}
