package dev.sluice.core.session;

import dev.sluice.core.json.JsonObject;
import java.time.Instant;
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
    public JsonObject toWire() {
        return JsonObject.builder()
                .put("number", number)
                .put("agent_id", agentId.orElse(null))
                .put("instance_id", instanceId.orElse(null))
                .put("placed_at", placedAt.map(Instant::toString).orElse(null))
                .put("started_at", startedAt.map(Instant::toString).orElse(null))
                .put("ended_at", endedAt.toString())
                .put("status", status.name())
                .put("status_info", statusInfo)
                .put("exit_code", exitCode.orElse(null))
                .put("retried", retried)
                .put("reason", reason)
                .build();
    }

    /** An attempt as {@link #toWire} wrote it (what the store kept). */
    public static Attempt fromWire(JsonObject m) {
        return new Attempt(m.integer("number").orElseThrow().intValue(),
                m.text("agent_id"), m.text("instance_id"),
                m.text("placed_at").map(Instant::parse), m.text("started_at").map(Instant::parse),
                Instant.parse(m.text("ended_at").orElseThrow()), SessionStatus.valueOf(m.text("status").orElseThrow()),
                m.text("status_info").orElse(""), m.integer("exit_code").map(Long::intValue),
                m.bool("retried").orElse(false), m.text("reason").orElse(""));
    }
}
