import Testing
@testable import EddyBroker

@Suite struct UuidTests {
    @Test func textFormIsKafkasUrlSafeBase64() {
        #expect(Uuid.zero.description == "AAAAAAAAAAAAAAAAAAAAAA")
        #expect(Uuid.metadataTopicId.description == "AAAAAAAAAAAAAAAAAAAAAQ")
        let all = Uuid(mostSignificantBits: .max, leastSignificantBits: .max)
        #expect(all.description == "_____________________w")
        let mixed = Uuid(mostSignificantBits: 0xFBEF_BE00_0000_0000, leastSignificantBits: 0)
        // FB EF BE = 111110 111110 111110 111110: four 62s, base64url "-".
        #expect(mixed.description == "----AAAAAAAAAAAAAAAAAA")
    }

    @Test func parsesItsOwnTextAndRejectsOthers() {
        var g = TestRandom(seed: 3)
        for _ in 0 ..< 500 {
            let id = Uuid.random(using: &g)
            #expect(Uuid(id.description) == id)
            #expect(Uuid(bytes: id.bytes) == id)
            #expect(!id.description.hasPrefix("-"))
            #expect(id != .zero && id != .metadataTopicId)
        }
        #expect(Uuid("") == nil)
        #expect(Uuid("AAAAAAAAAAAAAAAAAAAAA") == nil)       // 21 characters
        #expect(Uuid("AAAAAAAAAAAAAAAAAAAAAAA") == nil)     // 23 characters
        #expect(Uuid("AAAAAAAAAAAAAAAAAAAAA*") == nil)
        #expect(Uuid("AAAAAAAAAAAAAAAAAAAAAB") == nil)      // non-canonical: stray low bits
        #expect(Uuid(bytes: [UInt8](repeating: 0, count: 15)) == nil)
    }
}
