package dev.sluice.core.scheduler;

import dev.sluice.core.json.JsonObject;
import dev.sluice.core.session.StatusData;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Why a session is still pending, in terms a user can act on. {@code waiting} separates "it will run when something
 * changes" (capacity, quota, start time, dependency, priority) from "it can never run as asked" (larger than any agent
 * of the group, a slot the group has none of), which is reported at once.
 */
public record PendingExplanation(
        String reason,
        boolean waiting,
        String message,
        List<PredicateResult> failed,
        List<PredicateResult> passed,
        Optional<Instant> estimatedStart,
        JsonObject details) {

    public static final String WAITING_FOR_CAPACITY = "waiting-for-capacity";
    public static final String WAITING_FOR_QUOTA = "waiting-for-quota";
    public static final String WAITING_FOR_START_TIME = "waiting-for-start-time";
    public static final String WAITING_FOR_DEPENDENCY = "waiting-for-dependency";
    public static final String WAITING_FOR_AGENT = "waiting-for-agent";
    public static final String WAITING_FOR_PRIORITY = "waiting-for-higher-priority";
    public static final String NEVER_FITS = "larger-than-any-agent";
    public static final String MISSING_SLOT = "slot-not-in-group";
    public static final String TOO_MANY_KERNELS = "too-many-kernels";
    /**
     * An instance the fleet launched (or is launching) for the session has not joined yet (issue 17); its status_data
     * carries {@code provisioning: {instance_id, instance_type, zone, purchase_option, since, eta}}.
     */
    public static final String PROVISIONING = "provisioning";
    /** The fleet would launch for the session but may not launch more instances now (its max, or its types' max). */
    public static final String FLEET_AT_MAX = "fleet-at-max";

    public PendingExplanation {
        java.util.Objects.requireNonNull(details, "details");
    }

    /** An explanation with no details beyond the common fields. */
    public PendingExplanation(String reason, boolean waiting, String message, List<PredicateResult> failed,
                              List<PredicateResult> passed, Optional<Instant> estimatedStart) {
        this(reason, waiting, message, failed, passed, estimatedStart, JsonObject.EMPTY);
    }

    /** The status_info code Backend.AI uses for this kind of wait. */
    public String statusInfo() {
        return failed.isEmpty() ? "no-available-instances" : "predicate-checks-failed";
    }

    /** The status_data stored on the session (retries and last try are added by the caller). */
    public StatusData toStatusData(int retries, Instant lastTry) {
        JsonObject.Builder d = JsonObject.builder();
        d.put("reason", reason);
        d.put("waiting", waiting);
        d.put("message", message);
        d.put("failed_predicates", failed.stream().map(p -> JsonObject.of("name", p.name(), "msg", p.message())).toList());
        d.put("passed_predicates", passed.stream().map(p -> JsonObject.of("name", p.name())).toList());
        d.put("retries", retries);
        d.put("last_try", lastTry.toString());
        estimatedStart.ifPresent(t -> d.put("estimated_start", t.toString()));
        details.fields().forEach(d::put);
        return new StatusData(d.build());
    }
}
