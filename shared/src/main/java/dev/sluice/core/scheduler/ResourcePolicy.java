package dev.sluice.core.scheduler;

import dev.sluice.core.slots.ResourceSlots;
import java.util.Optional;

/**
 * Limits that apply to an owner (Backend.AI: keypair/user resource policy), a resource group, or the whole domain.
 * An empty limit is no limit.
 */
public record ResourcePolicy(
        Optional<Integer> maxConcurrentSessions,
        Optional<ResourceSlots> maxTotalSlots,
        Optional<Integer> maxPendingSessions,
        Optional<ResourceSlots> maxPendingSlots) {

    public static final ResourcePolicy UNLIMITED = new ResourcePolicy(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
    private static final java.util.Set<String> KNOWN = java.util.Set.of("max_concurrent_sessions", "max_total_slots",
            "max_pending_sessions", "max_pending_slots");
    private static final java.util.regex.Pattern SCOPE = java.util.regex.Pattern.compile("domain|user:[A-Za-z0-9._@-]{1,128}|group:[a-z0-9][a-z0-9._-]{0,62}");

    /** A policy's scope: {@code domain}, {@code user:<subject>} or {@code group:<resource group>}. */
    public static String validScope(String scope) {
        if (scope == null || !SCOPE.matcher(scope).matches()) {
            throw dev.sluice.core.error.DomainException.invalid("scope", "must be domain, user:<subject> or group:<resource group>");
        }
        return scope;
    }

    /** Reads an admin's definition; every field is optional (absent: no limit); errors name the field. */
    public static ResourcePolicy parse(dev.sluice.core.request.RequestFields f) {
        f.refuseUnknownOrNull(KNOWN);
        return new ResourcePolicy(
                f.optionalInt("max_concurrent_sessions", 0, 100_000),
                f.optionalObject("max_total_slots").map(ResourceSlots::parse),
                f.optionalInt("max_pending_sessions", 0, 100_000),
                f.optionalObject("max_pending_slots").map(ResourceSlots::parse));
    }

    public boolean isUnlimited() {
        return maxConcurrentSessions.isEmpty() && maxTotalSlots.isEmpty() && maxPendingSessions.isEmpty() && maxPendingSlots.isEmpty();
    }
}
