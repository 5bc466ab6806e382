@testable import EddyProtocol
import Foundation
import Testing

/// What ApiVersions advertises: only APIs the codec covers, within their schemas' versions,
/// with empty tagged fields, and exactly the list the manual page gives.
@Suite struct SupportedApisTests {
    @Test func everyServedVersionHasACodecAndABridge() throws {
        for (api, range) in SupportedApis.versions {
            let request = try #require(Wire.requestTypes[api.rawValue], "\(api) has no request codec")
            #expect(request.validVersions.contains(range.lowerBound) && request.validVersions.contains(range.upperBound), "\(api)")
            guard let arbitrary = request as? any (WireMessage & WireArbitraryMessage).Type else {
                Issue.record("\(api) has no random values")
                continue
            }
            // SASL's requests are answered by the connection (EddyServer's DecodedRequest).
            if SupportedApis.answeredByConnection.contains(api) { continue }
            for version in range {
                // A random request of that version bridges to the domain request of the API.
                let key = Self.bridgedKey(arbitrary, version: version)
                #expect(key == api, "\(api) v\(version) has no bridge")
            }
        }
    }

    @Test func apiVersionsResponsesKeepTaggedFieldsEmpty() throws {
        let bytes = try SupportedApis.apiVersionsResponse().encoded(version: 3)
        // error code, compact array of keys (each ending in an empty tag section), throttle
        // time, and an empty top-level tag section: no SupportedFeatures and the like.
        #expect(bytes.last == 0)
        let decoded = try Wire.ApiVersionsResponse(decoding: bytes, version: 3)
        #expect(decoded.supportedFeatures.isEmpty && decoded.finalizedFeatures.isEmpty)
        #expect(decoded.apiKeys.count == SupportedApis.versions.count)
    }

    @Test func theManualPageListsTheServedVersions() throws {
        let man = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("man/eddy.1")
        let text = try String(contentsOf: man, encoding: .utf8).replacingOccurrences(of: "\n", with: " ")
        for (api, range) in SupportedApis.versions {
            let entry = range.count == 1 ? "\(api.name) \(range.lowerBound)" : "\(api.name) \(range.lowerBound)\\(en\(range.upperBound)"
            #expect(text.contains(entry + ",") || text.contains(entry + " ") || text.contains(entry + "."), "man/eddy.1 lacks \(entry)")
        }
    }
}

extension SupportedApisTests {
    static func bridgedKey<M: WireMessage & WireArbitraryMessage>(_: M.Type, version: Int16) -> ApiKey? {
        var g = SplitMix64(seed: UInt64(version))
        guard let message = M.arbitrary(version: version, using: &g) as? any WireApiMessage else { return nil }
        return KafkaRequest(wire: message, version: version)?.apiKey
    }
}
