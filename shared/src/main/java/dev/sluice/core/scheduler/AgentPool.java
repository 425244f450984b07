package dev.sluice.core.scheduler;

import dev.sluice.core.agent.Agent;
import dev.sluice.core.agent.AgentStatus;
import dev.sluice.core.group.AgentSelectionStrategy;
import dev.sluice.core.session.Session;
import dev.sluice.core.slots.ResourceSlots;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The live, schedulable agents of a group during one pass, with their free capacity as it shrinks with each
 * reservation, and the agent selectors of REFERENCE §4. Capacities compare slot by slot in the order cuda, rocm,
 * tpu, cpu, mem; ties go to the lower agent id.
 */
final class AgentPool {
    /** One agent's capacity during the pass. */
    static final class Slot {
        final String id;
        final long[] available;
        final long[] free;
        /** The elastic fleet's right-sizing hold while the agent holds nothing; null once it holds a session. */
        PlacementHold whileEmpty;
        /** The fleet's hold of a spot agent (it takes no on-demand-only session), whatever it holds; or null. */
        final PlacementHold spot;

        Slot(Agent agent, PlacementHold hold) {
            this.id = agent.id();
            this.available = agent.availableSlots().microUnits();
            this.free = ResourceSlots.microFree(available, agent.occupiedSlots().microUnits());
            this.whileEmpty = agent.occupiedSlots().isEmpty() && hold != null && !hold.cheaper().isEmpty() ? hold : null;
            this.spot = hold != null && hold.spot() ? hold : null;
        }

        /**
         * Whether this agent may take a kernel of {@code s} asking {@code request}: it fits, and no hold refuses it
         * ({@code onDemandOnly}: {@code s.onDemandOnly()}, worked out once per choice).
         */
        boolean takes(Session s, boolean onDemandOnly, long[] request) {
            return ResourceSlots.microFits(request, free) && (whileEmpty == null || !whileEmpty.refusesWhileEmpty(s.id(), request))
                    && !(onDemandOnly && spot != null && spot.refusesOnDemandOnly(s.id(), request));
        }
    }

    private final List<Slot> live = new ArrayList<>();
    /** Live agents by free capacity (slot order, accelerators first), then id: dispersed reads it from the top, concentrated from the bottom. */
    private final java.util.TreeSet<Slot> byFree = new java.util.TreeSet<>(
            (a, b) -> { int c = ResourceSlots.microCompare(a.free, b.free); return c != 0 ? c : a.id.compareTo(b.id); });
    private final long[] largestTotal = new long[ResourceSlots.MICRO_SIZE];
    /**
     * The most free of each slot over the live agents under no right-sizing hold: a request that fits none of them can
     * only go to a held agent, so it is checked against the few held ones alone ({@link #held}) instead of every agent.
     */
    private final long[] largestFree = new long[ResourceSlots.MICRO_SIZE];
    /** The live agents under a right-sizing hold (empty ones the fleet keeps for larger kernels), until placed on. */
    private final List<Slot> held = new ArrayList<>();
    /** For each slot, how many unheld live agents have each free amount: the largest stays exact in O(log n) a reservation. */
    private final List<java.util.TreeMap<Long, Integer>> freeAmounts = new ArrayList<>();
    private Optional<String> lastRoundRobin;
    private final boolean anyAgent;

    AgentPool(List<Agent> agents, Optional<String> lastRoundRobin) {
        this(agents, lastRoundRobin, java.util.Map.of());
    }

    AgentPool(List<Agent> agents, Optional<String> lastRoundRobin, java.util.Map<String, PlacementHold> holds) {
        this.lastRoundRobin = lastRoundRobin;
        this.anyAgent = !agents.isEmpty();
        agents.stream().sorted(Comparator.comparing(Agent::id)).forEach(a -> {
            long[] total = a.availableSlots().microUnits();
            for (int i = 0; i < ResourceSlots.MICRO_SIZE; i++) {
                largestTotal[i] = Math.max(largestTotal[i], total[i]);
            }
            if (a.status() == AgentStatus.ALIVE && a.schedulable()) {
                live.add(new Slot(a, holds.get(a.id())));
            }
        });
        byFree.addAll(live);
        for (Slot s : live) {
            if (s.whileEmpty != null) {
                held.add(s);
            }
        }
        for (int i = 0; i < ResourceSlots.MICRO_SIZE; i++) {
            java.util.TreeMap<Long, Integer> amounts = new java.util.TreeMap<>();
            for (Slot s : live) {
                if (s.whileEmpty == null) {
                    amounts.merge(s.free[i], 1, Integer::sum);
                }
            }
            freeAmounts.add(amounts);
            largestFree[i] = amounts.isEmpty() ? 0 : amounts.lastKey();
        }
    }

    /** False for a group with no agent registered at all (say, one that scales from zero): nothing can be judged yet. */
    boolean hasAnyAgent() {
        return anyAgent;
    }

    boolean hasLiveAgents() {
        return !live.isEmpty();
    }

    Optional<String> lastRoundRobin() {
        return lastRoundRobin;
    }

    /** True when no agent of the group, live or not, could ever hold {@code request}. */
    boolean neverFits(long[] request) {
        return !ResourceSlots.microFits(request, largestTotal);
    }

    /** True when no agent of the group has any of some slot the request needs. */
    boolean lacksSlot(long[] request) {
        for (int i = 0; i < ResourceSlots.MICRO_SIZE; i++) {
            if (request[i] > 0 && largestTotal[i] == 0) {
                return true;
            }
        }
        return false;
    }

