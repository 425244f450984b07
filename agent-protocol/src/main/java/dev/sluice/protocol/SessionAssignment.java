package dev.sluice.protocol;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One kernel of a session assigned to an agent, as a heartbeat answer carries it in {@value #ASSIGNMENTS}: the one
 * definition of its wire shape. The control plane writes it from its creation config, the agent reads it; plain maps
 * in and out, so that each side serializes with its own JSON library (no dependencies).
 *
 * @param status             the session's status as the control plane sees it ({@code SCHEDULED}: not started yet)
 * @param slots              the kernel's slots as decimal strings ({@code cpu}, {@code mem} in bytes, {@code cuda.device}, ...)
 * @param mounts             folders to mount: name, folder id, S3 prefix ({@code location}), permission, path in the session
 * @param batchTimeoutSeconds for batch sessions, how long the command may run before it is killed
 */
public record SessionAssignment(
        String sessionId,
        String kernelId,
        String owner,
        String type,
        String status,
        String image,
        Map<String, String> slots,
        Map<String, String> environment,
        List<Mount> mounts,
        Optional<String> startupCommand,
        String clusterRole,
        int clusterIndex,
        int clusterSize,
        Optional<Long> batchTimeoutSeconds) {

    /** The heartbeat answer's list of assignments. */
    public static final String ASSIGNMENTS = "assignments";

    public SessionAssignment {
        slots = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(slots));
        environment = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(environment));
        mounts = List.copyOf(mounts);
    }

    /** A folder mounted into the session; {@code folderId} is absent only in the bare-name form of old control planes. */
    public record Mount(String name, Optional<String> folderId, String location, String permission, String path) {
        public Map<String, Object> toWire() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", name);
            folderId.ifPresent(f -> m.put("folder_id", f));
            m.put("location", location);
            m.put("permission", permission);
            m.put("path", path);
            return m;
        }

        /** An object, or a bare folder name (old control planes): location the name, {@code rw}, under /home/work. */
        static Mount fromWire(Object wire) {
            if (wire instanceof String name) {
                return new Mount(name, Optional.empty(), name, "rw", "/home/work/" + name);
            }
            Map<?, ?> m = wire instanceof Map<?, ?> map ? map : Map.of();
            String name = text(m.get("name"), "");
            return new Mount(name, Optional.ofNullable(m.get("folder_id")).map(String::valueOf), text(m.get("location"), name),
                    text(m.get("permission"), "rw"), text(m.get("path"), "/home/work/" + name));
        }
    }

    /** The wire shape, fields in this order; {@code startup_command} and {@code batch_timeout} are null when absent. */
    public Map<String, Object> toWire() {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("session_id", sessionId);
        v.put("kernel_id", kernelId);
        v.put("owner", owner);
        v.put("type", type);
        v.put("status", status);
        v.put("image", image);
        v.put("slots", slots);
        v.put("environment", environment);
        v.put("mounts", mounts.stream().map(Mount::toWire).toList());
        v.put("startup_command", startupCommand.orElse(null));
        v.put("cluster_role", clusterRole);
        v.put("cluster_index", clusterIndex);
        v.put("cluster_size", clusterSize);
        v.put("batch_timeout", batchTimeoutSeconds.orElse(null));
        return v;
    }

    /**
     * Reads one assignment leniently, as agents always have: a missing field takes its default ({@code kernel_id}
     * {@code <session>-0}, {@code type} interactive, {@code status} SCHEDULED, {@code cluster_role} main, index 0).
     */
    public static SessionAssignment fromWire(Map<String, Object> m) {
        String sessionId = text(m.get("session_id"), "");
        List<Mount> mounts = new ArrayList<>();
        if (m.get("mounts") instanceof List<?> list) {
            list.forEach(x -> mounts.add(Mount.fromWire(x)));
        }
        return new SessionAssignment(sessionId, text(m.get("kernel_id"), sessionId + "-0"), text(m.get("owner"), ""),
                text(m.get("type"), "interactive"), text(m.get("status"), "SCHEDULED"), text(m.get("image"), ""),
                strings(m.get("slots")), strings(m.get("environment")), mounts,
                m.get("startup_command") instanceof String c ? Optional.of(c) : Optional.empty(),
                text(m.get("cluster_role"), "main"), m.get("cluster_index") instanceof Number n ? n.intValue() : 0,
                m.get("cluster_size") instanceof Number n ? n.intValue() : 1,
                m.get("batch_timeout") instanceof Number n ? Optional.of(n.longValue()) : Optional.empty());
    }

    /** A scalar as text ({@code fallback} when absent or null); anything else is not text and reads as "". */
    private static String text(Object value, String fallback) {
        if (value == null) {
            return fallback;
        }
        return value instanceof Map<?, ?> || value instanceof List<?> ? "" : String.valueOf(value);
    }

    private static Map<String, String> strings(Object value) {
        Map<String, String> out = new LinkedHashMap<>();
        if (value instanceof Map<?, ?> map) {
            map.forEach((k, v) -> {
                if (v != null) { // a null slot or variable is none
                    out.put(String.valueOf(k), text(v, ""));
                }
            });
        }
        return out;
    }
}
