package dev.sluice.core.session;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One ended attempt of a session that has {@code retry} rules ({@code attempts} on the wire): its number (1-based),
 * where it ran (the main kernel's agent, and the EC2 instance when that agent is one: a fleet agent's id is its
 * instance id), when it was placed and started running, how it ended (status, status_info, exit code) and what the
 * retry rules made of that end ({@code reason}, and whether it re-queued the session).
 */
public record Attempt(
        int number,
        Optional<String> agentId,
        Optional<String> instanceId,
        Optional<Instant> placedAt,
        Optional<Instant> startedAt,
        Instant endedAt,
        SessionStatus status,
        String statusInfo,
        Optional<Integer> exitCode,
        boolean retried,
        String reason) {

    private static final Pattern INSTANCE_ID = Pattern.compile("i-[0-9a-f]{8,17}");

    /** The agent's id when it is an EC2 instance id ({@code i-...}), as a fleet-launched agent's is. */
    public static Optional<String> instanceOf(String agentId) {
        return INSTANCE_ID.matcher(agentId).matches() ? Optional.of(agentId) : Optional.empty();
    }

    /** {@code {number, agent_id, instance_id, placed_at, started_at, ended_at, status, status_info, exit_code, retried, reason}}. */
    public Map<String, Object> toWire() {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("number", number);
        v.put("agent_id", agentId.orElse(null));
        v.put("instance_id", instanceId.orElse(null));
        v.put("placed_at", placedAt.map(Instant::toString).orElse(null));
        v.put("started_at", startedAt.map(Instant::toString).orElse(null));
        v.put("ended_at", endedAt.toString());
        v.put("status", status.name());
        v.put("status_info", statusInfo);
        v.put("exit_code", exitCode.orElse(null));
        v.put("retried", retried);
        v.put("reason", reason);
        return v;
    }

    /** An attempt as {@link #toWire} wrote it (what the store kept). */
    public static Attempt fromWire(Map<String, Object> m) {
        return new Attempt(((Number) m.get("number")).intValue(),
                text(m, "agent_id"), text(m, "instance_id"),
                text(m, "placed_at").map(Instant::parse), text(m, "started_at").map(Instant::parse),
                Instant.parse((String) m.get("ended_at")), SessionStatus.valueOf((String) m.get("status")),
                (String) m.get("status_info"),
                Optional.ofNullable((Number) m.get("exit_code")).map(Number::intValue),
                Boolean.TRUE.equals(m.get("retried")), (String) m.get("reason"));
    }

    private static Optional<String> text(Map<String, Object> m, String key) {
        return Optional.ofNullable((String) m.get(key));
    }
}
