package dev.sluice.core.port;

import dev.sluice.core.fleet.LaunchRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Where the fleet keeps the instances it launched (one record each, from request to termination) and the measured
 * boot-to-first-heartbeat times per instance type. Every state change is a conditional write.
 */
public interface FleetStore {
    /** Records a new launch; false when a record for the instance exists already. */
    boolean recordLaunch(LaunchRecord record);

    Optional<LaunchRecord> find(String instanceId);

    /** The group's instances not yet terminated (launching, joined, draining). */
    List<LaunchRecord> live(String group);

    /** The agent of the instance spoke first at {@code at}: true only the first time (then the boot time is recorded). */
    boolean markJoined(String instanceId, Instant at);

    /** Sets (or, with empty, clears) since when the instance's agent holds no session; conditional on the old value. */
    boolean setIdleSince(String instanceId, Optional<Instant> expected, Optional<Instant> idleSince);

    /** The instance is being drained (nothing new is placed on it): true only the first time. */
    boolean markDraining(String instanceId, Instant at);

    /** The instance is gone (retired, interrupted, failed to boot): true only the first time. */
    boolean markTerminated(String instanceId, Instant at, String reason);

    /** Adds one measured boot time of the type (kept as a bounded window of recent samples). */
    void recordBootTime(String instanceType, Duration bootTime, Instant at);

    /** The recent boot times of the type, newest last (empty when none was measured yet). */
    List<Duration> bootTimes(String instanceType);
}
