package dev.sluice.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The interruption's wire shapes: the heartbeat answer's field, IMDS's instance-action, the workload's deadline file. */
class AgentInterruptionTest {
    private static final Instant DEADLINE = Instant.parse("2026-12-03T18:02:00Z");

    @Test
    void theHeartbeatAnswersFieldReadsBackAndAnUnreadableOneIsNone() {
        AgentInterruption.Notice n = new AgentInterruption.Notice(DEADLINE, AgentInterruption.SOURCE_WARNING);
        assertThat(n.toWire()).isEqualTo(Map.of("deadline", "2026-12-03T18:02:00Z", "source", "spot-interruption-warning"));
        assertThat(AgentInterruption.Notice.fromWire(n.toWire())).contains(n);
        assertThat(AgentInterruption.Notice.fromWire(Map.of("deadline", "soon"))).isEmpty();
        assertThat(AgentInterruption.Notice.fromWire("2026-12-03T18:02:00Z")).isEmpty();
        assertThat(AgentInterruption.Notice.fromWire(Map.of("deadline", "2026-12-03T18:02:00Z")))
                .as("a source left out is the warning").contains(n);
    }

    @Test
    void imdsInstanceActionIsAnInterruptionOnlyForAnActionThatEndsTheInstance() {
        assertThat(AgentInterruption.fromInstanceAction(Map.of("action", "terminate", "time", "2026-12-03T18:02:00Z")))
                .contains(new AgentInterruption.Notice(DEADLINE, "imds"));
        assertThat(AgentInterruption.fromInstanceAction(Map.of("action", "stop", "time", "2026-12-03T18:02:00Z"))).isPresent();
        assertThat(AgentInterruption.fromInstanceAction(Map.of("action", "none", "time", "2026-12-03T18:02:00Z"))).isEmpty();
        assertThat(AgentInterruption.fromInstanceAction(Map.of("action", "terminate", "time", "later"))).isEmpty();
    }

    @Test
    void theDeadlineFileIsShellAndDotenvLinesInIsoAndEpochSeconds() {
        AgentInterruption.Notice n = new AgentInterruption.Notice(DEADLINE, "imds");
        assertThat(n.deadlineFile()).isEqualTo("SLUICE_DEADLINE=2026-12-03T18:02:00Z\nSLUICE_DEADLINE_EPOCH=" + DEADLINE.getEpochSecond()
                + "\nSLUICE_INTERRUPTION_SOURCE=imds\n");
        assertThat(n.reportField(Instant.parse("2026-12-03T18:00:01Z"))).isEqualTo(Map.of("source", "imds",
                "deadline", "2026-12-03T18:02:00Z", "signaled_at", "2026-12-03T18:00:01Z"));
    }
}
