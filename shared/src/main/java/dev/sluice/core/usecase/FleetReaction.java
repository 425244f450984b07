package dev.sluice.core.usecase;

import dev.sluice.core.group.ResourceGroup;
import dev.sluice.core.scheduler.PendingExplanation;
import dev.sluice.core.scheduler.PlacementHold;
import dev.sluice.core.scheduler.SchedulingPlan;
import dev.sluice.core.scheduler.SchedulingSnapshot;
import java.util.Map;

/**
 * What a scheduling pass lets react to its outcome before it writes its explanations (issue 17: the elastic fleet
 * launches for the sessions the pass could not place, and retires idle agents). It returns, by session id, the
 * explanations to write instead of the pass's own (a session waiting for an instance says {@code provisioning}), so a
 * deferred session still gets one explanation write per pass, not two.
 *
 * <p>Before the pass plans, {@link #prepare} may hold agents from some sessions ({@link PlacementHold}: right-sizing,
 * spot); the pass plans with those holds and hands the same {@link Prepared} to {@link #afterPass}, so the fleet's
 * decision sees what the plan saw and launches for the sessions the holds kept waiting. Nothing is carried from one
 * pass to the next.
 */
public interface FleetReaction {
    /** What {@link #prepare} read for one pass: the holds the pass plans with (and whatever the reaction reuses). */
    interface Prepared {
        Map<String, PlacementHold> holds();
    }

    /** No holds: a group without an elastic fleet, or a fleet that could not say its holds. */
    Prepared NOTHING = Map::of;

    /** Nothing to react to: a pass without a fleet. */
    FleetReaction NONE = (group, snapshot, plan, applied, prepared) -> Map.of();

    /**
     * The reaction to a pass of {@code group} that planned {@code snapshot} (with {@code prepared}'s holds) into
     * {@code plan}; {@code applied}: what the plan applier wrote.
     */
    Map<String, PendingExplanation> afterPass(ResourceGroup group, SchedulingSnapshot snapshot, SchedulingPlan plan,
                                              PlanApplier.Report applied, Prepared prepared);

    /** What the pass about to plan {@code snapshot} must hold (nothing without an elastic fleet). */
    default Prepared prepare(ResourceGroup group, SchedulingSnapshot snapshot) {
        return NOTHING;
    }
}
