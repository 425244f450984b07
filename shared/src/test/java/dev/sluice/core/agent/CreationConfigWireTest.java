package dev.sluice.core.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.session.FolderMount;
import dev.sluice.core.session.SessionStatus;
import dev.sluice.protocol.SessionAssignment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The creation config goes to the agent in the agent protocol's shape ({@link SessionAssignment}), which the agent
 * reads with the same class: the wire is what the control plane wrote before the shape moved there, and it reads back
 * to the same assignment.
 */
class CreationConfigWireTest {

    /** The assignment as the agent API wrote it by hand before (kept here as the byte-compatibility reference). */
    private static Map<String, Object> before(CreationConfig c) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("session_id", c.sessionId());
        v.put("kernel_id", c.kernelId());
        v.put("owner", c.owner());
        v.put("type", c.type());
        v.put("status", c.status().name());
        v.put("image", c.image());
        v.put("slots", c.slots());
        v.put("environment", c.environment());
        v.put("mounts", c.mounts().stream().map(m -> Map.of("name", m.name(), "folder_id", m.folderId(),
                "location", m.prefix(), "permission", m.permission(), "path", m.mountPath())).toList());
        v.put("startup_command", c.startupCommand().orElse(null));
        v.put("cluster_role", c.clusterRole());
        v.put("cluster_index", c.clusterIndex());
        v.put("cluster_size", c.clusterSize());
        v.put("batch_timeout", c.batchTimeout().map(Duration::toSeconds).orElse(null));
        return v;
    }

    private static List<CreationConfig> configs() {
        return List.of(
                new CreationConfig("s-1", "s-1-0", "alice", "batch", SessionStatus.SCHEDULED, "pytorch:2.4",
                        Map.of("cpu", "1", "mem", "1073741824", "cuda.device", "1"), Map.of("SEED", "7"),
                        List.of(new FolderMount("f-1", "data", "folders/f-1/", "ro", "/home/work/data"),
                                new FolderMount("f-2", "out", "folders/f-2/", "rw", "/o")),
                        Optional.of("python train.py"), "main", 0, 2, Optional.of(Duration.ofHours(2))),
                new CreationConfig("s-2", "s-2-1", "bob", "interactive", SessionStatus.RUNNING, "python:3.12", Map.of(), Map.of(),
                        List.of(), Optional.empty(), "sub", 1, 2, Optional.empty()));
    }

    @Test
    void theWireIsTheShapeTheControlPlaneWroteBeforeFieldForFieldInTheSameOrder() {
        for (CreationConfig c : configs()) {
            Map<String, Object> wire = c.wire().toWire();
            assertThat(wire).isEqualTo(before(c));
            assertThat(new ArrayList<>(wire.keySet())).isEqualTo(new ArrayList<>(before(c).keySet()));
        }
    }

    @Test
    void theAgentReadsBackTheAssignmentTheControlPlaneWrote() {
        for (CreationConfig c : configs()) {
            SessionAssignment sent = c.wire();
            assertThat(SessionAssignment.fromWire(sent.toWire())).isEqualTo(sent);
        }
    }
}
