package dev.sluice.core.session;

import dev.sluice.core.json.JsonObject;
import dev.sluice.core.json.JsonValue;
import dev.sluice.core.time.DurationText;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Why a session is in its status, kept with it ({@code status_data} on the wire, REFERENCE §1): what the control
 * plane decided (a placement, a destroy request, a pending-timeout, a failed dependency, a lost agent), the scheduler's
 * explanation of a wait ({@code PendingExplanation.toStatusData}), or what the agent reported of its step (its id,
 * container, devices, exit code, message). The core builds it from those typed parts and reads back only the few
 * fields it decides on; the whole is an open JSON object by contract (clients read it, an agent's message is free
 * text, an item written by an older version keeps what it had), held here as a {@link JsonObject} that adapters and
 * views write as it is.
 */
public record StatusData(JsonObject json) {
    /** No status data: {@code {}} on the wire, nothing stored. */
    public static final StatusData NONE = new StatusData(JsonObject.EMPTY);

    public StatusData {
        Objects.requireNonNull(json, "json");
    }

    /** A user (or an admin) asked to destroy the session. */
    public static StatusData destroyRequested(String requestedBy, boolean forced) {
        return new StatusData(JsonObject.of("requested_by", requestedBy, "forced", forced));
    }

    /** The scheduler placed the session's kernels on these agents. */
    public static StatusData placed(List<String> agents) {
        return new StatusData(JsonObject.of("agents", agents));
    }

    /** The session waited longer than its group's pending timeout. */
    public static StatusData pendingTimeout(Duration timeout) {
        return new StatusData(JsonObject.of("pending_timeout", DurationText.format(timeout)));
    }

    /** A session it depends on ended without success ({@code status/result}, or {@code missing}). */
    public static StatusData dependencyFailed(String dependency, String dependencyStatus) {
        return new StatusData(JsonObject.of("dependency", dependency, "dependency_status", dependencyStatus));
    }

    /** The session's agent sent no heartbeat in time; the control plane ended the session. */
    public static StatusData agentLost(String agentId, String lastHeartbeat, String message) {
        return new StatusData(JsonObject.builder().put("source", "control-plane").put("agent_id", agentId)
                .put("last_heartbeat", lastHeartbeat).put("message", message).build());
    }

    /** The fields, unmodifiable, in order. */
    public Map<String, JsonValue> fields() {
        return json.fields();
    }

    public boolean isEmpty() {
        return json.isEmpty();
    }

    /** The scheduler's pending reason code ({@code reason}), when the data is a pending explanation. */
    public Optional<String> reason() {
        return json.text("reason");
    }

    public Optional<String> message() {
        return json.text("message");
    }

    /** The passes that considered the session and could not place it ({@code retries}); 0 when none are counted. */
    public int retries() {
        return json.get("retries").orElse(null) instanceof JsonValue.Num n ? n.value().intValue() : 0;
    }

    /** The latest of those passes ({@code last_try}); empty when none is recorded or it is not a time. */
    public Optional<Instant> lastTry() {
        try {
            return json.text("last_try").map(Instant::parse);
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    /** This data with {@code earlier}'s fields added where this one has none of that name. */
    public StatusData withDefaults(StatusData earlier) {
        return new StatusData(json.withDefaults(earlier.json));
    }
}
