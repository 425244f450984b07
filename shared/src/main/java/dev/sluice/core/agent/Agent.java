package dev.sluice.core.agent;

import dev.sluice.core.slots.ResourceSlots;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * A GPU host that runs sessions: its capacity, what is reserved on it, when it last spoke, and the interruption of its
 * instance when one was recorded (it is then drained: {@code schedulable} false).
 */
public record Agent(
        String id,
        String resourceGroup,
        AgentStatus status,
        boolean schedulable,
        ResourceSlots availableSlots,
        ResourceSlots occupiedSlots,
        String architecture,
        String version,
        Map<String, String> computePlugins,
        Instant firstContact,
        Instant lastHeartbeat,
        Optional<Interruption> interruption) {

    public Agent {
        computePlugins = Map.copyOf(computePlugins);
        interruption = interruption == null ? Optional.empty() : interruption;
    }

    /** An agent whose instance no interruption was recorded for. */
    public Agent(String id, String resourceGroup, AgentStatus status, boolean schedulable, ResourceSlots availableSlots,
                 ResourceSlots occupiedSlots, String architecture, String version, Map<String, String> computePlugins,
                 Instant firstContact, Instant lastHeartbeat) {
        this(id, resourceGroup, status, schedulable, availableSlots, occupiedSlots, architecture, version, computePlugins,
                firstContact, lastHeartbeat, Optional.empty());
    }

    /**
     * Capacity not yet reserved by sessions, never below zero: an agent whose capacity shrank under what its running
     * sessions hold (a GPU gone, slots declared lower) simply has nothing free.
     */
    public ResourceSlots freeSlots() {
        return availableSlots.freeAfter(occupiedSlots);
    }

    public boolean canHost(ResourceSlots request) {
        return status == AgentStatus.ALIVE && schedulable && request.fitsIn(freeSlots());
    }
}
