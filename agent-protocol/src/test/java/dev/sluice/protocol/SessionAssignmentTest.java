package dev.sluice.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The assignment's wire shape: written in one order, read back the same, read leniently as agents always have. */
class SessionAssignmentTest {

    @Test
    void anAssignmentWrittenReadsBackTheSameWithItsFieldsInTheWireOrder() {
        SessionAssignment a = new SessionAssignment("s-1", "s-1-0", "alice", "batch", "SCHEDULED", "python:3.12",
                Map.of("cpu", "1", "cuda.device", "1"), Map.of("SEED", "7"),
                List.of(new SessionAssignment.Mount("data", Optional.of("f-1"), "folders/f-1/", "ro", "/home/work/data")),
                Optional.of("python train.py"), "main", 0, 1, Optional.of(7200L));
        Map<String, Object> wire = a.toWire();
        assertThat(new ArrayList<>(wire.keySet())).containsExactly("session_id", "kernel_id", "owner", "type", "status", "image", "slots",
                "environment", "mounts", "startup_command", "cluster_role", "cluster_index", "cluster_size", "batch_timeout");
        assertThat(wire.get("mounts")).asList().singleElement().isEqualTo(Map.of("name", "data", "folder_id", "f-1",
                "location", "folders/f-1/", "permission", "ro", "path", "/home/work/data"));
        assertThat(SessionAssignment.fromWire(wire)).isEqualTo(a);
    }

    @Test
    void missingFieldsTakeTheirDefaultsAndABareMountNameIsAFolderUnderHomeWork() {
        Map<String, Object> wire = new HashMap<>();
        wire.put("session_id", "s-2");
        wire.put("mounts", List.of("data"));
        wire.put("slots", Map.of("cpu", 2, "cuda.device", 0.5));
        wire.put("startup_command", null);
        SessionAssignment a = SessionAssignment.fromWire(wire);
        assertThat(a.kernelId()).isEqualTo("s-2-0");
        assertThat(a.type()).isEqualTo("interactive");
        assertThat(a.status()).isEqualTo("SCHEDULED");
        assertThat(a.clusterRole()).isEqualTo("main");
        assertThat(a.slots()).containsEntry("cpu", "2").containsEntry("cuda.device", "0.5");
        assertThat(a.startupCommand()).isEmpty();
        assertThat(a.batchTimeoutSeconds()).isEmpty();
        assertThat(a.mounts()).containsExactly(new SessionAssignment.Mount("data", Optional.empty(), "data", "rw", "/home/work/data"));
    }
}
