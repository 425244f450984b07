package dev.sluice.core.fleet;

import dev.sluice.core.scheduler.PlacementHold;
import dev.sluice.core.slots.ResourceSlots;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The holds an elastic fleet puts on its agents before a pass plans ({@link PlacementHold}), so that both planners
 * ({@code Planner} placing, {@link FleetPlanner} launching) see the same ones:
 *
 * <p><b>Right-sizing</b> (catalog {@code right_sizing}, on by default). Without it a large instance whose job has ended
 * is the agent with room when the next small session comes; that session, an interactive one of hours, then keeps the
 * whole instance paid with most of it unused, and nothing can retire it (no session is ever moved): the replayed day of
 * the fleet benchmark paid a p4d.24xlarge's 8 GPUs for one. So an empty agent the fleet launched is held from the
 * kernels that another catalog type, cheaper at its preferred price and still launchable, would hold — unless the
 * pending sessions it could take are worth opening it for: the kernels of the queue (in order, at most
 * {@link #LOOK_AHEAD} sessions) that fit it together would cost, each on its cheapest type, at least what the agent's
 * type costs (an empty g5.12xlarge is opened for four pending one-GPU sessions, not for one; an empty p4d.24xlarge,
 * dear per GPU, for none of them). A held session waits for its own cheaper instance; {@link FleetPlanner} launches
 * only types cheaper than the holding agent's for it, and the large agent takes a large kernel or retires after
 * {@code idle_duration}. The sessions an instance was launched for are never refused, nor is an instance launched for
 * {@code min_instances} (warm capacity is there to take what comes). Once an agent holds a session, filling its free
 * room costs nothing more, so the hold applies to empty agents only (the planners lift it at the first placement).
 *
 * <p><b>Spot.</b> An agent on a spot instance takes no session that asks for on-demand capacity only
 * ({@code on_demand_after}), busy or not, unless it was launched for it — and only a session that a type the catalog
 * buys on-demand holds (otherwise nothing on-demand could ever take it, and it runs on spot as before).
 *
 * <p>Pure.
 */
public final class RightSizing {
    /** How many pending sessions the worth of opening an empty agent is weighed over (as the fleet planner's look ahead). */
    static final int LOOK_AHEAD = FleetPlanner.LOOK_AHEAD;

    private RightSizing() {
    }

    /**
     * A fleet agent: its instance type, whether it holds a session, the sessions it was launched for (none: launched
     * for {@code min_instances}), and whether it was bought on spot.
     */
    public record Candidate(String agentId, String instanceType, boolean holdsSession, Set<String> launchedFor, boolean spot) {
        public Candidate {
            launchedFor = Set.copyOf(launchedFor);
        }
    }

    /**
     * The holds on the fleet {@code agents} of a group with {@code catalog}, where {@code runningByType} instances of
     * each type run or are launching ({@code running} in all) and {@code pending} is the group's queue in order.
     * Right-sizing holds none when the catalog's {@code right_sizing} is off or the group is at its
     * {@code max_instances}.
     */
    public static Map<String, PlacementHold> holds(FleetCatalog catalog, List<Candidate> agents, Map<String, Integer> runningByType,
                                                   int running, List<Demand> pending) {
        Map<String, PlacementHold> out = new HashMap<>();
        boolean sizing = catalog.rightSizing() && running < catalog.maxInstances();
        List<ResourceSlots> onDemandShapes = onDemandShapes(catalog);
        for (Candidate a : agents) {
            Optional<InstanceType> own = catalog.type(a.instanceType());
            List<ResourceSlots> cheaper = new ArrayList<>();
            // A type no longer in the catalog has nothing to compare with; warm capacity (min_instances) takes anything.
            if (sizing && !a.holdsSession() && own.isPresent() && !a.launchedFor().isEmpty()) {
                cheaper = cheaperLaunchable(catalog, own.get(), runningByType);
                if (!cheaper.isEmpty() && worthOpening(catalog, own.get(), runningByType, pending)) {
                    cheaper = List.of();
                }
            }
            List<ResourceSlots> onDemand = a.spot() ? onDemandShapes : List.of();
            if (!cheaper.isEmpty() || !onDemand.isEmpty()) {
                out.put(a.agentId(), new PlacementHold(cheaper, a.launchedFor(), onDemand));
            }
        }
        return out;
    }

    /** The slots of the catalog's types bought on-demand: an on-demand-only session one of them holds is launched for. */
    public static List<ResourceSlots> onDemandShapes(FleetCatalog catalog) {
        return catalog.instanceTypes().stream().filter(t -> t.purchaseOptions().contains(PurchaseOption.ON_DEMAND))
                .map(InstanceType::slots).toList();
    }

    /** The slots of the other types cheaper than {@code own} at their preferred prices that may still be launched. */
    private static List<ResourceSlots> cheaperLaunchable(FleetCatalog catalog, InstanceType own, Map<String, Integer> runningByType) {
        List<ResourceSlots> out = new ArrayList<>();
        for (InstanceType t : catalog.instanceTypes()) {
            // Never a type with itself: an instance bought on-demand is not held from what the same type on spot runs.
            if (!t.name().equals(own.name()) && t.preferredMicroUsd() < own.preferredMicroUsd() && launchable(catalog, t, runningByType)) {
                out.add(t.slots());
            }
        }
        return out;
    }

    private static boolean launchable(FleetCatalog catalog, InstanceType t, Map<String, Integer> runningByType) {
        return runningByType.getOrDefault(t.name(), 0) < t.maxInstances() && !catalog.subnetsOf(t).isEmpty();
    }

    /**
     * Whether an empty agent of type {@code own} is worth opening for the pending sessions: one of them only a type as
     * dear as {@code own} holds (it opens the agent anyway; smaller ones then fill it), or the kernels it would take
     * together (queue order, first fit, one kernel of a gang) would cost at least {@code own}'s price, each on the
     * cheapest launchable type that fits it.
     */
    static boolean worthOpening(FleetCatalog catalog, InstanceType own, Map<String, Integer> runningByType, List<Demand> pending) {
        int end = Math.min(pending.size(), LOOK_AHEAD);
        List<ResourceSlots> cheaper = cheaperLaunchable(catalog, own, runningByType);
        for (int i = 0; i < end; i++) {
            long[] need = pending.get(i).perKernel().microUnits();
            if (ResourceSlots.microFits(need, own.slots().microUnits())
                    && cheaper.stream().noneMatch(c -> ResourceSlots.microFits(need, c.microUnits()))) {
                return true;
            }
        }
        long[] free = own.slots().microUnits();
        long value = 0;
        for (int i = 0; i < end; i++) {
            long[] need = pending.get(i).perKernel().microUnits();
            if (!ResourceSlots.microFits(need, free)) {
                continue;
            }
            long cheapest = Long.MAX_VALUE;
            for (InstanceType t : catalog.instanceTypes()) {
                if (ResourceSlots.microFits(need, t.slots().microUnits()) && (t.name().equals(own.name()) || launchable(catalog, t, runningByType))) {
                    cheapest = Math.min(cheapest, t.preferredMicroUsd());
                }
            }
            value += cheapest;
            for (int s = 0; s < free.length; s++) {
                free[s] -= need[s];
            }
            if (value >= own.preferredMicroUsd()) {
                return true;
            }
        }
        return false;
    }
}
