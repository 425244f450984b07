package dev.sluice.core.fleet;

import dev.sluice.core.scheduler.PlacementHold;
import dev.sluice.core.slots.ResourceSlots;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Right-sizing of an elastic group's placements: which empty fleet agents are {@link PlacementHold held} from which
 * kernels. An agent the fleet launched that holds no session takes no kernel that another instance type of the catalog,
 * cheaper at its preferred price (spot first), holds, while one more instance of that type may be launched, unless the kernel's session is one the agent was
 * launched for. Without it, a large instance whose job has ended is re-opened for the next small session (it is the
 * agent with room at that moment), and that session, an interactive one of hours, keeps the whole instance paid with
 * most of it unused: the replayed day of the fleet benchmark paid a p4d.24xlarge's 8 GPUs for one. Held, the small
 * session waits for its own cheap instance (a boot, ~90 s for a g5.xlarge), and the large one takes a large kernel
 * or retires after {@code idle_duration}. Once an agent holds a session, filling its free room costs nothing more, so
 * the hold applies to empty agents only (the planners lift it at the first placement on it).
 *
 * <p>Pure: the pass computes it before planning (so {@code Planner} and {@link FleetPlanner} see the same holds).
 */
public final class RightSizing {
    private RightSizing() {
    }

    /**
     * A fleet agent: its instance type, whether it holds a session, the sessions it was launched for, and whether it
     * was bought on spot.
     */
    public record Candidate(String agentId, String instanceType, boolean holdsSession, Set<String> launchedFor, boolean spot) {
        public Candidate {
            launchedFor = Set.copyOf(launchedFor);
        }

        public Candidate(String agentId, String instanceType, boolean holdsSession, Set<String> launchedFor) {
            this(agentId, instanceType, holdsSession, launchedFor, false);
        }
    }

    /**
     * The holds on the fleet {@code agents} of a group with {@code catalog}, where {@code runningByType} instances of
     * each type run or are launching, {@code running} in all: right-sizing on the empty ones (none when the catalog's
     * {@code right_sizing} is off, or the group is at its {@code max_instances}), and every spot agent refusing the
     * sessions that ask for on-demand only.
     */
    public static Map<String, PlacementHold> holds(FleetCatalog catalog, List<Candidate> agents, Map<String, Integer> runningByType,
                                                   int running) {
        Map<String, PlacementHold> out = new HashMap<>();
        boolean sizing = catalog.rightSizing() && running < catalog.maxInstances();
        for (Candidate a : agents) {
            java.util.Optional<InstanceType> own = catalog.type(a.instanceType());
            List<ResourceSlots> cheaper = new ArrayList<>();
            // A type no longer in the catalog has nothing to compare with.
            if (sizing && !a.holdsSession() && own.isPresent()) {
                for (InstanceType t : catalog.instanceTypes()) {
                    // Types compare at their preferred prices (what a launch would buy), never a type with itself: an
                    // instance of a type bought on-demand is not held from sessions the same type on spot would run.
                    if (!t.name().equals(own.get().name()) && t.preferredMicroUsd() < own.get().preferredMicroUsd()
                            && runningByType.getOrDefault(t.name(), 0) < t.maxInstances() && !catalog.subnetsOf(t).isEmpty()) {
                        cheaper.add(t.slots());
                    }
                }
            }
            if (!cheaper.isEmpty() || a.spot()) {
                out.put(a.agentId(), new PlacementHold(cheaper, a.launchedFor(), a.spot()));
            }
        }
        return out;
    }
}
