import Testing
@testable import EddyBroker

/// `meta.properties`, the data directory's identity.
@Suite struct MetaPropertiesTests {
    @Test func parsesKafkaStyleProperties() throws {
        let text = "#Tue Jan 01 00:00:00 UTC 2030\n\n  version = 1\ncluster.id=abc\r\n! comment\nnode.id=3\n"
        #expect(try MetaProperties(parsing: text) == MetaProperties(clusterId: "abc", nodeId: 3))
        let written = MetaProperties(clusterId: "xyz", nodeId: 0)
        #expect(try MetaProperties(parsing: written.text) == written)
    }

    @Test func rejectsMissingOrBadFields() {
        for text in ["cluster.id=a\nnode.id=0", "version=2\ncluster.id=a\nnode.id=0", "version=1\nnode.id=0",
                     "version=1\ncluster.id=a", "version=1\ncluster.id=a\nnode.id=-1", "version=1\ncluster.id=a\nnode.id=x",
                     "version=1\ncluster.id=\nnode.id=0", "version=1\ngarbage\nnode.id=0"] {
            #expect(throws: BrokerError.self, "\(text)") { try MetaProperties(parsing: text) }
        }
    }
}
