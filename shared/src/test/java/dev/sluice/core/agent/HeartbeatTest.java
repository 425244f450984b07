package dev.sluice.core.agent;

import dev.sluice.core.session.StatusData;
import dev.sluice.core.request.RequestFields;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.error.DomainException;
import dev.sluice.core.error.ErrorCode;
import dev.sluice.core.session.Kernel;
import dev.sluice.core.session.Session;
import dev.sluice.core.session.SessionSpec;
import dev.sluice.core.session.SessionStatus;
import dev.sluice.core.slots.ResourceSlots;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Heartbeats, creation configs and liveness. */
class HeartbeatTest {
    private static final Instant T0 = Instant.parse("2026-11-25T10:00:00Z");

    @Test
    void aHeartbeatCarriesCapacityPluginsAndWhatRuns() {
        Heartbeat hb = Heartbeat.parse("i-1", RequestFields.of(Map.of("resource_group", "gpu-a100",
                "available_slots", Map.of("cpu", "8", "mem", "32g", "cuda.device", "2"),
                "compute_plugins", Map.of("cuda.version", "12.2"),
                "running", List.of(Map.of("session_id", "s-1", "status", "RUNNING"), Map.of("session_id", "s-2")))));
        assertThat(hb.availableSlots().get("cuda.device")).isEqualByComparingTo("2");
        assertThat(hb.availableSlots().get("mem")).isEqualByComparingTo(String.valueOf(32L << 30));
        assertThat(hb.running()).containsExactly(new Heartbeat.RunningSession("s-1", "RUNNING"), new Heartbeat.RunningSession("s-2", "RUNNING"));
        assertThat(hb.architecture()).isEqualTo("x86_64");
    }

    @Test
    void anAgentCanOnlySpeakForItself() {
        assertThatThrownBy(() -> Heartbeat.parse("i-1", RequestFields.of(Map.of("agent_id", "i-2", "resource_group", "g1",
                "available_slots", Map.of("cpu", "1")))))
                .satisfies(e -> assertThat(((DomainException) e).code()).isEqualTo(ErrorCode.FORBIDDEN));
    }

    @Test
    void badHeartbeatsNameTheirField() {
        assertField(Map.of("available_slots", Map.of("cpu", "1")), "resource_group");
        assertField(Map.of("resource_group", "g1"), "available_slots");
        assertField(Map.of("resource_group", "g1", "available_slots", Map.of("warp.drive", "1")), "available_slots.warp.drive");
        assertField(Map.of("resource_group", "g1", "available_slots", Map.of("cpu", "1"), "running", List.of("s-1")), "running[0]");
        assertField(Map.of("resource_group", "g1", "available_slots", Map.of("cpu", "1"),
                "running", List.of(Map.of("session_id", "../etc"))), "running[0].session_id");
        assertField(Map.of("resource_group", "g1", "available_slots", Map.of("cpu", "1"), "architecture", "x 86"), "architecture");
    }

    private static void assertField(Map<String, Object> body, String field) {
        assertThatThrownBy(() -> Heartbeat.parse("i-1", RequestFields.of(body))).isInstanceOf(DomainException.class)
                .satisfies(e -> assertThat(((DomainException) e).field()).contains(field));
    }

    @Test
    void aCreationConfigIsMadeForEachKernelOnTheAgent() {
        Session s = Session.enqueue("s-1", "alice", SessionSpec.parse(RequestFields.of(Map.of("image", "pytorch:2.4", "type", "batch",
                        "startup_command", "python train.py", "batch_timeout", "2h", "environment", Map.of("SEED", "7"),
                        "cluster_mode", "multi-node", "cluster_size", 2, "resource_slots", Map.of("cpu", 1, "mem", "1g", "cuda.device", 1))), T0), "g1", T0)
                .placedOn(List.of(new Kernel("i-1", ResourceSlots.parse(RequestFields.of(Map.of("cuda.device", 1)).at("r"))),
                        new Kernel("i-2", ResourceSlots.parse(RequestFields.of(Map.of("cuda.device", 1)).at("r")))))
                .transitionTo(SessionStatus.SCHEDULED, "scheduled", StatusData.NONE, T0);
        List<CreationConfig> first = CreationConfig.forAgent(s, "i-1");
        List<CreationConfig> second = CreationConfig.forAgent(s, "i-2");
        assertThat(first).singleElement().satisfies(c -> {
            assertThat(c.kernelId()).isEqualTo("s-1-0");
            assertThat(c.clusterRole()).isEqualTo("main");
            assertThat(c.clusterSize()).isEqualTo(2);
            assertThat(c.batchTimeout()).contains(Duration.ofHours(2));
            assertThat(c.environment()).containsEntry("SEED", "7");
            assertThat(c.startupCommand()).contains("python train.py");
        });
        assertThat(second).singleElement().satisfies(c -> {
            assertThat(c.kernelId()).isEqualTo("s-1-1");
            assertThat(c.clusterRole()).isEqualTo("sub");
            assertThat(c.clusterIndex()).isEqualTo(1);
        });
        assertThat(CreationConfig.forAgent(s, "i-3")).isEmpty();
    }

