package dev.sluice.core.fleet;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * An instance the fleet launched, from the request to its termination: what it is, what it was launched for, when its
 * agent joined (the boot time of its type is measured from {@code requestedAt} to {@code joinedAt}), since when it
 * has held no session, and when it was drained and terminated.
 */
public record LaunchRecord(
        String instanceId,
        String group,
        String instanceType,
        PurchaseOption option,
        String zone,
        String subnetId,
        long hourlyMicroUsd,
        Instant requestedAt,
        List<String> sessionIds,
        Optional<Instant> joinedAt,
        Optional<Instant> idleSince,
        Optional<Instant> drainingSince,
        Optional<Instant> terminatedAt,
        Optional<String> endReason) {

    public LaunchRecord {
        sessionIds = List.copyOf(sessionIds);
    }

    /** Requested and not yet joined nor terminated: capacity on the way. */
    public boolean isLaunching() {
        return joinedAt.isEmpty() && terminatedAt.isEmpty();
    }
}
