package dev.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Why a session is where it is, in one short phrase, from its {@code status_info} reason code and the structured
 * {@code status_data} (for a pending session: the scheduler predicates that failed).
 */
final class StatusReason {
    private static final Map<String, String> CODES = Map.ofEntries(
            Map.entry("enqueued", "waiting to be scheduled"),
            Map.entry("pending-timeout", "timed out waiting"),
            Map.entry("no-available-instances", "no agent has enough free capacity"),
            Map.entry("predicate-checks-failed", "scheduling checks failed"),
            Map.entry("scheduled", "placed on an agent"),
            Map.entry("user-requested", "requested by the user"),
            Map.entry("force-terminated", "force-terminated"),
            Map.entry("failed-to-start", "failed to start"),
            Map.entry("task-finished", "command finished"),
            Map.entry("task-failed", "command failed"),
            Map.entry("task-timeout", "ran past its batch timeout"),
            Map.entry("agent-lost", "its agent was lost"),
            Map.entry("spot-interrupted", "its spot instance was interrupted"),
            Map.entry("folder-staging-failed", "its folders could not be staged"));

    private static final Map<String, String> PREDICATES = Map.ofEntries(
            Map.entry("reserved_time", "its start time has not come"),
            Map.entry("dependencies", "waiting for its dependencies"),
            Map.entry("concurrency", "too many sessions of yours at once"),
            Map.entry("pending_session_count_limit", "too many pending sessions"),
            Map.entry("pending_session_resource_limit", "pending sessions over their resource limit"),
            Map.entry("keypair_resource_limit", "over your resource limit"),
            Map.entry("user_resource_limit", "over your resource limit"),
            Map.entry("group_resource_limit", "over the group's resource limit"),
            Map.entry("domain_resource_limit", "over the domain's resource limit"));

    /** The scheduler's pending reasons (status_data.reason): waiting ones, and the ones that can never run as asked. */
    private static final Map<String, String> PENDING = Map.ofEntries(
            Map.entry("waiting-for-capacity", "waiting for free capacity"),
            Map.entry("waiting-for-agent", "no live agent in the group"),
            Map.entry("waiting-for-higher-priority", "behind higher-priority sessions"),
            Map.entry("waiting-for-start-time", "waiting for its start time"),
            Map.entry("waiting-for-dependency", "waiting for its dependencies"),
            Map.entry("fleet-at-max", "waiting: the fleet may launch no more instances now"),
            Map.entry("larger-than-any-agent", "NEVER FITS: larger than any agent"),
            Map.entry("slot-not-in-group", "NEVER FITS: the group lacks a slot it asks for"),
            Map.entry("too-many-kernels", "NEVER FITS: more kernels than one placement holds (50)"),
            Map.entry("retrying", "re-queued by its retry rules"));

    private StatusReason() {
    }

    /** The phrase for a session JSON object; empty when it says nothing. */
    static String of(JsonNode session) {
        String phrase = of(session.path("status_info").asText(""), session.path("status_data"));
        JsonNode pull = session.path("runtime").path("pull");
        if (session.path("status").asText("").equals("PULLING") && pull.isObject()) {
            phrase = phrase + " " + pullProgress(pull);
        }
        return phrase;
    }

    /** {@code 12.3 MB of 40.0 MB, 1 of 3 layers}: how far the image pull is, from {@code runtime.pull}. */
    static String pullProgress(JsonNode pull) {
        return bytes(pull.path("bytes_done").asLong()) + " of " + bytes(pull.path("bytes_total").asLong()) + ", "
                + pull.path("layers_done").asInt() + " of " + pull.path("layers_total").asInt() + " layers";
    }

    /** Bytes as Docker prints them (decimal units). */
    static String bytes(long n) {
        if (n < 1000) {
            return n + " B";
        }
        String[] units = {"kB", "MB", "GB", "TB"};
        double v = n;
        int u = -1;
        while (v >= 1000 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        return String.format(java.util.Locale.ROOT, "%.1f %s", v, units[u]);
    }

    static String of(String statusInfo, JsonNode statusData) {
        return of(statusInfo, statusData, java.time.Instant.now());
    }

    static String of(String statusInfo, JsonNode statusData, java.time.Instant now) {
        String pendingReason = statusData.path("reason").asText("");
        if (pendingReason.equals("provisioning") && statusData.path("provisioning").isObject()) {
            return provisioning(statusData.path("provisioning"), now);
        }
        if (pendingReason.equals("retrying") && statusData.path("attempt").isNumber()) {
            return "re-queued by its retry rules: attempt " + statusData.path("attempt").asText() + " of "
                    + statusData.path("attempts").asText() + " after " + statusData.path("previous_end").asText("an end");
        }
        if (PENDING.containsKey(pendingReason)) {
            return PENDING.get(pendingReason);
        }
        if (statusInfo.equals("predicate-checks-failed")) {
            List<JsonNode> failed = failedPredicates(statusData);
            if (!failed.isEmpty()) {
                String phrase = "blocked by " + predicate(failed.get(0));
                return failed.size() == 1 ? phrase : phrase + " (+" + (failed.size() - 1) + " more)";
            }
        }
        String phrase = CODES.getOrDefault(statusInfo, statusInfo.replace('-', ' '));
        return phrase + detail(statusInfo, statusData);
    }

    /**
     * {@code provisioning g5.xlarge (spot, us-east-1a), ETA 80 s}: the instance the fleet launched for the session and
     * how long until its agent is expected ({@code ETA any moment} once that time has passed).
     */
    static String provisioning(JsonNode p, java.time.Instant now) {
        String phrase = "provisioning " + p.path("instance_type").asText("an instance") + " (" + p.path("purchase_option").asText("?")
                + ", " + p.path("zone").asText("?") + ")";
        try {
            long left = java.time.Duration.between(now, java.time.Instant.parse(p.path("eta").asText())).toSeconds();
            return phrase + (left > 0 ? ", ETA " + (left < 120 ? left + " s" : (left + 59) / 60 + " min") : ", ETA any moment");
        } catch (java.time.format.DateTimeParseException noEta) {
            return phrase;
        }
    }

    /** The failed predicates, wherever the scheduler put them (top level or under "scheduler"). */
    private static List<JsonNode> failedPredicates(JsonNode statusData) {
        JsonNode list = statusData.path("failed_predicates");
        if (!list.isArray()) {
            list = statusData.path("scheduler").path("failed_predicates");
        }
        List<JsonNode> failed = new ArrayList<>();
        list.forEach(p -> {
            if (!name(p).isBlank()) {
                failed.add(p);
            }
        });
        return failed;
    }

    /** {@code concurrency (you may run 2 sessions at once)}: its name, then its own message or ours. */
    private static String predicate(JsonNode p) {
        String name = name(p);
        String message = p.path("msg").asText(p.path("message").asText(""));
        String why = message.isBlank() ? PREDICATES.getOrDefault(name, "") : message;
        return why.isBlank() ? name : name + " (" + why + ")";
    }

    /** A predicate is recorded as its name or as {@code {"name":..., "msg":...}}. */
    private static String name(JsonNode p) {
        return p.isTextual() ? p.asText() : p.path("name").asText("");
    }

    private static String detail(String statusInfo, JsonNode data) {
        if (statusInfo.equals("pending-timeout") && data.path("pending_timeout").isTextual()) {
            return " (" + data.path("pending_timeout").asText() + ")";
        }
        if ((statusInfo.equals("task-finished") || statusInfo.equals("task-failed")) && data.path("exit_code").isNumber()) {
            return " (exit " + data.path("exit_code").asText() + ")";
        }
        return "";
    }
}
