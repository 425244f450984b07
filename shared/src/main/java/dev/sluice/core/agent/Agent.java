package dev.sluice.core.agent;

import dev.sluice.core.slots.ResourceSlots;
import java.time.Instant;
import java.util.Map;

/** A GPU host that runs sessions: its capacity, what is reserved on it, and when it last spoke. */
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
        Instant lastHeartbeat) {

    public Agent {
        computePlugins = Map.copyOf(computePlugins);
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
