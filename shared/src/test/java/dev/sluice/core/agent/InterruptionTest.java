package dev.sluice.core.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.error.DomainException;
import dev.sluice.core.json.JsonValue;
import dev.sluice.core.session.Session;
import dev.sluice.core.session.SessionResult;
import dev.sluice.core.session.SessionStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** EC2's interruption events as the control plane reads them, and the end report of an interrupted session. */
class InterruptionTest {
    private static final Instant T = Instant.parse("2026-12-03T18:00:00Z");

    /** An EventBridge event's fields as the function reads them off AWS's envelope. */
    private static Optional<Interruption.ForInstance> event(String source, String type, Map<String, Object> detail, String time,
                                                            java.util.function.Consumer<String> why) {
        Object id = detail.get("instance-id");
        return Interruption.fromEvent(source, type, time, id instanceof String s ? s : null, why);
    }

    @Test
    void aWarningsDeadlineIsItsTimePlusTwoMinutesAndARebalanceHasNone() {
        List<String> why = new ArrayList<>();
        Interruption.ForInstance w = event("aws.ec2", "EC2 Spot Instance Interruption Warning",
                Map.of("instance-id", "i-0abc", "instance-action", "terminate"), T.toString(), why::add).orElseThrow();
        assertThat(w.instanceId()).isEqualTo("i-0abc");
        assertThat(w.interruption().deadline()).contains(T.plusSeconds(120));
        assertThat(w.interruption().source()).isEqualTo("spot-interruption-warning");
        assertThat(w.interruption().notice()).isPresent();

        Interruption.ForInstance r = event("aws.ec2", "EC2 Instance Rebalance Recommendation",
                Map.of("instance-id", "i-0abc"), T.toString(), why::add).orElseThrow();
        assertThat(r.interruption().deadline()).isEmpty();
        assertThat(r.interruption().notice()).as("nothing told to the agent").isEmpty();
        assertThat(why).isEmpty();
    }

    @Test
    void anythingElseIsNoInterruptionAndSaysWhy() {
        List<String> why = new ArrayList<>();
        assertThat(event("sluice.agents", "EC2 Spot Instance Interruption Warning",
                Map.of("instance-id", "i-1"), T.toString(), why::add)).isEmpty();
        assertThat(event("aws.ec2", "EC2 Instance State-change Notification",
                Map.of("instance-id", "i-1"), T.toString(), why::add)).isEmpty();
        assertThat(event("aws.ec2", "EC2 Spot Instance Interruption Warning", Map.of(), T.toString(), why::add)).isEmpty();
        assertThat(event("aws.ec2", "EC2 Spot Instance Interruption Warning",
                Map.of("instance-id", "i-1"), "yesterday", why::add)).isEmpty();
        assertThat(why).hasSize(4).allSatisfy(w -> assertThat(w).isNotBlank());
        assertThat(why.get(2)).contains("instance-id");
    }

    @Test
    void anInterruptedSessionEndsErrorSpotInterruptedWithTheFactsInItsStatusData() {
        Session running = KernelReportsTest.session("batch", SessionStatus.SCHEDULED, SessionStatus.PREPARING, SessionStatus.RUNNING);
        KernelReport report = KernelReportsTest.report(Map.of("status", "ERROR", "reason", "spot-interrupted", "exit_code", 0,
                "message", "interrupted", "interruption", Map.of("source", "imds", "deadline", "2026-12-03T18:02:00Z",
                        "signaled_at", "2026-12-03T18:00:02Z")));
        KernelReports.Decision d = KernelReports.decide(running, "i-1", report, T);
        assertThat(d).isInstanceOf(KernelReports.Decision.Apply.class);
        KernelReports.Decision.Apply apply = (KernelReports.Decision.Apply) d;
        Session next = apply.next();
        assertThat(apply.releaseSlots()).isTrue();
        assertThat(next.status()).isEqualTo(SessionStatus.ERROR);
        assertThat(next.statusInfo()).isEqualTo("spot-interrupted");
        assertThat(next.result()).isEqualTo(SessionResult.FAILURE);
        assertThat(next.statusData().fields()).containsEntry("interruption_source", JsonValue.of("imds"))
                .containsEntry("deadline", JsonValue.of("2026-12-03T18:02:00Z"))
                .containsEntry("signaled_at", JsonValue.of("2026-12-03T18:00:02Z"))
                .containsEntry("exit_code", JsonValue.of(0));
    }

    @Test
    void theInterruptionsFactsAreRefusedOutsideAnInterruptedEndOrWhenMalformed() {
        Map<String, Object> facts = Map.of("source", "imds", "deadline", "d", "signaled_at", "s");
        assertThatThrownBy(() -> KernelReportsTest.report(Map.of("status", "TERMINATED", "exit_code", 0, "interruption", facts)))
                .isInstanceOf(DomainException.class).hasMessageContaining("spot-interrupted");
        assertThatThrownBy(() -> KernelReportsTest.report(Map.of("status", "ERROR", "reason", "spot-interrupted",
                "interruption", Map.of("source", "imds"))))
                .isInstanceOf(DomainException.class).hasMessageContaining("interruption.deadline");
        assertThatThrownBy(() -> KernelReportsTest.report(Map.of("status", "ERROR", "reason", "spot-interrupted",
                "interruption", Map.of("source", "imds", "deadline", "d", "signaled_at", "s", "extra", "x"))))
                .isInstanceOf(DomainException.class).hasMessageContaining("interruption.extra");
        assertThat(KernelReportsTest.report(Map.of("status", "ERROR", "reason", "spot-interrupted")).interruption()).isEmpty();
        assertThat(new Agent("i-1", "g", AgentStatus.ALIVE, true, dev.sluice.core.slots.ResourceSlots.EMPTY,
                dev.sluice.core.slots.ResourceSlots.EMPTY, "x86_64", "v", Map.of(), T, T).interruption()).isEqualTo(Optional.empty());
    }
}
