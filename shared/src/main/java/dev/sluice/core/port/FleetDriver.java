package dev.sluice.core.port;

import dev.sluice.core.fleet.PurchaseOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What launches and terminates the fleet's instances (issue 17). The AWS adapter uses EC2 Fleet ({@code instant});
 * locally the same adapter runs against the emulator's EC2, and the local runtime plays the hypervisor. The core
 * decides what to launch ({@link dev.sluice.core.fleet.FleetPlanner}) and in which order to try alternatives; the driver
 * tries them in that order and reports every attempt.
 */
public interface FleetDriver {

    /**
     * One way to launch one instance: a type, how it is bought, and where. {@code maxHourlyMicroUsd} is the price cap (for
     * spot, the most the fleet pays an hour; a market price over it counts as a failed attempt).
     */
    record Candidate(String instanceType, PurchaseOption option, String zone, String subnetId, long maxHourlyMicroUsd) {
    }

    /**
     * Launch one instance for resource group {@code group}: try {@code candidates} in order until one gives an instance,
     * spending at most {@code budget} (then give up). {@code ref} is the planner's name for the launch (idempotency:
     * the same ref twice launches once); {@code tags} go on the instance (the driver adds the group and the ref).
     */
    record LaunchRequest(String group, String ref, List<Candidate> candidates, Map<String, String> tags, Duration budget) {
        public LaunchRequest {
            candidates = List.copyOf(candidates);
            tags = Map.copyOf(tags);
            if (candidates.isEmpty()) {
                throw new IllegalArgumentException("a launch needs at least one candidate");
            }
        }
    }

    /** One candidate tried: {@code error} is empty on success, else the AWS error code (e.g. InsufficientInstanceCapacity). */
    record Attempt(Candidate candidate, Optional<String> error, String message, Instant at) {
    }

    /** The instance launched (empty when every candidate failed), and every attempt in order. */
    record LaunchOutcome(Optional<String> instanceId, Optional<Candidate> launched, List<Attempt> attempts) {
        public LaunchOutcome {
            attempts = List.copyOf(attempts);
        }
    }

    /** An instance of the group as EC2 reports it (pending, running, shutting-down; terminated ones are left out). */
    record FleetInstance(String instanceId, String group, String instanceType, PurchaseOption option, String zone,
                         String state, Instant launchedAt) {
    }

    LaunchOutcome launch(LaunchRequest request);

    /** Terminates the instances (already terminated or unknown ones are not an error). */
    void terminate(List<String> instanceIds);

    /** The group's instances that are not terminated. */
    List<FleetInstance> instances(String group);
}
