import EddyClient
import EddyProtocol
import Testing

/// The admin's configuration and the DescribeConfigs / IncrementalAlterConfigs messages it added
/// to the protocol module.
@Suite struct AdminMessagesTests {
    @Test func adminConfigTakesKafkasNames() throws {
        #expect(AdminConfig().defaultApiTimeoutMs == 60_000)
        #expect(try AdminConfig(properties: ["default.api.timeout.ms": "1500"]).defaultApiTimeoutMs == 1500)
        #expect(throws: ClientError.invalidConfig(key: "default.api.timeout.ms", value: "-1",
                                                  reason: "expected a non-negative number of milliseconds")) {
            try AdminConfig(properties: ["default.api.timeout.ms": "-1"])
        }
        #expect(throws: ClientError.invalidConfig(key: "bootstrap.servers", value: "x", reason: "unknown admin configuration")) {
            try AdminConfig(properties: ["bootstrap.servers": "x"])
        }
    }

    @Test func configMessagesReportTheirKeysAndErrors() {
        let describe = KafkaRequest.describeConfigs(DescribeConfigsRequest(resources: [
            .init(resourceType: .topic, resourceName: "t"), .init(resourceType: .broker, resourceName: "1", configurationKeys: ["x"]),
        ]))
        #expect(describe.apiKey == .describeConfigs)
        guard case let .describeConfigs(d) = describe.errorResponse(.clusterAuthorizationFailed, message: "no") else {
            Issue.record("wrong response case"); return
        }
        #expect(d.results.map(\.resourceName) == ["t", "1"])
        #expect(d.results.map(\.resourceType) == [.topic, .broker])
        #expect(d.results.allSatisfy { $0.errorCode == .clusterAuthorizationFailed && $0.errorMessage == "no" && $0.configs.isEmpty })
        #expect(d.result(.broker, "1")?.resourceName == "1")
        #expect(d.result(.topic, "1") == nil)

        let alter = KafkaRequest.incrementalAlterConfigs(IncrementalAlterConfigsRequest(resources: [
            .init(resourceType: .topic, resourceName: "t", configs: [.init(name: "retention.ms", configOperation: .delete, value: nil)]),
        ]))
        #expect(alter.apiKey == .incrementalAlterConfigs)
        guard case let .incrementalAlterConfigs(a) = alter.errorResponse(.invalidConfig) else {
            Issue.record("wrong response case"); return
        }
        #expect(a.responses == [.init(errorCode: .invalidConfig, resourceType: .topic, resourceName: "t")])
        #expect(a.response(.topic, "t")?.errorCode == .invalidConfig)
    }

    /// Wire values are Kafka's (`ConfigResource.Type`, `DescribeConfigsResponse.ConfigSource`,
    /// `ConfigDef.Type` as DescribeConfigs numbers it, `AlterConfigOp.OpType`).
    @Test func enumWireValuesAreKafkas() {
        #expect(ConfigResourceType.allCases.map(\.rawValue) == [0, 2, 4, 8, 16, 32])
        #expect(DescribeConfigsResponse.ConfigSource.topicConfig.rawValue == 1)
        #expect(DescribeConfigsResponse.ConfigSource.defaultConfig.rawValue == 5)
        #expect(DescribeConfigsResponse.ConfigSource.allCases.map(\.rawValue) == Array(0 ... 8))
        #expect(DescribeConfigsResponse.ConfigType.allCases.map(\.rawValue) == Array(0 ... 9))
        #expect(IncrementalAlterConfigsRequest.OpType.allCases.map(\.rawValue) == [0, 1, 2, 3])
    }
}
