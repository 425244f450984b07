package dev.sluice.core.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.session.StatusData;
import dev.sluice.core.request.RequestFields;
import dev.sluice.core.session.Kernel;
import dev.sluice.core.session.Session;
import dev.sluice.core.session.SessionSpec;
import dev.sluice.core.session.SessionStatus;
import dev.sluice.core.slots.ResourceSlots;
import dev.sluice.protocol.SessionAssignment;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The creation config goes to the agent in the agent protocol's shape ({@link SessionAssignment}), which the agent
 * reads with the same class: the wire is what the control plane wrote before the shape moved there (field for field,
 * in the same order), and it reads back to the same assignment.
 */
class CreationConfigWireTest {
    private static final Instant T0 = Instant.parse("2026-11-25T10:00:00Z");

    private static Session session() {
        return Session.enqueue("s-1", "alice", SessionSpec.parse(RequestFields.of(Map.of("image", "pytorch:2.4", "type", "batch",
                        "startup_command", "python train.py", "batch_timeout", "2h", "environment", Map.of("SEED", "7"),
                        "cluster_mode", "multi-node", "cluster_size", 2, "resource_slots", Map.of("cpu", 1, "mem", "1g", "cuda.device", 1))), T0), "g1", T0)
                .placedOn(List.of(new Kernel("i-1", ResourceSlots.parse(RequestFields.of(Map.of("cuda.device", 1)).at("r"))),
                        new Kernel("i-2", ResourceSlots.parse(RequestFields.of(Map.of("cuda.device", 1)).at("r")))))
                .transitionTo(SessionStatus.SCHEDULED, "scheduled", StatusData.NONE, T0);
    }

    @Test
    void theWireIsTheShapeTheControlPlaneWroteBeforeFieldForFieldInTheSameOrder() {
        Session s = session();
        Map<String, Object> wire = CreationConfig.forAgent(s, "i-2").get(0).wire().toWire();
        // The assignment as the agent API wrote it by hand before the shape moved to the agent protocol.
        Map<String, Object> before = new LinkedHashMap<>();
        before.put("session_id", "s-1");
        before.put("kernel_id", "s-1-1");
        before.put("owner", "alice");
        before.put("type", "batch");
        before.put("status", "SCHEDULED");
        before.put("image", "pytorch:2.4");
        before.put("slots", s.kernels().get(1).slots().toStrings());
        before.put("environment", Map.of("SEED", "7"));
        before.put("mounts", List.of());
        before.put("startup_command", "python train.py");
        before.put("cluster_role", "sub");
        before.put("cluster_index", 1);
        before.put("cluster_size", 2);
        before.put("batch_timeout", 7200L);
        assertThat(wire).isEqualTo(before);
        assertThat(new ArrayList<>(wire.keySet())).isEqualTo(new ArrayList<>(before.keySet()));
    }

    @Test
    void theAgentReadsBackTheAssignmentTheControlPlaneWrote() {
        for (CreationConfig c : CreationConfig.forAgent(session(), "i-1")) {
            assertThat(SessionAssignment.fromWire(c.wire().toWire())).isEqualTo(c.wire());
        }
    }
}
