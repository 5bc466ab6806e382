import EddyClient
import EddyProtocol
import Foundation
import Testing
@testable import EddyConsole

/// The reset dialog's fields → the planner's inputs, and the preview → confirm → execute flow,
/// including Kafka's refusal for an active group and the replay offered for demo groups.
@Suite struct AppResetTests {
    static let model = ConsoleFixture.model()

    static func form(strategy: ResetForm.Strategy, value: String = "", scope: ResetForm.Scope = .group,
                     topic: String = "", partitions: String = "") -> ResetForm {
        var form = ResetForm(group: "audit")
        _ = form.handle(.home)
        for _ in 0..<strategy.rawValue { _ = form.handle(.down) }
        if let field = strategy.fieldID {
            form.form.focus(field)
            for c in value { _ = form.handle(.character(c)) }
        }
        form.form.focus("scope")
        for _ in 0..<scope.rawValue { _ = form.handle(.right) }
        if scope != .group {
            form.form.focus("topic")
            for c in topic { _ = form.handle(.character(c)) }
        }
        if scope == .partitions {
            form.form.focus("partitions")
            for c in partitions { _ = form.handle(.character(c)) }
        }
        return form
    }

    @Test(arguments: [
        (ResetForm.Strategy.earliest, "", OffsetResetStrategy.toEarliest),
        (.latest, "", .toLatest),
        (.current, "", .toCurrent),
        (.toOffset, "42", .toOffset(42)),
        (.shiftBy, "-100", .shiftBy(-100)),
        (.shiftBy, "+7", .shiftBy(7)),
        (.toDateTime, "2024-06-01T12:00:00Z", .toDateTime(timestampMs: ConsoleFixture.t0)),
        (.toDateTime, "2024-06-01T14:00:00.000+02:00", .toDateTime(timestampMs: ConsoleFixture.t0)),
        (.byDuration, "PT10M", .byDuration(milliseconds: 600_000)),
        (.byDuration, "P1DT2H", .byDuration(milliseconds: 93_600_000)),
    ]) func everyStrategy(strategy: ResetForm.Strategy, value: String, expected: OffsetResetStrategy) throws {
        let request = try Self.form(strategy: strategy, value: value).request()
        #expect(request == ResetRequest(group: "audit", scope: .allTopics, strategy: expected))
    }

