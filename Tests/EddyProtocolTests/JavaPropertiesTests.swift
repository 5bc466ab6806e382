import EddyProtocol
import Testing

/// Java `.properties` files as Kafka's configuration files use them.
struct JavaPropertiesTests {
    @Test func separatorsCommentsAndSpaces() throws {
        let p = try JavaProperties.parse("""
            # a comment
            ! another
              listeners = PLAINTEXT://127.0.0.1:9092   
            ssl.keystore.type:PEM
            security.protocol SSL

            empty=
            """)
        #expect(p.dictionary == ["listeners": "PLAINTEXT://127.0.0.1:9092", "ssl.keystore.type": "PEM", "security.protocol": "SSL", "empty": ""])
        #expect(p.entries.map(\.line) == [3, 4, 5, 7])
    }

    @Test func continuationsEscapesAndTheLastValueWins() throws {
        let p = try JavaProperties.parse("listeners=PLAINTEXT://a:1,\\\n    SSL://b:2\nkey\\=with\\:colon=v\\tx\\u0041\nx=1\r\nx=2\npath=C:\\\\dir")
        #expect(p["listeners"] == "PLAINTEXT://a:1,SSL://b:2")
        #expect(p["key=with:colon"] == "v\txA")
        #expect(p["x"] == "2")
        #expect(p.entries.first { $0.key == "x" }?.line == 5)
        #expect(p["path"] == "C:\\dir")
    }

    @Test func aMalformedUnicodeEscapeNamesItsLine() {
        #expect(throws: JavaProperties.ParseError(line: 2, reason: "malformed \\u escape")) {
            try JavaProperties.parse("a=1\nb=\\u12G4")
        }
    }
}
