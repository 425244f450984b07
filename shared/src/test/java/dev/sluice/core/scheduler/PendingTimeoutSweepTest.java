package dev.sluice.core.scheduler;

import dev.sluice.core.request.RequestFields;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.group.ResourceGroup;
import dev.sluice.core.session.Session;
import dev.sluice.core.session.SessionSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PendingTimeoutSweepTest {
    private static final Instant NOW = Instant.parse("2026-11-24T12:00:00Z");

    private static ResourceGroup group(String timeout) {
        return ResourceGroup.fromDefinition("g", RequestFields.of(Map.of("scheduler_options", Map.of("pending_timeout", timeout))), NOW, NOW);
    }

    private static Session pendingSince(String id, Duration ago, Map<String, Object> extra) {
        Map<String, Object> body = new HashMap<>(Map.of("image", "py", "resource_slots", Map.of("cpu", 1, "mem", "1g")));
        body.putAll(extra);
        Instant created = NOW.minus(ago);
        return Session.enqueue(id, "o", SessionSpec.parse(RequestFields.of(body), created), "g", created);
    }

    @Test
    void pendingSessionPastTimeoutIsCancelled() {
        Session old = pendingSince("old", Duration.ofMinutes(31), Map.of());
        Session young = pendingSince("young", Duration.ofMinutes(29), Map.of());
        assertThat(PendingTimeoutSweep.expired(group("30m"), List.of(old, young), NOW)).containsExactly(old);
    }

    @Test
    void aZeroTimeoutDisablesTheSweep() {
        assertThat(PendingTimeoutSweep.expired(group("0"), List.of(pendingSince("ancient", Duration.ofDays(30), Map.of())), NOW)).isEmpty();
    }

    @Test
    void aReservedBatchSessionIsTimedFromItsStartNotItsCreation() {
        Map<String, Object> reserved = Map.of("type", "batch", "startup_command", "run", "starts_at", "2h");
        Session waitingForStart = pendingSince("r1", Duration.ofHours(1), reserved);
        assertThat(PendingTimeoutSweep.expired(group("30m"), List.of(waitingForStart), NOW)).isEmpty();
        Session startedLongAgo = pendingSince("r2", Duration.ofHours(3), reserved);
        assertThat(PendingTimeoutSweep.expired(group("30m"), List.of(startedLongAgo), NOW)).containsExactly(startedLongAgo);
    }
}
