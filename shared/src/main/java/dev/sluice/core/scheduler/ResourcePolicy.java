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
}
