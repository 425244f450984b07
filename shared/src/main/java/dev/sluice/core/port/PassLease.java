package dev.sluice.core.port;

import java.time.Duration;
import java.time.Instant;

/**
 * Keeps one scheduling pass per resource group at a time, and coalesces the triggers that arrive meanwhile into one
 * more pass by the holder. A lease that outlives a crashed holder expires after its time to live.
 */
public interface PassLease {
    /** True when the caller now holds the group's lease; false when another pass holds it (which will run once more). */
    boolean acquire(String group, String holder, Instant now, Duration ttl);

    /**
     * Called by the holder after a pass: true when a trigger came meanwhile, so the holder keeps the lease and passes
     * again; false when the lease is released (or was lost).
     */
    boolean releaseOrContinue(String group, String holder, Instant now, Duration ttl);

    /** Releases the lease whatever was asked meanwhile (the next trigger or tick takes it up). */
    void release(String group, String holder);
}
