import EddyProtocol
import Testing

@Suite struct ErrorCodeTests {
    /// A sample checked against the "Error Codes" table of Kafka's protocol guide.
    static let sample: [(Int16, String, Bool)] = [
        (-1, "UNKNOWN_SERVER_ERROR", false),
        (0, "NONE", false),
        (1, "OFFSET_OUT_OF_RANGE", false),
        (2, "CORRUPT_MESSAGE", true),
        (3, "UNKNOWN_TOPIC_OR_PARTITION", true),
        (6, "NOT_LEADER_OR_FOLLOWER", true),
        (7, "REQUEST_TIMED_OUT", true),
        (8, "BROKER_NOT_AVAILABLE", false),
        (10, "MESSAGE_TOO_LARGE", false),
        (17, "INVALID_TOPIC_EXCEPTION", false),
        (19, "NOT_ENOUGH_REPLICAS", true),
        (20, "NOT_ENOUGH_REPLICAS_AFTER_APPEND", true),
        (25, "UNKNOWN_MEMBER_ID", false),
        (27, "REBALANCE_IN_PROGRESS", false),
        (36, "TOPIC_ALREADY_EXISTS", false),
        (37, "INVALID_PARTITIONS", false),
        (40, "INVALID_CONFIG", false),
        (41, "NOT_CONTROLLER", true),
        (51, "CONCURRENT_TRANSACTIONS", true),
        (56, "KAFKA_STORAGE_ERROR", true),
        (74, "FENCED_LEADER_EPOCH", true),
        (78, "OFFSET_NOT_AVAILABLE", true),
        (87, "INVALID_RECORD", false),
        (89, "THROTTLING_QUOTA_EXCEEDED", true),
        (100, "UNKNOWN_TOPIC_ID", true),
        (109, "OFFSET_MOVED_TO_TIERED_STORAGE", false),
        (110, "FENCED_MEMBER_EPOCH", false),
        (122, "SHARE_SESSION_NOT_FOUND", true),
        (129, "REBOOTSTRAP_REQUIRED", false),
        (133, "SHARE_SESSION_LIMIT_REACHED", true),
    ]

    @Test func sampleMatchesKafka() throws {
        for (code, name, retriable) in Self.sample {
            let e = try #require(ErrorCode(code: code), "\(code)")
            #expect(e.code == code)
            #expect(e.name == name, "\(code)")
            #expect(e.isRetriable == retriable, "\(name)")
            #expect(ErrorCode(name: name) == e)
            #expect(e.description == name)
        }
        #expect(ErrorCode.notEnoughReplicas.code == 19)
        #expect(ErrorCode.corruptMessage.isRetriable)
        #expect(!ErrorCode.none.isError && ErrorCode.unknownServerError.isError)
    }

    /// Kafka numbers its errors densely: -1 through 133, each code once, each name once.
    @Test func tableIsDenseAndUnique() {
        let codes = ErrorCode.allCases.map(\.code)
        #expect(codes == Array(-1 ... 133))
        #expect(Set(ErrorCode.allCases.map(\.name)).count == ErrorCode.allCases.count)
        #expect(ErrorCode.allCases.filter(\.isRetriable).count == 32)
    }

    @Test func everyNameLooksUpItsCode() {
        for e in ErrorCode.allCases {
            #expect(ErrorCode(name: e.name) == e)
            #expect(ErrorCode(code: e.code) == e)
            #expect(e.name.allSatisfy { $0.isUppercase || $0 == "_" }, "\(e.name)")
        }
    }

    @Test func unknownCodesAndNames() {
        #expect(ErrorCode(code: -2) == nil)
        #expect(ErrorCode(code: 134) == nil)
        #expect(ErrorCode(code: .max) == nil)
        #expect(ErrorCode.forCode(999) == .unknownServerError)
        #expect(ErrorCode.forCode(19) == .notEnoughReplicas)
        #expect(ErrorCode(name: "not_enough_replicas") == nil)
        #expect(ErrorCode(name: "") == nil)
    }
}
