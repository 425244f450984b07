package dev.sluice.core.scheduler;

import dev.sluice.core.slots.ResourceSlots;

/** Test access to the planner's fixed-point form. */
public final class PlannerAccess {
    private PlannerAccess() {
    }

    public static ResourceSlots roundTrip(ResourceSlots slots) {
        return ResourceSlots.fromMicroUnits(slots.microUnits());
    }
}
