import Testing
@testable import EddyConsole

/// How the Messages view shows keys and values: UTF-8, JSON, hex.
@Suite struct ViewsValueFormatterTests {
    static func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    @Test func prettyJSONKeepsKeyOrderAndIndents() {
        let json = Self.bytes(#"{"b":1, "a":[true,null,{"x":"y, z"}],"e":{},"f":[] }"#)
        #expect(ValueFormatter.lines(json, format: .json, width: 80) == [
            "{",
            #"  "b": 1,"#,
            #"  "a": ["#,
            "    true,",
            "    null,",
            "    {",
            #"      "x": "y, z""#,
            "    }",
            "  ],",
            #"  "e": {},"#,
            #"  "f": []"#,
            "}",
        ])
        #expect(ValueFormatter.oneLine(json, format: .json) == #"{"b":1,"a":[true,null,{"x":"y, z"}],"e":{},"f":[]}"#)
    }

    @Test func stringsWithBracketsAndEscapedQuotesStayWhole() {
        let json = Self.bytes(#"{"s":"a \"quoted\" [x] {y}","n":-1.5e3}"#)
        #expect(ValueFormatter.lines(json, format: .json, width: 80) == ["{", #"  "s": "a \"quoted\" [x] {y}","#, #"  "n": -1.5e3"#, "}"])
    }

    @Test(arguments: ["plain text", "{\"a\":1", "{\"a\":1}}", "[1,2] trailing", "\"just a string\"", "{\"a\":tru}", "{\"a\":\"open}"])
    func notJSONFallsBackToText(text: String) {
        #expect(!ValueFormatter.isJSON(Self.bytes(text)))
        #expect(ValueFormatter.lines(Self.bytes(text), format: .json, width: 80) == [text])
    }

    @Test func controlCharactersAreEscapedOnOneLine() {
        #expect(ValueFormatter.oneLine(Self.bytes("a\nb\tc\u{1b}"), format: .utf8) == "a\\nb\\tc\\u{1b}")
        #expect(ValueFormatter.oneLine([0x61, 0xFF, 0x62], format: .utf8) == "a\u{FFFD}b")
        #expect(ValueFormatter.lines(Self.bytes("one\ntwo"), format: .utf8, width: 80) == ["one", "two"])
        #expect(ValueFormatter.oneLine(nil, format: .json) == "null")
    }

    @Test func hexOnOneLineAndAsADump() {
        #expect(ValueFormatter.oneLine([0x00, 0x7F, 0xAB], format: .hex) == "00 7f ab")
        let dump = ValueFormatter.lines(Array(0x41...0x52), format: .hex, width: 120)
        #expect(dump == [
            "00000000  41 42 43 44 45 46 47 48 49 4a 4b 4c 4d 4e 4f 50  |ABCDEFGHIJKLMNOP|",
            "00000010  51 52                                            |QR|",
        ])
        #expect(ValueFormatter.lines([], format: .hex, width: 80) == ["(empty)"])
    }

    @Test func longLinesWrapToTheWidth() {
        #expect(ValueFormatter.lines(Self.bytes("abcdefghij"), format: .utf8, width: 4) == ["abcd", "efgh", "ij"])
        #expect(ValueFormatter.wrap("日本語です", width: 4) == ["日本", "語で", "す"])
    }
}
