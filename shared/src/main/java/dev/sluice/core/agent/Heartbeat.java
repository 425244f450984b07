package dev.sluice.core.agent;

import dev.sluice.core.error.DomainException;
import dev.sluice.core.group.ResourceGroup;
import dev.sluice.core.request.RequestFields;
import dev.sluice.core.session.SessionId;
import dev.sluice.core.slots.ResourceSlots;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What an agent says every interval: who it is, its capacity, and which sessions it is running. The agent id is the
 * caller's verified identity; a body naming another id is refused.
 */
public record Heartbeat(
        String agentId,
        String resourceGroup,
        ResourceSlots availableSlots,
        String architecture,
        String version,
        Map<String, String> computePlugins,
        List<RunningSession> running) {

    public static final int MAX_RUNNING = 1_000;
    public static final int MAX_PLUGINS = 256;
    private static final Set<String> KNOWN = Set.of("agent_id", "resource_group", "available_slots", "architecture",
            "version", "compute_plugins", "running");
    private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9._+-]{1,64}");

    public Heartbeat {
        computePlugins = Map.copyOf(computePlugins);
        running = List.copyOf(running);
    }

    /** A session the agent runs now, and the status it last saw it in. */
    public record RunningSession(String sessionId, String status) {
    }

    public static Heartbeat parse(String agentId, RequestFields f) {
        f.refuseUnknown(KNOWN);
        f.optionalString("agent_id").ifPresent(id -> {
            if (!id.equals(agentId)) {
                throw new DomainException(dev.sluice.core.error.ErrorCode.FORBIDDEN, "agent_id",
                        "agent_id must be the reporting agent's own id ('" + agentId + "'); an agent may only report as itself.");
            }
        });
        String group = f.requireString("resource_group");
        if (!ResourceGroup.isValidName(group)) {
            throw DomainException.invalid("resource_group", "is not a resource group name");
        }
        f.optionalStringMap("available_slots")
                .orElseThrow(() -> DomainException.invalid("available_slots", "is required (it is the agent's capacity)"));
        ResourceSlots available = ResourceSlots.parse(f.optionalObject("available_slots").orElseThrow());
        String arch = f.optionalString("architecture").orElse("x86_64");
        if (!TOKEN.matcher(arch).matches()) {
            throw DomainException.invalid("architecture", "must be a short name such as x86_64 or aarch64");
        }
        String version = f.optionalString("version").orElse("unknown");
        if (!TOKEN.matcher(version).matches()) {
            throw DomainException.invalid("version", "must be a version such as 0.1.0");
        }
        Map<String, String> plugins = f.optionalStringMap("compute_plugins").orElse(Map.of());
        if (plugins.size() > MAX_PLUGINS) {
            throw DomainException.invalid("compute_plugins", "may hold at most " + MAX_PLUGINS + " entries");
        }
        plugins.forEach((k, v) -> {
            if (k.length() > 128 || v.length() > 256) {
                throw DomainException.invalid("compute_plugins." + k, "must have a key of at most 128 characters and a value of at most 256");
            }
        });
        List<RunningSession> running = new ArrayList<>();
        Object raw = f.raw().get("running");
        if (raw != null) {
            if (!(raw instanceof List<?> list)) {
                throw DomainException.invalid("running", "must be a list of {session_id, status} objects");
            }
            if (list.size() > MAX_RUNNING) {
                throw DomainException.invalid("running", "may list at most " + MAX_RUNNING + " sessions");
            }
            for (int i = 0; i < list.size(); i++) {
                String path = "running[" + i + "]";
                if (!(list.get(i) instanceof Map<?, ?> entry)) {
                    throw DomainException.invalid(path, "must be an object {session_id, status}");
                }
                Object id = entry.get("session_id");
                Object status = entry.get("status");
                if (!(id instanceof String sid) || !SessionId.isWellFormed(sid)) {
                    throw DomainException.invalid(path + ".session_id", "must be a session id");
                }
                if (status != null && !(status instanceof String)) {
                    throw DomainException.invalid(path + ".status", "must be a string");
                }
                running.add(new RunningSession(sid, status == null ? "RUNNING" : (String) status));
            }
        }
        return new Heartbeat(agentId, group, available, arch, version, plugins, running);
    }
}
