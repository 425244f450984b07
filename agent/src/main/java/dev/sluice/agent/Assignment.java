package dev.sluice.agent;

import dev.sluice.protocol.SessionAssignment;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One session (one kernel) the control plane assigned to this agent, as its runtime starts it: the assignment the
 * heartbeat answer carries ({@link SessionAssignment}, the one wire shape the control plane writes too) and the GPUs
 * this agent gave it.
 *
 * @param slots        the slots allocated to this kernel, as decimal strings ({@code cpu}, {@code mem} in bytes,
 *                     {@code cuda.device}, ...)
 * @param gpus         the GPU device ids (UUIDs from discovery) this kernel may use; empty without GPUs
 * @param mounts       folders to mount: name, S3 prefix, permission, path inside the session
 * @param batchTimeout for batch sessions, how long the command may run before it is killed
 */
public record Assignment(
        String sessionId,
        String kernelId,
        String type,
        String image,
        Map<String, String> slots,
        List<String> gpus,
        Map<String, String> environment,
        List<Mount> mounts,
        Optional<String> startupCommand,
        String clusterRole,
        int clusterIndex,
        Optional<Duration> batchTimeout) {

    public Assignment {
        slots = Map.copyOf(slots);
        gpus = List.copyOf(gpus);
        environment = Map.copyOf(environment);
        mounts = List.copyOf(mounts);
    }

    /** The wire's assignment with the GPUs allocated to it here. */
    public static Assignment of(SessionAssignment a, List<String> gpus) {
        return new Assignment(a.sessionId(), a.kernelId(), a.type(), a.image(), a.slots(), gpus, a.environment(),
                a.mounts().stream().map(m -> new Mount(m.name(), m.location(), m.permission(), m.path())).toList(),
                a.startupCommand(), a.clusterRole(), a.clusterIndex(), a.batchTimeoutSeconds().map(Duration::ofSeconds));
    }

    public boolean isBatch() {
        return "batch".equals(type);
    }

    /** A folder mounted into a session. */
    public record Mount(String name, String location, String permission, String path) {
    }
}
