package dev.sluice.core.agent;

import dev.sluice.core.session.Kernel;
import dev.sluice.core.session.Session;
import dev.sluice.core.session.SessionStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What an agent needs to start one kernel of a session (REFERENCE §5): ids, image, its slots, environment, mounts,
 * startup command, cluster role and index, batch timeout. Sent in every heartbeat response for as long as the session
 * should run there; the agent starts each kernel once.
 */
public record CreationConfig(
        String sessionId,
        String kernelId,
        String owner,
        String type,
        SessionStatus status,
        String image,
        Map<String, String> slots,
        Map<String, String> environment,
        List<dev.sluice.core.session.FolderMount> mounts,
        Optional<String> startupCommand,
        String clusterRole,
        int clusterIndex,
        int clusterSize,
        Optional<Duration> batchTimeout) {

    public CreationConfig {
        slots = Map.copyOf(slots);
        environment = Map.copyOf(environment);
        mounts = List.copyOf(mounts);
    }

    /** In the agent protocol's wire shape ({@link dev.sluice.protocol.SessionAssignment}), the one both sides use. */
    public dev.sluice.protocol.SessionAssignment wire() {
        return new dev.sluice.protocol.SessionAssignment(sessionId, kernelId, owner, type, status.name(), image, slots, environment,
                mounts.stream().map(m -> new dev.sluice.protocol.SessionAssignment.Mount(m.name(), Optional.of(m.folderId()), m.prefix(),
                        m.permission(), m.mountPath())).toList(),
                startupCommand, clusterRole, clusterIndex, clusterSize, batchTimeout.map(Duration::toSeconds));
    }

    /** The kernels of {@code session} placed on {@code agentId}, as creation configs. */
    public static List<CreationConfig> forAgent(Session session, String agentId) {
        List<CreationConfig> out = new ArrayList<>();
        List<Kernel> kernels = session.kernels();
        for (int i = 0; i < kernels.size(); i++) {
            Kernel k = kernels.get(i);
            if (!k.agentId().equals(agentId)) {
                continue;
            }
            out.add(new CreationConfig(session.id(), session.id() + "-" + i, session.owner(), session.spec().type().wireName(),
                    session.status(), session.spec().image(), k.slots().toStrings(), session.spec().environment(),
                    session.spec().folderMounts(), session.spec().startupCommand(), i == 0 ? "main" : "sub", i, Math.max(kernels.size(), session.spec().clusterSize()),
                    session.spec().batchTimeout()));
        }
        return out;
    }
}
