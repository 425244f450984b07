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
 *   <li>{@code spot}: the agent runs on a spot instance, so it takes no session that asks for on-demand capacity only
 *   ({@link dev.sluice.core.session.Session#onDemandOnly()}: interrupted on spot as often as its retry rules allow),
 *   whether it holds anything or not.</li>
 * </ul>
 */
public record PlacementHold(List<ResourceSlots> cheaper, Set<String> launchedFor, boolean spot) {
    public PlacementHold {
        cheaper = List.copyOf(cheaper);
        launchedFor = Set.copyOf(launchedFor);
    }

    /** A right-sizing hold on an agent that is not on spot. */
    public PlacementHold(List<ResourceSlots> cheaper, Set<String> launchedFor) {
        this(cheaper, launchedFor, false);
    }

    /** Whether, while the agent holds nothing, it refuses a kernel of {@code sessionId} asking for {@code request}. */
    public boolean refusesWhileEmpty(String sessionId, long[] request) {
        if (launchedFor.contains(sessionId)) {
            return false;
        }
        for (ResourceSlots c : cheaper) {
            if (ResourceSlots.microFits(request, c.microUnits())) {
                return true;
            }
        }
        return false;
    }

    /** Whether it refuses a session that asks for on-demand capacity only (it is on spot). */
    public boolean refusesOnDemandOnly() {
        return spot;
    }
}
