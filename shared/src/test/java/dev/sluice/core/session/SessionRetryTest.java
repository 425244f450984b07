package dev.sluice.core.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.agent.KernelReport;
import dev.sluice.core.agent.KernelReports;
import dev.sluice.core.json.JsonObject;
import dev.sluice.core.request.RequestFields;
import dev.sluice.core.slots.ResourceSlots;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * What an attempt's end becomes for a session with retry rules: the agent's end report and the lost-agent sweep's end
 * pass through {@link SessionRetry#afterEnd}, and the change that writes it goes back to PENDING with the slots given
 * back and the attempt recorded, or ends as before with the attempt recorded.
 */
class SessionRetryTest {
    private static final Instant T0 = Instant.parse("2026-12-03T10:00:00Z");
    private static final String AGENT = "i-0123456789abcdef0";
    private static final ResourceSlots ONE = ResourceSlots.parse(RequestFields.of(Map.of("cpu", 1, "mem", "1g")).at("s"));

    private static SessionSpec spec(Map<String, Object> retry) {
        Map<String, Object> body = new LinkedHashMap<>(Map.of("image", "python:3.12", "type", "batch", "startup_command", "train",
                "resource_slots", Map.of("cpu", 1, "mem", "1g")));
        if (retry != null) {
            body.put("retry", retry);
        }
        return SessionSpec.parse(RequestFields.of(body), T0);
    }

    private static final Map<String, Object> THREE_ON_EXIT_AND_LOST = Map.of("attempts", 3, "rules", List.of(
            Map.of("on", "exit-code", "codes", "137", "action", "exit"),
            Map.of("on", "exit-code", "codes", "1-5,143", "action", "retry"),
            Map.of("on", "agent-lost", "action", "retry"),
            Map.of("on", "spot-interrupted", "action", "retry"),
            Map.of("on", "folder-staging-failed", "action", "retry")));

    private static Instant at(int s) {
        return T0.plusSeconds(s);
    }

    /** {@code pending} placed on {@code agent} and RUNNING at {@code t}. */
    private static Session running(Session pending, String agent, int t) {
        SessionChange placed = SessionChange.place(pending, List.of(new Kernel(agent, ONE)), "scheduled", StatusData.placed(List.of(agent)), at(t));
        return placed.next().transitionTo(SessionStatus.PREPARING, "preparing", StatusData.NONE, at(t + 1))
                .transitionTo(SessionStatus.RUNNING, "running", StatusData.NONE, at(t + 2));
    }

    private static KernelReport report(Map<String, Object> body) {
        return KernelReport.parse(RequestFields.of(body));
    }

    /** The agent's report decided and written as the one change the use case writes: what is stored after it. */
    private static SessionChange reported(Session current, String agent, Map<String, Object> body, int t) {
        KernelReports.Decision d = KernelReports.decide(current, agent, report(body), at(t));
        assertThat(d).isInstanceOf(KernelReports.Decision.Apply.class);
        KernelReports.Decision.Apply apply = (KernelReports.Decision.Apply) d;
        return SessionChange.steps(current, List.of(apply.next()), apply.releaseSlots());
    }

    @Test
    void aRetryableExitCodeRequeuesTheSessionInTheEndsOneWriteAndTheSecondAttemptSucceedsWithTwoAttempts() {
        Session first = running(Session.enqueue("s-1", "alice", spec(THREE_ON_EXIT_AND_LOST), "gpu", T0), AGENT, 1);
        SessionChange requeue = reported(first, AGENT, Map.of("status", "TERMINATED", "exit_code", 3), 10);

        Session pending = requeue.next();
        assertThat(requeue.expectedStatus()).isEqualTo(SessionStatus.RUNNING);
        assertThat(requeue.expectedSequence()).isEqualTo(first.sequence());
        assertThat(pending.status()).isEqualTo(SessionStatus.PENDING);
        assertThat(pending.statusInfo()).isEqualTo("retrying");
        assertThat(pending.statusData().reason()).contains("retrying");
        assertThat(pending.statusData().message()).contains("attempt 1 ended TERMINATED (task-failed, exit 3); "
                + "rule 2 (retry on exit-code 1-5,143) matched: re-queued as attempt 2 of 3");
        assertThat(pending.result()).isEqualTo(SessionResult.UNDEFINED);
        assertThat(pending.startedAt()).isEmpty();
        assertThat(pending.terminatedAt()).isEmpty();
        assertThat(pending.attempt()).isEqualTo(2);
        assertThat(pending.requeuedAt()).contains(at(10));
        // The slots go back in the same write; the re-queued session keeps no kernel.
        assertThat(requeue.agentSlots()).singleElement().satisfies(a -> {
            assertThat(a.reserve()).isFalse();
            assertThat(a.kernel().agentId()).isEqualTo(AGENT);
        });
        assertThat(pending.kernels()).isEmpty();
        assertThat(pending.occupiedSlots().isEmpty()).isTrue();
        assertThat(pending.statusHistory()).extracting(StatusChange::status).containsExactly(SessionStatus.PENDING,
                SessionStatus.SCHEDULED, SessionStatus.PREPARING, SessionStatus.RUNNING, SessionStatus.PENDING);
        assertThat(pending.attempts()).containsExactly(new Attempt(1, Optional.of(AGENT), Optional.of(AGENT), Optional.of(at(1)),
                Optional.of(at(3)), at(10), SessionStatus.TERMINATED, "task-failed", Optional.of(3), true,
                "rule 2 (retry on exit-code 1-5,143) matched: re-queued as attempt 2 of 3"));
        assertThat(SessionStatusChanged.of(Optional.of(SessionStatus.RUNNING), pending, at(10)).attempt()).isEqualTo(2);

        Session second = running(pending, "local-agent-2", 20);
        SessionChange done = reported(second, "local-agent-2", Map.of("status", "TERMINATED", "exit_code", 0), 30);
        assertThat(done.next().status()).isEqualTo(SessionStatus.TERMINATED);
        assertThat(done.next().result()).isEqualTo(SessionResult.SUCCESS);
        assertThat(done.agentSlots()).singleElement().satisfies(a -> assertThat(a.kernel().agentId()).isEqualTo("local-agent-2"));
        assertThat(done.next().attempts()).hasSize(2);
        Attempt two = done.next().attempts().get(1);
        assertThat(two.number()).isEqualTo(2);
        assertThat(two.agentId()).contains("local-agent-2");
        assertThat(two.instanceId()).as("a local agent is no EC2 instance").isEmpty();
        assertThat(two.placedAt()).contains(at(20));
        assertThat(two.startedAt()).contains(at(22));
        assertThat(two.retried()).isFalse();
        assertThat(two.reason()).isEqualTo("succeeded");
        assertThat(done.next().attempt()).isEqualTo(2);
    }

    @Test
    void onceTheAttemptsAreUsedTheEndStandsWithEveryAttemptRecorded() {
        Session s = Session.enqueue("s-1", "alice", spec(THREE_ON_EXIT_AND_LOST), "gpu", T0);
        for (int attempt = 1; attempt <= 3; attempt++) {
            Session run = running(s, AGENT, attempt * 100);
            s = reported(run, AGENT, Map.of("status", "TERMINATED", "exit_code", 143), attempt * 100 + 50).next();
        }
        assertThat(s.status()).isEqualTo(SessionStatus.TERMINATED);
        assertThat(s.statusInfo()).isEqualTo("task-failed");
        assertThat(s.result()).isEqualTo(SessionResult.FAILURE);
        assertThat(s.attempts()).extracting(Attempt::retried).containsExactly(true, true, false);
        assertThat(s.attempts().get(2).reason()).isEqualTo("rule 2 (retry on exit-code 1-5,143) matched, but all 3 attempts are used: the end stands");
    }

    @Test
    void anExitRuleOrNoMatchingRuleLetsTheEndStand() {
        Session run = running(Session.enqueue("s-1", "alice", spec(THREE_ON_EXIT_AND_LOST), "gpu", T0), AGENT, 1);
        Session killed = reported(run, AGENT, Map.of("status", "TERMINATED", "exit_code", 137), 10).next();
        assertThat(killed.status()).isEqualTo(SessionStatus.TERMINATED);
        assertThat(killed.attempts()).singleElement().satisfies(a -> assertThat(a.reason()).isEqualTo("rule 1 (exit on exit-code 137) matched: the end stands"));
        Session failed = reported(run, AGENT, Map.of("status", "ERROR", "reason", "failed-to-start"), 10).next();
        assertThat(failed.status()).isEqualTo(SessionStatus.ERROR);
        assertThat(failed.kernels()).allMatch(Kernel::released);
        assertThat(failed.attempts()).singleElement().satisfies(a -> assertThat(a.reason()).isEqualTo("no retry rule matched: the end stands"));
    }

    @Test
    void aFailureToStageFoldersReportedAsErrorIsRetriedWithTheSlotsGivenBack() {
        Session run = running(Session.enqueue("s-1", "alice", spec(THREE_ON_EXIT_AND_LOST), "gpu", T0), AGENT, 1);
        SessionChange change = reported(run, AGENT, Map.of("status", "ERROR", "reason", "folder-staging-failed"), 10);
        assertThat(change.next().status()).isEqualTo(SessionStatus.PENDING);
        assertThat(change.agentSlots()).hasSize(1);
        assertThat(change.next().attempts()).singleElement().satisfies(a -> {
            assertThat(a.status()).isEqualTo(SessionStatus.ERROR);
            assertThat(a.statusInfo()).isEqualTo("folder-staging-failed");
        });
    }

    @Test
    void aLostAgentsOrASpotInterruptedEndIsRetriedAsTheSweepWritesIt() {
        for (String info : List.of("agent-lost", "spot-interrupted")) {
            Session run = running(Session.enqueue("s-1", "alice", spec(THREE_ON_EXIT_AND_LOST), "gpu", T0), AGENT, 1);
            Session ended = run.transitionTo(SessionStatus.ERROR, info, StatusData.agentLost(AGENT, T0.toString(), "gone"), at(60));
            Session next = SessionRetry.afterEnd(run, ended, at(60));
            SessionChange change = SessionChange.resolveLost(next, run.status(), run.sequence(), AGENT, T0);
            assertThat(change.next().status()).as(info).isEqualTo(SessionStatus.PENDING);
            assertThat(change.agentSlots()).singleElement().satisfies(a ->
                    assertThat(a.condition()).isEqualTo(new SessionChange.AgentCondition.Lost(T0)));
            assertThat(change.next().attempts()).singleElement().satisfies(a -> {
                assertThat(a.statusInfo()).isEqualTo(info);
                assertThat(a.instanceId()).contains(AGENT);
                assertThat(a.retried()).isTrue();
            });
        }
    }

    @Test
    void afterItsOnDemandAfterSpotInterruptionsTheSessionAsksForOnDemandCapacityOnly() {
        SessionSpec spec = spec(Map.of("attempts", 5, "on_demand_after", 2, "rules", List.of(Map.of("on", "spot-interrupted", "action", "retry"),
                Map.of("on", "agent-lost", "action", "retry"))));
        Session s = Session.enqueue("s-1", "alice", spec, "gpu", T0);
        List<Boolean> onDemand = new java.util.ArrayList<>();
        for (String end : List.of("spot-interrupted", "agent-lost", "spot-interrupted", "agent-lost")) {
            Session run = running(s, AGENT, onDemand.size() * 100);
            s = SessionRetry.afterEnd(run, run.transitionTo(SessionStatus.ERROR, end, StatusData.NONE, at(onDemand.size() * 100 + 50)),
                    at(onDemand.size() * 100 + 50));
            onDemand.add(s.onDemandOnly());
        }
        assertThat(onDemand).containsExactly(false, false, true, true);
        assertThat(s.spotInterruptions()).isEqualTo(2);
        assertThat(s.status()).isEqualTo(SessionStatus.PENDING);
        assertThat(s.statusData().json().bool("on_demand_only")).contains(true);
    }

    @Test
    void withoutRetryRulesEveryEndIsAsBeforeAndNoAttemptIsRecorded() {
        Session run = running(Session.enqueue("s-1", "alice", spec(null), "gpu", T0), AGENT, 1);
        Session ended = run.transitionTo(SessionStatus.ERROR, "agent-lost", StatusData.NONE, at(60));
        assertThat(SessionRetry.afterEnd(run, ended, at(60))).isSameAs(ended);
        Session terminated = reported(run, AGENT, Map.of("status", "TERMINATED", "exit_code", 3), 10).next();
        assertThat(terminated.status()).isEqualTo(SessionStatus.TERMINATED);
        assertThat(terminated.attempts()).isEmpty();
        assertThat(terminated.attempt()).isEqualTo(1);
    }

    @Test
    void aDestroyedSessionEndsAsAskedAndIsNeverRetried() {
        Session run = running(Session.enqueue("s-1", "alice", spec(THREE_ON_EXIT_AND_LOST), "gpu", T0), AGENT, 1);
        Session terminating = run.transitionTo(SessionStatus.TERMINATING, "user-requested", StatusData.destroyRequested("alice", false), at(5));
        Session ended = reported(terminating, AGENT, Map.of("status", "TERMINATED", "exit_code", 143), 10).next();
        assertThat(ended.status()).isEqualTo(SessionStatus.TERMINATED);
        assertThat(ended.attempts()).singleElement().satisfies(a -> {
            assertThat(a.retried()).isFalse();
            assertThat(a.reason()).isEqualTo("ended as asked (TERMINATING when it ended): not retried");
        });
    }

    @Test
    void aLateReportOfTheEarlierAttemptChangesNothingOnTheRequeuedSession() {
        Session run = running(Session.enqueue("s-1", "alice", spec(THREE_ON_EXIT_AND_LOST), "gpu", T0), AGENT, 1);
        Session pending = reported(run, AGENT, Map.of("status", "TERMINATED", "exit_code", 3), 10).next();
        assertThat(KernelReports.decide(pending, AGENT, report(Map.of("status", "TERMINATED", "exit_code", 3)), at(11)))
                .isEqualTo(new KernelReports.Decision.Unchanged(pending));
        assertThat(KernelReports.decide(pending, AGENT, report(Map.of("status", "RUNNING")), at(11)))
                .isEqualTo(new KernelReports.Decision.Refused(SessionStatus.PENDING));
    }

    @Test
    void onlyTheRequeueGoesBackToPendingAndOnlyWithItsAttemptRecorded() {
        Session run = running(Session.enqueue("s-1", "alice", spec(THREE_ON_EXIT_AND_LOST), "gpu", T0), AGENT, 1);
        assertThatThrownBy(() -> run.transitionTo(SessionStatus.PENDING, "retrying", StatusData.NONE, at(5)))
                .isInstanceOf(IllegalTransitionException.class);
        Attempt notRetried = new Attempt(1, Optional.of(AGENT), Optional.empty(), Optional.empty(), Optional.empty(), at(5),
                SessionStatus.ERROR, "agent-lost", Optional.empty(), false, "x");
        Session wrong = run.requeuedAfter(notRetried, "retrying", new StatusData(JsonObject.of("reason", "retrying")), at(5));
        assertThatThrownBy(() -> SessionChange.update(wrong, SessionStatus.RUNNING, run.sequence()))
                .isInstanceOf(IllegalTransitionException.class);
        Session terminating = run.transitionTo(SessionStatus.TERMINATING, "user-requested", StatusData.NONE, at(5));
        assertThatThrownBy(() -> terminating.requeuedAfter(notRetried, "retrying", StatusData.NONE, at(6)))
                .isInstanceOf(IllegalTransitionException.class);
    }
}
