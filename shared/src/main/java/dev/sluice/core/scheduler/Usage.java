package dev.sluice.core.scheduler;

import dev.sluice.core.slots.ResourceSlots;

/** What an owner (or a group, or the domain) holds now: sessions occupying slots, and sessions still pending. */
public record Usage(int activeSessions, ResourceSlots occupied, int pendingSessions, ResourceSlots pendingSlots) {
    public static final Usage NONE = new Usage(0, ResourceSlots.EMPTY, 0, ResourceSlots.EMPTY);

    public Usage plusActive(ResourceSlots slots) {
        return new Usage(activeSessions + 1, occupied.add(slots), pendingSessions, pendingSlots);
    }
}
