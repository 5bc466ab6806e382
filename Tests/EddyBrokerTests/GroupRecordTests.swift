import Testing
@testable import EddyBroker
import EddyProtocol

@Suite("__consumer_offsets records and coordinator failover")
struct GroupRecordTests {
    typealias R = OffsetsTopicRecord

    @Test func offsetCommitKeyBytes() throws {
        let key = R.encode(.offsetCommit(group: "g1", TopicPartition("t", 7)))
        #expect(key == [0, 1, 0, 2, 0x67, 0x31, 0, 1, 0x74, 0, 0, 0, 7])
        #expect(try R.decodeKey(key) == .offsetCommit(group: "g1", TopicPartition("t", 7)))
        // Version 0 has the same layout.
        #expect(try R.decodeKey([0, 0] + key.dropFirst(2)) == .offsetCommit(group: "g1", TopicPartition("t", 7)))
        #expect(R.encode(.groupMetadata(group: "g1")) == [0, 2, 0, 2, 0x67, 0x31])
        #expect(try R.decodeKey([0, 9, 0, 0]) == nil)
    }

    @Test func offsetCommitValueV3Bytes() throws {
        let v = R.OffsetCommitValue(offset: 0x0102, leaderEpoch: 5, metadata: "m", commitTimestampMs: 0x0A0B)
        let bytes = R.encode(v)
        #expect(bytes == [0, 3, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 5, 0, 1, 0x6D, 0, 0, 0, 0, 0, 0, 0x0A, 0x0B])
        #expect(try R.decodeOffsetCommitValue(bytes) == v)
        let v1 = R.OffsetCommitValue(offset: 9, metadata: "", commitTimestampMs: 10, expireTimestampMs: 20)
        #expect(try R.decodeOffsetCommitValue(R.encode(v1)) == v1)
        // Version 0: offset, metadata, commit timestamp.
        let v0: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4]
        #expect(try R.decodeOffsetCommitValue(v0) == R.OffsetCommitValue(offset: 3, commitTimestampMs: 4))
    }

    static func sampleGroupValue() -> R.GroupMetadataValue {
        R.GroupMetadataValue(protocolType: "consumer", generation: 4, protocolName: "range", leader: "m-1",
                             currentStateTimestampMs: 99, members: [
            R.MemberMetadata(memberId: "m-1", groupInstanceId: "i-1", clientId: "c1", clientHost: "/h", rebalanceTimeoutMs: 300,
                             sessionTimeoutMs: 45, subscription: [1, 2], assignment: [3]),
            R.MemberMetadata(memberId: "m-2", groupInstanceId: nil, clientId: "c2", clientHost: "/h", rebalanceTimeoutMs: 301,
                             sessionTimeoutMs: 46, subscription: [], assignment: [4, 5, 6]),
        ])
    }

    @Test func groupMetadataValueRoundTripsAndRejectsEveryTruncation() throws {
        let v = Self.sampleGroupValue()
        let bytes = R.encode(v)
        #expect(Array(bytes.prefix(2)) == [0, 3])
        #expect(try R.decodeGroupMetadataValue(bytes) == v)
        for cut in 0..<bytes.count {
            #expect(throws: GroupRecordError.self) { try R.decodeGroupMetadataValue(Array(bytes.prefix(cut))) }
        }
        let empty = R.GroupMetadataValue(protocolType: nil, generation: 2, protocolName: nil, leader: nil, currentStateTimestampMs: 1, members: [])
        #expect(try R.decodeGroupMetadataValue(R.encode(empty)) == empty)
    }

    @Test func groupMetadataValueVersion0() throws {
        // protocolType "c", generation 1, protocol "r", leader null, 1 member: id "m", client "x", host "h",
        // session 7, subscription [9], assignment [].
        let bytes: [UInt8] = [0, 0, 0, 1, 0x63, 0, 0, 0, 1, 0, 1, 0x72, 0xFF, 0xFF, 0, 0, 0, 1,
                              0, 1, 0x6D, 0, 1, 0x78, 0, 1, 0x68, 0, 0, 0, 7, 0, 0, 0, 1, 9, 0, 0, 0, 0]
        let v = try R.decodeGroupMetadataValue(bytes)
        #expect(v.protocolType == "c" && v.generation == 1 && v.protocolName == "r" && v.leader == nil)
        #expect(v.currentStateTimestampMs == -1)
        #expect(v.members == [R.MemberMetadata(memberId: "m", groupInstanceId: nil, clientId: "x", clientHost: "h",
                                               rebalanceTimeoutMs: 7, sessionTimeoutMs: 7, subscription: [9], assignment: [])])
        #expect(throws: GroupRecordError.unsupportedVersion(record: "GroupMetadataValue", version: 4)) {
            try R.decodeGroupMetadataValue([0, 4] + bytes.dropFirst(2))
        }
    }

    /// Bytes captured from the codec before it moved onto the generated `Wire` types: existing
    /// `__consumer_offsets` partitions must keep loading and new records be written exactly so.
    @Test func recordsKeepTheirBytes() throws {
        let group = bytes(hex: "00030008636f6e73756d657200000004000572616e676500036d2d3100000000000000630000000200036d2d310003692d31"
            + "0002633100022f680000012c0000002d000000020102000000010300036d2d32ffff0002633200022f680000012d0000002e0000000000000003040506")
        #expect(R.encode(Self.sampleGroupValue()) == group)
        #expect(try R.decodeGroupMetadataValue(group) == Self.sampleGroupValue())
        let v1 = R.OffsetCommitValue(offset: 9, metadata: "mé", commitTimestampMs: 10, expireTimestampMs: 20)
        let v1Bytes = bytes(hex: "0001000000000000000900036dc3a9000000000000000a0000000000000014")
        #expect(R.encode(v1) == v1Bytes)
        #expect(try R.decodeOffsetCommitValue(v1Bytes) == v1)
        let key = bytes(hex: "000100076772c3bc707065000774c3b37069636fffffffff")
        #expect(R.encode(.offsetCommit(group: "grüppe", TopicPartition("tópico", -1))) == key)
        #expect(try R.decodeKey(key) == .offsetCommit(group: "grüppe", TopicPartition("tópico", -1)))
        // Bytes after the known fields (a newer writer's additions) are ignored, as before.
        #expect(try R.decodeGroupMetadataValue(group + [1, 2]) == Self.sampleGroupValue())
    }

    @Test func malformedRecordsThrowInsteadOfTrapping() {
        // Null where a string or bytes must be, negative and huge counts, an empty key.
        #expect(throws: GroupRecordError.self) { try R.decodeKey([0, 2, 0xFF, 0xFF]) }
        #expect(throws: GroupRecordError.self) { try R.decodeKey([]) }
        #expect(throws: GroupRecordError.self) { try R.decodeOffsetCommitValue([0, 3, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0xFF, 0xFE]) }
        #expect(throws: GroupRecordError.self) {
            try R.decodeGroupMetadataValue([0, 0, 0, 0, 0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF])
        }
        #expect(throws: GroupRecordError.unsupportedVersion(record: "OffsetCommitValue", version: -1)) {
            try R.decodeOffsetCommitValue([0xFF, 0xFF, 0, 0])
        }
        var g = SplitMix64(seed: 5)
        let good = R.encode(Self.sampleGroupValue())
        for _ in 0 ..< 2000 {
            var b = good
            for _ in 0 ..< Int.random(in: 1 ... 3, using: &g) { b[Int.random(in: 2 ..< b.count, using: &g)] = UInt8.random(in: 0 ... 255, using: &g) }
            _ = try? R.decodeGroupMetadataValue(b)
        }
    }

    /// Everything a client can observe: descriptions, listings and offsets.
    static func observable(_ c: GroupCoordinator, _ ids: [String]) -> [String] {
        ids.map { "\(c.describeGroup($0)) \(c.fetchOffsets(groupId: $0).sorted { $0.key < $1.key })" } + ["\(c.listGroups())"]
    }

    @Test func loaderRebuildsTheLiveState() throws {
        var h = GroupHarness(groupId: "live", initialDelayMs: 3_000)
        let (ids, gen) = h.formStableGroup(3)
        _ = h.commit(ids[1], generation: gen, [TopicPartition("a", 0): 5, TopicPartition("a", 1): 6])
        _ = h.commit(ids[2], generation: gen, [TopicPartition("a", 0): 7])
        var records = h.records

        var simple = GroupHarness(groupId: "simple")
        _ = simple.commit([TopicPartition("b", 0): 1])
        records += simple.records

        var gone = GroupHarness(groupId: "gone")
        _ = gone.commit([TopicPartition("c", 0): 1])
        gone.apply(gone.coordinator.deleteGroups(["gone"], now: 0).actions)
        records += gone.records

        var emptied = GroupHarness(groupId: "emptied")
        let (a, _) = emptied.joinNew()
        emptied.sync(a, generation: 1, assignments: [a: [1]])
        _ = emptied.commit(a, generation: 1, [TopicPartition("d", 0): 3, TopicPartition("d", 1): 4])
        _ = emptied.leave(a)
        emptied.apply(emptied.coordinator.deleteOffsets(groupId: "emptied", partitions: [TopicPartition("d", 1)], now: 0).actions)
        records += emptied.records

        var live = GroupCoordinator()
        for g in [h, simple, emptied] { for (id, group) in g.coordinator.groups { live.groups[id] = group } }

        var loaded = GroupCoordinator(seed: 99)
        let actions = try loaded.load(records, now: 50_000)
        let names = ["live", "simple", "gone", "emptied"]
        #expect(Self.observable(loaded, names) == Self.observable(live, names))
        #expect(loaded.groups["live"]?.state == .stable)
        #expect(loaded.groups["emptied"]?.state == .empty)
        #expect(loaded.groups["emptied"]?.generationId == 2)
        #expect(loaded.groups["gone"] == nil)
        // Loaded members get a fresh session.
        #expect(actions.count == 3)
        var after = GroupHarness(groupId: "live")
        after.coordinator = loaded
        after.now = 55_000
        #expect(after.heartbeat(ids[0], generation: gen) == .none)
        after.advance(to: 59_999)
        #expect(after.state == .stable)
        after.advance(to: 60_000)
        #expect(after.group?.members.count == 1)
        #expect(after.state == .preparingRebalance)
    }

    @Test func loaderRejectsCorruptRecordsAndInstallsNothing() {
        var c = GroupCoordinator()
        let good = GroupCoordinator.StoredRecord(key: R.encode(.groupMetadata(group: "x")), value: R.encode(Self.sampleGroupValue()))
        let bad = GroupCoordinator.StoredRecord(key: R.encode(.offsetCommit(group: "x", TopicPartition("t", 0))), value: [0, 3, 1])
        #expect(throws: GroupRecordError.self) { try c.load([good, bad], now: 0) }
        #expect(c.groups.isEmpty)
    }
}