    @Test func everyScope() throws {
        #expect(try Self.form(strategy: .earliest).request().scope == .allTopics)
        #expect(try Self.form(strategy: .earliest, scope: .topic, topic: "orders").request().scope == .topics([.init(topic: "orders")]))
        #expect(try Self.form(strategy: .earliest, scope: .partitions, topic: "orders", partitions: "3, 1,1").request().scope
            == .topics([.init(topic: "orders", partitions: [1, 3])]))
    }

    @Test(arguments: [
        (ResetForm.Strategy.toOffset, "-1", ResetForm.Scope.group, "", "", "offset"),
        (.toOffset, "ten", .group, "", "", "offset"),
        (.shiftBy, "", .group, "", "", "shift"),
        (.toDateTime, "2024-06-01", .group, "", "", "datetime"),
        (.byDuration, "10 minutes", .group, "", "", "duration"),
        (.earliest, "", .topic, "", "", "topic"),
        (.earliest, "", .partitions, "orders", "1,x", "partitions"),
        (.earliest, "", .partitions, "orders", "", "partitions"),
    ]) func badFieldsNameTheField(strategy: ResetForm.Strategy, value: String, scope: ResetForm.Scope, topic: String,
                                  partitions: String, field: String) {
        #expect {
            try Self.form(strategy: strategy, value: value, scope: scope, topic: topic, partitions: partitions).request()
        } throws: { error in
            (error as? InvalidInput)?.field == field
        }
    }

    @Test func onlyTheFieldsTheChoicesNeedAreShown() {
        var form = ResetForm(group: "g")
        func visible() -> [String] { form.form.fields.filter { !$0.isHidden }.map(\.id) }
        #expect(visible() == ["strategy", "scope"])
        _ = form.handle(.down); _ = form.handle(.down); _ = form.handle(.down)
        #expect(visible() == ["strategy", "offset", "scope"])
        _ = form.handle(.down)
        #expect(visible() == ["strategy", "shift", "scope"])
        form.form.focus("scope")
        _ = form.handle(.right)
        #expect(visible() == ["strategy", "shift", "scope", "topic"])
        _ = form.handle(.right)
        #expect(visible() == ["strategy", "shift", "scope", "topic", "partitions"])
    }

    @Test func theDialogFromAGroupRowIsPrefilledAndSubmitsAPreview() {
        var state = ConsoleFixture.state(.group("audit"))
        let keys: [Key] = [.down, .down, .character("r"), .tab, .right, .right, .enter]
        let effects = keys.flatMap { state.handle($0, model: Self.model) }
        let request = ResetRequest(group: "audit", scope: .topics([.init(topic: "orders", partitions: [2])]), strategy: .toEarliest)
        #expect(effects == [.previewReset(request)])
        #expect(state.pendingPreview == request && state.dialog == nil)
    }

    static func plan(_ group: String = "audit") -> OffsetResetPlan {
        OffsetResetPlan(group: group, entries: [
            .init(topicPartition: TopicPartition("orders", 0), oldOffset: 90, newOffset: 0, requestedOffset: 0, logStartOffset: 0, highWatermark: 100),
        ], warnings: [])
    }

    @Test func anInactiveGroupIsResetAfterConfirming() {
        var state = ConsoleFixture.state(.group("billing"))
        let request = ResetRequest(group: "billing", scope: .allTopics, strategy: .toEarliest)
        _ = state.runCommand("reset", model: Self.model)
        #expect(state.handle(.enter, model: Self.model) == [.previewReset(request)])
        let plan = Self.plan("billing")
        _ = state.receive(.resetPreview(request, plan, activeState: nil), model: Self.model)
        guard case let .resetPreview(preview) = state.dialog else { Issue.record("no preview"); return }
        #expect(!preview.replay)
        #expect(preview.dialog.preview?.rows.count == 1)
        #expect(state.handle(.character("y"), model: Self.model) == [.executeReset(request, plan: plan, replay: false), .refresh])
        #expect(state.dialog == nil)
    }

    @Test func aReadOnlyConsolePreviewsAResetButDoesNotApplyIt() {
        var state = ConsoleFixture.state(.group("billing"), readOnly: true)
        state.readOnlyReason = "set cluster.prod.writable=true or give --writable"
        let request = ResetRequest(group: "billing", scope: .allTopics, strategy: .toEarliest)
        _ = state.runCommand("reset", model: Self.model)
        #expect(state.handle(.enter, model: Self.model) == [.previewReset(request)], "the plan is still made")
        _ = state.receive(.resetPreview(request, Self.plan("billing"), activeState: nil), model: Self.model)
        guard case let .resetPreview(preview) = state.dialog else { Issue.record("no preview"); return }
        #expect(preview.dialog.confirmLabel == "Close")
        #expect(preview.dialog.message.contains { $0.hasPrefix("Read-only: this is a preview") })
        #expect(state.handle(.character("y"), model: Self.model).isEmpty, "no executeReset")
        #expect(state.dialog == nil)
        #expect(state.status?.kind != .error, "closing a preview is no error")
        #expect(state.status?.text == "read-only: previewed only; nothing changed (set cluster.prod.writable=true or give --writable)")
    }

    @Test func onAProductionClusterTheGroupNameIsTypedToConfirm() {
        var state = ConsoleFixture.state(.group("billing"))
        state.typedResetConfirmation = true
        let request = ResetRequest(group: "billing", scope: .allTopics, strategy: .toEarliest)
        let plan = Self.plan("billing")
        _ = state.runCommand("reset", model: Self.model)
        _ = state.handle(.enter, model: Self.model)
        _ = state.receive(.resetPreview(request, plan, activeState: nil), model: Self.model)
        // y and n are letters of the name, not answers; Enter does nothing until it matches.
        #expect(state.handle(.character("y"), model: Self.model).isEmpty)
        #expect(state.handle(.enter, model: Self.model).isEmpty)
        guard case .resetPreview = state.dialog else { Issue.record("the preview closed"); return }
        _ = state.handle(.backspace, model: Self.model)
        for c in "billin" { #expect(state.handle(.character(c), model: Self.model).isEmpty) }
        #expect(state.handle(.enter, model: Self.model).isEmpty, "billin is not billing")
        _ = state.handle(.character("g"), model: Self.model)
        #expect(state.handle(.enter, model: Self.model) == [.executeReset(request, plan: plan, replay: false), .refresh])
        // Esc still cancels.
        _ = state.runCommand("reset", model: Self.model)
        _ = state.handle(.enter, model: Self.model)
        _ = state.receive(.resetPreview(request, plan, activeState: nil), model: Self.model)
        #expect(state.handle(.escape, model: Self.model).isEmpty)
        #expect(state.dialog == nil && state.status?.text.contains("cancelled") == true)
    }

    @Test func cancellingThePreviewChangesNothing() {
        var state = ConsoleFixture.state(.group("billing"))
        let request = ResetRequest(group: "billing", scope: .allTopics, strategy: .toEarliest)
        _ = state.runCommand("reset", model: Self.model)
        _ = state.handle(.enter, model: Self.model)
        _ = state.receive(.resetPreview(request, Self.plan("billing"), activeState: nil), model: Self.model)
        #expect(state.handle(.escape, model: Self.model).isEmpty)
        #expect(state.dialog == nil && state.status?.text.contains("cancelled") == true)
        // An answer for a request nobody waits for any more opens nothing.
        _ = state.receive(.resetPreview(request, Self.plan("billing"), activeState: nil), model: Self.model)
        #expect(state.dialog == nil)
    }

    @Test func anActiveDemoGroupIsOfferedAReplay() {
        var state = ConsoleFixture.state(.group("audit"))
        let request = ResetRequest(group: "audit", scope: .allTopics, strategy: .toEarliest)
        _ = state.runCommand("reset", model: Self.model)
        _ = state.handle(.enter, model: Self.model)
        _ = state.receive(.resetPreview(request, Self.plan(), activeState: "Stable"), model: Self.model)
        guard case let .resetPreview(preview) = state.dialog else { Issue.record("no preview"); return }
        #expect(preview.replay && preview.dialog.confirmLabel == "Replay")
        #expect(preview.dialog.message.contains { $0.contains("Kafka refuses to reset an active group") })
        #expect(state.handle(.enter, model: Self.model) == [.executeReset(request, plan: Self.plan(), replay: true), .refresh])
    }

    @Test func anActiveGroupWithoutDemoConsumersIsRefusedWithKafkasMessage() {
        for (group, controls) in [("billing", true), ("audit", false)] {
            var state = ConsoleFixture.state(.group(group), controls: controls)
            let request = ResetRequest(group: group, scope: .allTopics, strategy: .toEarliest)
            _ = state.runCommand("reset", model: Self.model)
            _ = state.handle(.enter, model: Self.model)
            _ = state.receive(.resetPreview(request, Self.plan(group), activeState: "Stable"), model: Self.model)
            #expect(state.dialog == nil)
            #expect(state.status == .error("Assignments can only be reset if the group '\(group)' is inactive, but the current state is Stable. Stop the group's consumers (they must leave the group), then reset again."))
        }
    }

    @Test func anEmptyPlanSaysSoAndAFailedPlanShowsItsError() {
        var state = ConsoleFixture.state(.group("billing"))
        let request = ResetRequest(group: "billing", scope: .allTopics, strategy: .toEarliest)
        _ = state.runCommand("reset", model: Self.model)
        _ = state.handle(.enter, model: Self.model)
        _ = state.receive(.resetPreview(request, OffsetResetPlan(group: "billing", entries: [], warnings: []), activeState: nil), model: Self.model)
        #expect(state.dialog == nil && state.status?.text.hasPrefix("nothing to reset") == true)

        _ = state.runCommand("reset", model: Self.model)
        _ = state.handle(.enter, model: Self.model)
        _ = state.receive(.previewFailed(request, .error("reset billing: UNKNOWN_TOPIC_OR_PARTITION")), model: Self.model)
        #expect(state.pendingPreview == nil && state.status == .error("reset billing: UNKNOWN_TOPIC_OR_PARTITION"))
    }

    @Test func resetNeedsAGroup() {
        var state = ConsoleFixture.state(.topics)
        #expect(state.handle(.character("r"), model: Self.model).isEmpty)
        #expect(state.dialog == nil && state.status?.kind == .error)
    }
}

/// `:cluster NAME`: switching between the named clusters of the clusters file.
@Suite struct AppClusterSwitchTests {
    static let model = ConsoleFixture.model()

    @Test func switchesOnlyToAnotherConfiguredCluster() {
        var state = ConsoleFixture.state(.topics)
        #expect(state.runCommand("cluster prod", model: Self.model).isEmpty)
        #expect(state.status?.kind == .error && state.status?.text.hasPrefix("no other clusters") == true, "not attached by name")

        state.clusterNames = ["demo", "prod", "staging"]
        #expect(state.runCommand("clusters", model: Self.model).isEmpty)
        #expect(state.status?.text == "cluster demo; configured: demo, prod, staging; :cluster NAME switches")
        _ = state.runCommand("cluster", model: Self.model)
        #expect(state.view == .cluster, ":cluster alone still opens the Cluster view")
        #expect(state.runCommand("cluster qa", model: Self.model).isEmpty)
        #expect(state.status?.text == "no cluster named qa; configured: demo, prod, staging")
        #expect(state.runCommand("cluster demo", model: Self.model).isEmpty)
        #expect(state.status?.text == "already on cluster demo")
        #expect(state.runCommand("cluster prod", model: Self.model) == [.switchCluster("prod")])
    }
}
