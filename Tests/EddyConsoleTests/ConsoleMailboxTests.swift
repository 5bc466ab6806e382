import EddyClient
@testable import EddyConsole
import Foundation
import NIOConcurrencyHelpers
import Testing

/// Samples are taken into the model off the UI thread: the sampler appends to a model of its
/// own and posts copies; the UI swaps in the newest and hands the one it replaced back.
@Suite struct ConsoleMailboxTests {
    /// Samples one second apart, counting how many were taken.
    struct Ticking: SnapshotSource {
        let taken = NIOLockedValueBox(0)
        func snapshot() async throws(ClientError) -> ConsoleSnapshot {
            let n = taken.withLockedValue { $0 += 1; return $0 }
            return ConsoleSnapshot(takenAtMs: 1_700_000_000_000 + Int64(n) * 1_000, clusterId: "c", controllerId: 0, brokers: [],
                                   topics: [], groups: [])
        }
    }

    @Test func theSamplerPostsItsModelWithEverySampleTakenIn() async throws {
        let mailbox = ConsoleMailbox()
        let source = Ticking()
        let sampler = Task { await ConsoleApp.sample(source, every: 10, into: mailbox) }
        defer { sampler.cancel() }
        let deadline = ContinuousClock.now + .seconds(20)
        var model: ConsoleModel?
        while ContinuousClock.now < deadline {
            if let m = mailbox.take().model, m.sampleCount >= 3 { model = m; break }
            try await Task.sleep(for: .milliseconds(10))
        }
        mailbox.stop()
        let taken = try #require(model, "three samples within 20 s")
        // The newest model holds every sample before it: it is the sampler's, not one per sample.
        #expect(taken.previous != nil && taken.latest!.takenAtMs > taken.previous!.takenAtMs)
        #expect(taken.sampleCount == Int(taken.latest!.takenAtMs - 1_700_000_000_000) / 1_000)
    }

    @Test func aNewerModelReplacesOneNotTakenAndRetiredModelsGoBack() {
        let mailbox = ConsoleMailbox()
        var a = ConsoleModel(), b = ConsoleModel()
        a.caption = "a"
        b.caption = "b"
        mailbox.post(sampleError: "down")
        mailbox.post(a)
        mailbox.post(b)
        let inbox = mailbox.take()
        #expect(inbox.model?.caption == "b")
        #expect(inbox.sampleError == nil, "a sample clears the failure before it")
        #expect(mailbox.take().isEmpty)
        mailbox.retire(a)
        #expect(mailbox.takeRetired().map(\.caption) == ["a"])
        #expect(mailbox.takeRetired().isEmpty)
    }
}