    static String slotName(int i) {
        return ResourceSlots.KNOWN.get(i);
    }

    /**
     * The agent the strategy picks for a kernel of {@code session} asking {@code request} among those not in
     * {@code exclude} and whose {@link PlacementHold} does not refuse it; nothing is reserved.
     */
    Optional<Slot> choose(AgentSelectionStrategy strategy, Session session, long[] request, Set<String> exclude) {
        boolean onDemandOnly = session.onDemandOnly();
        if (!ResourceSlots.microFits(request, largestFree)) {
            // No unheld agent has the room: only a held one could take it (a large kernel), or none.
            boolean heldTakes = false;
            for (Slot h : held) {
                if (!exclude.contains(h.id) && h.takes(session, onDemandOnly, request)) {
                    heldTakes = true;
                    break;
                }
            }
            if (!heldTakes) {
                return Optional.empty();
            }
        }
        switch (strategy) {
            case DISPERSED:
                // Most free first; once the leading slot is below the request, nothing further down fits.
                Slot found = null;
                for (Slot s : byFree.descendingSet()) {
                    if (found != null) {
                        // Among equally free agents the lowest id wins; they come here in descending id order.
                        if (ResourceSlots.microCompare(s.free, found.free) != 0) {
                            break;
                        }
                        found = exclude.contains(s.id) || !s.takes(session, onDemandOnly, request) ? found : s;
                        continue;
                    }
                    if (leadingSlotBelow(s.free, request)) {
                        break;
                    }
                    if (!exclude.contains(s.id) && s.takes(session, onDemandOnly, request)) {
                        found = s;
                    }
                }
                return Optional.ofNullable(found);
            case CONCENTRATED:
                for (Slot s : byFree) {
                    if (!exclude.contains(s.id) && s.takes(session, onDemandOnly, request)) {
                        return Optional.of(s);
                    }
                }
                return Optional.empty();
            default:
                break;
        }
        Slot best = null;
        Slot firstFitting = null;
        for (Slot s : live) {
            if (exclude.contains(s.id) || !s.takes(session, onDemandOnly, request)) {
                continue;
            }
            if (firstFitting == null) {
                firstFitting = s;
            }
            if (strategy == AgentSelectionStrategy.LEGACY) {
                best = best == null || ResourceSlots.microCompare(s.available, best.available) > 0 ? s : best;
            } else if (best == null && lastRoundRobin.map(last -> s.id.compareTo(last) > 0).orElse(true)) {
                best = s;
                break;
            }
        }
        if (strategy == AgentSelectionStrategy.ROUNDROBIN && best == null) {
            best = firstFitting;
        }
        return Optional.ofNullable(best);
    }

    /**
     * Why a kernel of {@code s} asking {@code request} that no agent took would have fitted one that a hold kept it
     * off: the sentence its pending reason gives; empty when no agent had the room. Asked only of a session left
     * waiting (it looks at every spot agent for an on-demand-only one, the held ones otherwise).
     */
    Optional<String> heldFrom(Session s, long[] request) {
        for (Slot h : held) {
            if (ResourceSlots.microFits(request, h.free) && h.whileEmpty.refusesWhileEmpty(s.id(), request)) {
                return Optional.of("agent " + h.id + " has the room but is empty and kept for larger sessions (the group's "
                        + "right_sizing): a cheaper instance is launched for this one");
            }
        }
        if (s.onDemandOnly()) {
            for (Slot l : live) {
                if (l.spot != null && ResourceSlots.microFits(request, l.free) && l.spot.refusesOnDemandOnly(s.id(), request)) {
                    return Optional.of("agent " + l.id + " has the room but runs on spot, and this session asks for on-demand "
                            + "capacity only (its retry rules' on_demand_after)");
                }
            }
        }
        return Optional.empty();
    }

    /** True when the first slot in which the two differ has less free than requested (so the agent cannot fit it). */
    private static boolean leadingSlotBelow(long[] free, long[] request) {
        for (int i = 0; i < ResourceSlots.MICRO_SIZE; i++) {
            if (free[i] != request[i]) {
                return free[i] < request[i];
            }
        }
        return false;
    }

    void reserve(Slot slot, long[] request, AgentSelectionStrategy strategy) {
        byFree.remove(slot);
        if (slot.whileEmpty != null) {
            // It holds a session now: its hold is lifted (its free room is filled at no further cost), and it joins the
            // unheld agents with what it has left.
            slot.whileEmpty = null;
            held.remove(slot);
            for (int i = 0; i < ResourceSlots.MICRO_SIZE; i++) {
                slot.free[i] -= request[i];
                java.util.TreeMap<Long, Integer> amounts = freeAmounts.get(i);
                amounts.merge(slot.free[i], 1, Integer::sum);
                largestFree[i] = amounts.lastKey();
            }
        } else {
            for (int i = 0; i < ResourceSlots.MICRO_SIZE; i++) {
                if (request[i] != 0) {
                    java.util.TreeMap<Long, Integer> amounts = freeAmounts.get(i);
                    amounts.computeIfPresent(slot.free[i], (amount, count) -> count == 1 ? null : count - 1);
                    slot.free[i] -= request[i];
                    amounts.merge(slot.free[i], 1, Integer::sum);
                    largestFree[i] = amounts.lastKey();
                }
            }
        }
        byFree.add(slot);
        if (strategy == AgentSelectionStrategy.ROUNDROBIN) {
            lastRoundRobin = Optional.of(slot.id);
        }
    }
}