    @Test
    void anAgentIsOverdueOnlyWhenAliveAndSilentPastTheTimeout() {
        Agent a = new Agent("i-1", "g1", AgentStatus.ALIVE, true, ResourceSlots.EMPTY, ResourceSlots.EMPTY, "x86_64", "1",
                Map.of(), T0, T0);
        assertThat(Liveness.isOverdue(a, T0.plusSeconds(40), Duration.ofSeconds(40))).isFalse();
        assertThat(Liveness.isOverdue(a, T0.plusSeconds(41), Duration.ofSeconds(40))).isTrue();
        Agent lost = new Agent("i-1", "g1", AgentStatus.LOST, true, ResourceSlots.EMPTY, ResourceSlots.EMPTY, "x86_64", "1",
                Map.of(), T0, T0);
        assertThat(Liveness.isOverdue(lost, T0.plusSeconds(400), Duration.ofSeconds(40))).isFalse();
    }

    @Test
    void anAgentWhoseCapacityShrankUnderItsSessionsHasNothingFreeRatherThanAnError() {
        Agent a = new Agent("i-1", "g1", AgentStatus.ALIVE, true, ResourceSlots.parse(RequestFields.of(Map.of("cpu", 4)).at("a")),
                ResourceSlots.parse(RequestFields.of(Map.of("cpu", 2, "cuda.device", 1)).at("o")), "x86_64", "1", Map.of(), T0, T0);
        assertThat(a.freeSlots().get("cpu")).isEqualByComparingTo("2");
        assertThat(a.freeSlots().get("cuda.device")).isEqualByComparingTo("0");
        assertThat(a.canHost(ResourceSlots.parse(RequestFields.of(Map.of("cuda.device", 1)).at("r")))).isFalse();
    }

    @Test
    void absurdAmountsAreRefusedBeforeAnyArithmetic() {
        for (Object amount : List.of("1e999999999g", "1e9999999g", "1e999999999", 1e300)) {
            assertThatThrownBy(() -> ResourceSlots.parse(RequestFields.of(Map.of("mem", amount)).at("available_slots")))
                    .isInstanceOf(DomainException.class)
                    .satisfies(e -> assertThat(((DomainException) e).field()).contains("available_slots.mem"));
        }
    }

    @Test
    void releasedKernelsHoldNothing() {
        Session s = Session.enqueue("s-1", "alice", SessionSpec.parse(RequestFields.of(Map.of("image", "x", "resource_slots", Map.of("cpu", 2, "mem", "1g"))), T0), "g1", T0)
                .placedOn(List.of(new Kernel("i-1", ResourceSlots.parse(RequestFields.of(Map.of("cpu", 2)).at("r")))))
                .transitionTo(SessionStatus.SCHEDULED, "scheduled", StatusData.NONE, T0)
                .transitionTo(SessionStatus.ERROR, "agent-lost", StatusData.NONE, T0);
        assertThat(s.occupiedSlots().get("cpu")).isEqualByComparingTo("2");
        Session released = s.withKernelsReleased();
        assertThat(released.occupiedSlots().isEmpty()).isTrue();
        assertThat(released.unreleasedKernels()).isEmpty();
        assertThat(released.sequence()).isEqualTo(s.sequence());
    }
}
