package dev.sluice.core.scheduler;

import dev.sluice.core.session.Session;
import dev.sluice.core.session.StatusData;
import dev.sluice.core.slots.ResourceSlots;
import java.util.List;
import java.util.Optional;

/** What one pass decided; applied by someone else, each change as a conditional write. */
public record SchedulingPlan(
        List<Placement> placements,
        List<Cancellation> cancellations,
        List<Deferral> deferrals,
        Optional<String> lastRoundRobin) {

    /** A kernel of a session reserved on an agent. */
    public record Kernel(String agentId, ResourceSlots slots) {
    }

    /** A session to mark SCHEDULED with its kernels, all reserved in one transaction or none. */
    public record Placement(Session session, List<Kernel> kernels) {
        public ResourceSlots totalSlots() {
            return kernels.stream().map(Kernel::slots).reduce(ResourceSlots.EMPTY, ResourceSlots::add);
        }
    }

    /** A pending session to cancel at once, with the reason code and its detail. */
    public record Cancellation(Session session, String statusInfo, StatusData statusData) {
    }

    /** A session left pending, with why. */
    public record Deferral(Session session, PendingExplanation explanation) {
    }
}
