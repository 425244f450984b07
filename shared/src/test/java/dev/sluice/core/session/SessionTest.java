package dev.sluice.core.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.slots.ResourceSlots;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SessionTest {
    private static final Instant T0 = Instant.parse("2026-11-24T10:00:00Z");

    private static Session pending() {
        SessionSpec spec = SessionSpec.parse(Map.of("image", "python:3.12", "resource_slots", Map.of("cpu", 2, "mem", "4g")), T0);
        return Session.enqueue("s-1", "alice", spec, "gpu", T0);
    }

    @Test
    void aNewSessionIsPendingWithOneHistoryEntryAndSequenceOne() {
        Session s = pending();
        assertThat(s.status()).isEqualTo(SessionStatus.PENDING);
        assertThat(s.sequence()).isEqualTo(1);
        assertThat(s.statusHistory()).containsExactly(new StatusChange(SessionStatus.PENDING, T0));
        assertThat(s.occupiedSlots().isEmpty()).isTrue();
    }

    @Test
    void aTransitionAppendsHistoryBumpsTheSequenceAndStampsTimes() {
        Session placed = pending().placedOn(java.util.List.of(new Kernel("i-1", ResourceSlots.parse("s", Map.of("cpu", 2, "mem", "4g")))));
        Session scheduled = placed.transitionTo(SessionStatus.SCHEDULED, "scheduled", Map.of(), T0.plusSeconds(1));
        Session running = scheduled.transitionTo(SessionStatus.PREPARING, "", Map.of(), T0.plusSeconds(2))
                .transitionTo(SessionStatus.RUNNING, "", Map.of(), T0.plusSeconds(3));
        assertThat(running.sequence()).isEqualTo(4);
        assertThat(running.startedAt()).contains(T0.plusSeconds(3));
        assertThat(running.occupiedSlots().get("cpu")).isEqualByComparingTo("2");
        Session ended = running.transitionTo(SessionStatus.TERMINATED, "task-finished", Map.of("exit_code", 0), T0.plusSeconds(9));
        assertThat(ended.terminatedAt()).contains(T0.plusSeconds(9));
        assertThat(ended.occupiedSlots().isEmpty()).as("slots are freed at the end").isTrue();
        assertThat(ended.agentId()).as("where it ran is kept").contains("i-1");
        assertThat(ended.statusHistory()).extracting(StatusChange::status).containsExactly(SessionStatus.PENDING,
                SessionStatus.SCHEDULED, SessionStatus.PREPARING, SessionStatus.RUNNING, SessionStatus.TERMINATED);
    }

    @Test
    void aForbiddenTransitionThrowsAndLeavesTheSessionAsItWas() {
        Session s = pending();
        assertThatThrownBy(() -> s.transitionTo(SessionStatus.RUNNING, "", Map.of(), T0))
                .isInstanceOf(IllegalTransitionException.class)
                .hasMessageContaining("PENDING").hasMessageContaining("RUNNING");
        assertThat(s.status()).isEqualTo(SessionStatus.PENDING);
        assertThat(s.sequence()).isEqualTo(1);
    }
}
