package dev.sluice.core.scheduler;

import dev.sluice.core.slots.ResourceSlots;
import java.util.List;
import java.util.Set;

/**
 * What an agent of an elastic fleet is kept from, set by the fleet before a pass plans ({@code dev.sluice.core.fleet.RightSizing}):
 * <ul>
 *   <li>{@code cheaper}, right-sizing: while the agent holds nothing, it takes no kernel that fits one of these slots
 *   (those of instance types that cost less and may still be launched) unless the kernel's session is one of
 *   {@code launchedFor}. A large instance whose sessions have ended is not re-opened for a small session a cheaper
 *   instance would hold (it would keep the whole instance paid for the small session's life); it waits for a kernel of
 *   its size, or retires. Once the agent holds a session (one before the pass, or placed on in the pass) this no longer
 *   applies: filling its free room costs nothing more.</li>
 *   <li>{@code onDemand}, spot: the agent runs on a spot instance, so it takes no session that asks for on-demand
 *   capacity only ({@link dev.sluice.core.session.Session#onDemandOnly()}) and that one of these slots (those of the
 *   catalog's types bought on-demand) holds, whether the agent holds anything or not, unless it was launched for it.
 *   Empty: not on spot.</li>
 * </ul>
 */
public record PlacementHold(List<ResourceSlots> cheaper, Set<String> launchedFor, List<ResourceSlots> onDemand) {
    public PlacementHold {
        cheaper = List.copyOf(cheaper);
        launchedFor = Set.copyOf(launchedFor);
        onDemand = List.copyOf(onDemand);
    }

    /** A right-sizing hold on an agent that is not on spot. */
    public PlacementHold(List<ResourceSlots> cheaper, Set<String> launchedFor) {
        this(cheaper, launchedFor, List.of());
    }

    /** On spot (it refuses some on-demand-only sessions). */
    public boolean spot() {
        return !onDemand.isEmpty();
    }

    /** Whether, while the agent holds nothing, it refuses a kernel of {@code sessionId} asking for {@code request}. */
    public boolean refusesWhileEmpty(String sessionId, long[] request) {
        return !launchedFor.contains(sessionId) && fitsAny(cheaper, request);
    }

    /** Whether it refuses a kernel asking {@code request} of a session that asks for on-demand capacity only. */
    public boolean refusesOnDemandOnly(String sessionId, long[] request) {
        return !launchedFor.contains(sessionId) && fitsAny(onDemand, request);
    }

    private static boolean fitsAny(List<ResourceSlots> shapes, long[] request) {
        for (ResourceSlots c : shapes) {
            if (ResourceSlots.microFits(request, c.microUnits())) {
                return true;
            }
        }
        return false;
    }
}
