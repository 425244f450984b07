package dev.sluice.core.agent;

import dev.sluice.core.session.Kernel;
import dev.sluice.core.session.Session;
import dev.sluice.protocol.SessionAssignment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What an agent needs to start one kernel of a session (REFERENCE §5): ids, image, its slots, environment, mounts,
 * startup command, cluster role and index, batch timeout. Sent in every heartbeat response for as long as the session
 * should run there; the agent starts each kernel once. Its shape is the agent protocol's ({@link SessionAssignment},
 * the one definition the agent reads too); this is the core's way to make it from a session.
 */
public record CreationConfig(SessionAssignment wire) {

    /** The kernels of {@code session} placed on {@code agentId}, as creation configs. */
    public static List<CreationConfig> forAgent(Session session, String agentId) {
        List<CreationConfig> out = new ArrayList<>();
        List<Kernel> kernels = session.kernels();
        for (int i = 0; i < kernels.size(); i++) {
            Kernel k = kernels.get(i);
            if (!k.agentId().equals(agentId)) {
                continue;
            }
            out.add(new CreationConfig(new SessionAssignment(session.id(), session.id() + "-" + i, session.owner(),
                    session.spec().type().wireName(), session.status().name(), session.spec().image(), k.slots().toStrings(),
                    session.spec().environment(),
                    session.spec().folderMounts().stream().map(m -> new SessionAssignment.Mount(m.name(), Optional.of(m.folderId()),
                            m.prefix(), m.permission(), m.mountPath())).toList(),
                    session.spec().startupCommand(), i == 0 ? "main" : "sub", i, Math.max(kernels.size(), session.spec().clusterSize()),
                    session.spec().batchTimeout().map(Duration::toSeconds))));
        }
        return out;
    }

    public String sessionId() {
        return wire.sessionId();
    }

    public String kernelId() {
        return wire.kernelId();
    }

    public Map<String, String> environment() {
        return wire.environment();
    }

    public Optional<String> startupCommand() {
        return wire.startupCommand();
    }

    public String clusterRole() {
        return wire.clusterRole();
    }

    public int clusterIndex() {
        return wire.clusterIndex();
    }

    public int clusterSize() {
        return wire.clusterSize();
    }

    public Optional<Duration> batchTimeout() {
        return wire.batchTimeoutSeconds().map(Duration::ofSeconds);
    }
}
