package dev.sluice.core.fleet;

import dev.sluice.core.agent.Agent;
import dev.sluice.core.agent.AgentStatus;
import dev.sluice.core.scheduler.SchedulingPlan;
import dev.sluice.core.slots.ResourceSlots;
import java.time.Instant;
import java.util.Optional;

/**
 * An agent as the fleet sees it: the instance type it runs on (empty for an agent the fleet did not launch, which it
 * never retires), what it has free after this pass's placements, whether it holds a session (or was just placed on),
 * and since when it has held none.
 */
public record FleetAgent(
        String id,
        Optional<String> instanceType,
        boolean schedulable,
        ResourceSlots free,
        boolean busy,
        Optional<Instant> idleSince) {

    /** {@code agent} after {@code plan}: its placements taken from the free slots, and an agent placed on counts as busy. */
    public static FleetAgent of(Agent agent, Optional<String> instanceType, Optional<Instant> idleSince, SchedulingPlan plan) {
        ResourceSlots placed = ResourceSlots.EMPTY;
        for (SchedulingPlan.Placement p : plan.placements()) {
            for (SchedulingPlan.Kernel k : p.kernels()) {
                if (k.agentId().equals(agent.id())) {
                    placed = placed.add(k.slots());
                }
            }
        }
        boolean busy = !agent.occupiedSlots().isEmpty() || !placed.isEmpty();
        return new FleetAgent(agent.id(), instanceType, agent.status() == AgentStatus.ALIVE && agent.schedulable(),
                agent.freeSlots().freeAfter(placed), busy, busy ? Optional.empty() : idleSince);
    }
}
