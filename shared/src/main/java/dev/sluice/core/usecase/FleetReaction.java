package dev.sluice.core.usecase;

import dev.sluice.core.agent.Agent;
import dev.sluice.core.group.ResourceGroup;
import dev.sluice.core.scheduler.PendingExplanation;
import dev.sluice.core.scheduler.PlacementHold;
import dev.sluice.core.scheduler.SchedulingPlan;
import dev.sluice.core.scheduler.SchedulingSnapshot;
import java.util.List;
import java.util.Map;

/**
 * What a scheduling pass lets react to its outcome before it writes its explanations (issue 17: the elastic fleet
 * launches for the sessions the pass could not place, and retires idle agents). It returns, by session id, the
 * explanations to write instead of the pass's own (a session waiting for an instance says {@code provisioning}), so a
 * deferred session still gets one explanation write per pass, not two. Before the pass plans, it may hold empty agents
 * from the sessions a cheaper instance would run ({@link #holds}, right-sizing); the pass hands the same holds to
 * {@link #afterPass} in its snapshot, so the fleet launches for the sessions the holds kept waiting.
 */
public interface FleetReaction {
    /** Nothing to react to: a pass without a fleet. */
    FleetReaction NONE = (group, snapshot, plan, applied) -> Map.of();

    Map<String, PendingExplanation> afterPass(ResourceGroup group, SchedulingSnapshot snapshot, SchedulingPlan plan,
                                              PlanApplier.Report applied);

    /** The holds on the group's empty agents for the pass about to plan (none without an elastic fleet). */
    default Map<String, PlacementHold> holds(ResourceGroup group, List<Agent> groupAgents) {
        return Map.of();
    }
}
