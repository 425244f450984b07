package dev.sluice.core.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.error.DomainException;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SessionSpecTest {
    private static final Instant NOW = Instant.parse("2026-11-24T12:00:00Z");

    private static Map<String, Object> minimal() {
        return new HashMap<>(Map.of("image", "python:3.12", "resource_slots", Map.of("cpu", 1, "mem", "1g")));
    }

    private static void assertRefused(Map<String, Object> body, String field) {
        assertThatThrownBy(() -> SessionSpec.parse(body, NOW))
                .isInstanceOf(DomainException.class)
                .satisfies(e -> assertThat(((DomainException) e).field()).contains(field));
    }

    private static Map<String, Object> with(String key, Object value) {
        Map<String, Object> b = minimal();
        b.put(key, value);
        return b;
    }

    @Test
    void everyFieldIsRead() {
        Map<String, Object> body = new HashMap<>(Map.ofEntries(
                Map.entry("name", "train-7"), Map.entry("type", "batch"), Map.entry("image", "cr.example/torch:2.5"),
                Map.entry("resource_group", "gpu"), Map.entry("resource_slots", Map.of("cpu", 4, "mem", "16g", "cuda.device", 2)),
                Map.entry("startup_command", "python train.py"), Map.entry("starts_at", "2026-11-25T00:00:00Z"),
                Map.entry("batch_timeout", "2h"), Map.entry("dependencies", List.of("a-1", "b-2")), Map.entry("priority", 50),
                Map.entry("callback_url", "https://hooks.example/x"), Map.entry("cluster_mode", "multi-node"),
                Map.entry("cluster_size", 2), Map.entry("environment", Map.of("SEED", "1")), Map.entry("mounts", List.of("data")),
                Map.entry("tags", List.of("exp"))));
        SessionSpec s = SessionSpec.parse(body, NOW);
        assertThat(s.type()).isEqualTo(SessionType.BATCH);
        assertThat(s.requestedSlots().get("cuda.device")).isEqualByComparingTo(new BigDecimal(2));
        assertThat(s.startsAt()).contains(Instant.parse("2026-11-25T00:00:00Z"));
        assertThat(s.batchTimeout()).contains(Duration.ofHours(2));
        assertThat(s.clusterMode()).isEqualTo(ClusterMode.MULTI_NODE);
        assertThat(s.clusterSize()).isEqualTo(2);
        assertThat(s.environment()).containsEntry("SEED", "1");
        assertThat(s.dependencies()).containsExactly("a-1", "b-2");
    }

    @Test
    void defaultsAreInteractivePriorityTenSingleNode() {
        SessionSpec s = SessionSpec.parse(minimal(), NOW);
        assertThat(s.type()).isEqualTo(SessionType.INTERACTIVE);
        assertThat(s.priority()).isEqualTo(10);
        assertThat(s.clusterMode()).isEqualTo(ClusterMode.SINGLE_NODE);
        assertThat(s.clusterSize()).isEqualTo(1);
    }

    @Test
    void aRelativeStartResolvesAgainstNow() {
        Map<String, Object> b = with("type", "batch");
        b.put("startup_command", "run");
        b.put("starts_at", "30m");
        assertThat(SessionSpec.parse(b, NOW).startsAt()).contains(NOW.plus(Duration.ofMinutes(30)));
    }

    @Test
    void badFieldsAreRefusedByName() {
        Map<String, Object> noImage = minimal();
        noImage.remove("image");
        assertRefused(noImage, "image");
        assertRefused(with("type", "gaming"), "type");
        assertRefused(with("imgae", "typo"), "imgae");
        assertRefused(with("priority", "high"), "priority");
        assertRefused(with("priority", 101), "priority");
        assertRefused(with("resource_slots", List.of(1)), "resource_slots");
        assertRefused(with("environment", Map.of("A", 1)), "environment.A");
        assertRefused(with("environment", Map.of("1BAD", "x")), "environment.1BAD");
        assertRefused(with("type", "batch"), "startup_command");
        assertRefused(with("starts_at", "30m"), "starts_at");
        assertRefused(with("batch_timeout", 60), "batch_timeout");
        assertRefused(with("callback_url", "ftp://x"), "callback_url");
        assertRefused(with("cluster_size", 0), "cluster_size");
        assertRefused(with("dependencies", List.of("not an id")), "dependencies[0]");
        assertRefused(with("resource_slots", Map.of("cpu", 1)), "resource_slots");
        Map<String, Object> badStart = with("type", "batch");
        badStart.put("startup_command", "run");
        badStart.put("starts_at", "next tuesday");
        assertRefused(badStart, "starts_at");
    }
}
