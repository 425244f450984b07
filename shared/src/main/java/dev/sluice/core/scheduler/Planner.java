package dev.sluice.core.scheduler;

import dev.sluice.core.group.AgentSelectionStrategy;
import dev.sluice.core.group.SchedulerKind;
import dev.sluice.core.session.SessionChange;
import dev.sluice.core.session.ClusterMode;
import dev.sluice.core.session.Session;
import dev.sluice.core.session.StatusData;
import dev.sluice.core.slots.ResourceSlots;
import java.math.BigDecimal;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The pure planning step of a scheduling pass (snapshot -> plan; STYLE.md, Nomad's shape): cancel what timed out or
 * lost a dependency, consider the highest-priority pending sessions in the group's order (FIFO, LIFO or DRF), run the
 * predicates, choose agents, reserve, and explain every session left waiting. It touches no storage.
 */
public final class Planner {
    private Planner() {
    }

    public static SchedulingPlan plan(SchedulingSnapshot snap) {
        List<SchedulingPlan.Placement> placements = new ArrayList<>();
        List<SchedulingPlan.Cancellation> cancellations = new ArrayList<>();
        List<SchedulingPlan.Deferral> deferrals = new ArrayList<>();

        Set<String> cancelled = new HashSet<>();
        for (Session s : PendingTimeoutSweep.expired(snap.group(), snap.pending(), snap.now())) {
            cancellations.add(new SchedulingPlan.Cancellation(s, "pending-timeout",
                    StatusData.pendingTimeout(snap.group().schedulerOptions().pendingTimeout())));
            cancelled.add(s.id());
        }
        for (Session s : snap.pending()) {
            if (cancelled.contains(s.id())) {
                continue;
            }
            for (String dep : s.spec().dependencies()) {
                Optional<SchedulingSnapshot.DependencyState> state = Optional.ofNullable(snap.dependencies().get(dep));
                if (Predicates.dependencyVerdict(state) == Predicates.DependencyVerdict.FAILED) {
                    cancellations.add(new SchedulingPlan.Cancellation(s, "dependency-failed", StatusData.dependencyFailed(dep,
                            state.map(d -> d.status().name() + "/" + d.result().name()).orElse("missing"))));
                    cancelled.add(s.id());
                    break;
                }
            }
        }

        List<Session> live = snap.pending().stream().filter(s -> !cancelled.contains(s.id())).toList();
        int top = live.stream().mapToInt(s -> s.spec().priority()).max().orElse(0);
        List<Session> candidates = new ArrayList<>();
        for (Session s : live) {
            if (s.spec().priority() == top) {
                candidates.add(s);
            } else {
                deferrals.add(new SchedulingPlan.Deferral(s, new PendingExplanation(PendingExplanation.WAITING_FOR_PRIORITY, true,
                        "sessions of higher priority (" + top + ") are scheduled first", List.of(), List.of(), Optional.empty())));
            }
        }

        AgentPool pool = new AgentPool(snap.agents(), snap.lastRoundRobin(), snap.holds());
        AgentSelectionStrategy strategy = snap.group().schedulerOptions().agentSelectionStrategy();
        Map<String, Usage> owners = new HashMap<>(snap.ownerUsage());
        Usage[] groupAndDomain = {snap.groupUsage(), snap.domainUsage()};

        Map<Request, PendingExplanation> waits = new HashMap<>();
        Deque<Session> order = order(snap, candidates, owners);
        Map<String, Deque<Session>> byOwner = snap.group().scheduler() == SchedulerKind.DRF ? queuesByOwner(order) : Map.of();
        ResourceSlots capacity = snap.group().scheduler() == SchedulerKind.DRF
                ? snap.agents().stream().map(a -> a.availableSlots()).reduce(ResourceSlots.EMPTY, ResourceSlots::add)
                : ResourceSlots.EMPTY;
        // Usage only matters to quota predicates and to DRF; without either, it is not tracked during the pass.
        boolean trackUsage = snap.group().scheduler() == SchedulerKind.DRF || !snap.ownerPolicies().isEmpty()
                || snap.groupPolicy() != ResourcePolicy.UNLIMITED || snap.domainPolicy() != ResourcePolicy.UNLIMITED;
        while (!order.isEmpty() || !byOwner.isEmpty()) {
            Session s = snap.group().scheduler() == SchedulerKind.DRF ? nextByDominantShare(byOwner, owners, capacity) : order.poll();
            if (s == null) {
                break;
            }
            Usage ownerUsage = owners.getOrDefault(s.owner(), Usage.NONE);
            List<PredicateResult> results = Predicates.check(s, snap, ownerUsage, groupAndDomain[0], groupAndDomain[1], snap.now());
            if (results != Predicates.ALL_PASSED) {
                List<PredicateResult> failed = results.stream().filter(r -> !r.passed()).toList();
                if (!failed.isEmpty()) {
                    deferrals.add(new SchedulingPlan.Deferral(s, predicateWait(s, failed,
                            results.stream().filter(PredicateResult::passed).toList())));
                    continue;
                }
            }
            if (kernels(s) > SessionChange.MAX_KERNELS) {
                // Stored before the limit was checked at creation: it cannot be placed in one transaction, so it is
                // explained and skipped, and the pass goes on with the others.
                deferrals.add(new SchedulingPlan.Deferral(s, new PendingExplanation(PendingExplanation.TOO_MANY_KERNELS, false,
                        "a multi-node session of " + kernels(s) + " kernels cannot be placed: at most " + SessionChange.MAX_KERNELS
                                + " kernels fit in one placement; it will never run as asked", List.of(), List.of(), Optional.empty())));
                continue;
            }
            long[] perKernel = s.spec().requestedSlots().microUnits();
            Optional<SchedulingPlan.Placement> placement = place(s, perKernel, pool, strategy);
            if (placement.isEmpty()) {
                long[] needed = s.spec().clusterMode() == ClusterMode.SINGLE_NODE ? ResourceSlots.microTimes(perKernel, s.spec().clusterSize()) : perKernel;
                // Same request, same pool verdict: explain it once per distinct request in a pass (unless a hold, which
                // depends on the session, kept it off an agent with room).
                Optional<String> held = pool.heldFrom(s, needed);
                PendingExplanation why = held.isPresent()
                        ? new PendingExplanation(PendingExplanation.WAITING_FOR_CAPACITY, true, held.get(), List.of(),
                                Predicates.ALL_PASSED, Optional.empty())
                        : waits.computeIfAbsent(new Request(needed), k -> capacityWait(needed, pool, Predicates.ALL_PASSED));
                deferrals.add(new SchedulingPlan.Deferral(s, why));
                continue;
            }
            placements.add(placement.get());
            if (trackUsage) {
                ResourceSlots total = placement.get().totalSlots();
                owners.put(s.owner(), ownerUsage.plusActive(total));
                groupAndDomain[0] = groupAndDomain[0].plusActive(total);
                groupAndDomain[1] = groupAndDomain[1].plusActive(total);
            }
        }
        return new SchedulingPlan(placements, cancellations, deferrals, pool.lastRoundRobin());
    }

    /** A request's slot amounts as a map key (compared by value, hashed without boxing). */
    private record Request(long[] amounts) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Request r && java.util.Arrays.equals(r.amounts, amounts);
        }

        @Override
        public int hashCode() {
            return java.util.Arrays.hashCode(amounts);
        }

        @Override
        public String toString() {
            return java.util.Arrays.toString(amounts);
        }
    }

    /** How many kernels the session's placement writes: one for single-node, one an agent for multi-node. */
    static int kernels(Session s) {
        return s.spec().clusterMode() == ClusterMode.SINGLE_NODE ? 1 : s.spec().clusterSize();
    }

    /**
     * Sessions re-queued by a retry first (at the head of their priority, in queue order), then: FIFO oldest first,
     * sessions that failed {@code num_retries_to_skip} times moved behind the rest; LIFO newest first.
     */
    private static Deque<Session> order(SchedulingSnapshot snap, List<Session> queued, Map<String, Usage> owners) {
        Deque<Session> out = new ArrayDeque<>(queued.size());
        List<Session> candidates = new ArrayList<>(queued.size());
        for (Session s : queued) {
            if (s.requeuedAt().isPresent()) {
                out.add(s);
            } else {
                candidates.add(s);
            }
        }
        if (snap.group().scheduler() == SchedulerKind.LIFO) {
            for (int i = candidates.size() - 1; i >= 0; i--) {
                out.add(candidates.get(i));
            }
            return out;
        }
        int threshold = snap.group().schedulerOptions().config().numRetriesToSkip().orElse(0);
        List<Session> skipped = new ArrayList<>();
        for (Session s : candidates) {
            if (threshold > 0 && retries(s) >= threshold) {
                skipped.add(s);
            } else {
                out.add(s);
            }
        }
        out.addAll(skipped);
        return out;
    }

    static int retries(Session s) {
        return s.statusData().retries();
    }

    private static Map<String, Deque<Session>> queuesByOwner(Deque<Session> order) {
        Map<String, Deque<Session>> byOwner = new LinkedHashMap<>();
        for (Session s : order) {
            byOwner.computeIfAbsent(s.owner(), o -> new ArrayDeque<>()).add(s);
        }
        order.clear();
        return byOwner;
    }

    /** DRF: the next session of the owner whose dominant share of the group's capacity is lowest (ties: first in queue). */
    private static Session nextByDominantShare(Map<String, Deque<Session>> byOwner, Map<String, Usage> owners, ResourceSlots capacity) {
        String best = null;
        BigDecimal bestShare = null;
        for (String owner : byOwner.keySet()) {
            BigDecimal share = owners.getOrDefault(owner, Usage.NONE).occupied().dominantShareOf(capacity);
            if (bestShare == null || share.compareTo(bestShare) < 0) {
                best = owner;
                bestShare = share;
            }
        }
        if (best == null) {
            return null;
        }
        Deque<Session> queue = byOwner.get(best);
        Session next = queue.poll();
        if (queue.isEmpty()) {
            byOwner.remove(best);
        }
        return next;
    }

    /** Reserves all kernels of the session or none (gang): one agent for single-node, distinct agents for multi-node. */
    private static Optional<SchedulingPlan.Placement> place(Session s, long[] perKernel, AgentPool pool, AgentSelectionStrategy strategy) {
        int size = s.spec().clusterSize();
        if (s.spec().clusterMode() == ClusterMode.SINGLE_NODE || size == 1) {
            long[] total = ResourceSlots.microTimes(perKernel, size);
            return pool.choose(strategy, s, total, Set.of()).map(agent -> {
                pool.reserve(agent, total, strategy);
                return new SchedulingPlan.Placement(s, List.of(new SchedulingPlan.Kernel(agent.id, ResourceSlots.fromMicroUnits(total))));
            });
        }
        List<AgentPool.Slot> chosen = new ArrayList<>();
        Set<String> taken = new HashSet<>();
        for (int k = 0; k < size; k++) {
            Optional<AgentPool.Slot> agent = pool.choose(strategy, s, perKernel, taken);
            if (agent.isEmpty()) {
                return Optional.empty();
            }
            chosen.add(agent.get());
            taken.add(agent.get().id);
        }
        List<SchedulingPlan.Kernel> kernels = new ArrayList<>();
        ResourceSlots slots = ResourceSlots.fromMicroUnits(perKernel);
        for (AgentPool.Slot agent : chosen) {
            pool.reserve(agent, perKernel, strategy);
            kernels.add(new SchedulingPlan.Kernel(agent.id, slots));
        }
        return Optional.of(new SchedulingPlan.Placement(s, kernels));
    }

    private static PendingExplanation predicateWait(Session s, List<PredicateResult> failed, List<PredicateResult> passed) {
        String first = failed.get(0).name();
        String reason = switch (first) {
            case Predicates.RESERVED_TIME -> PendingExplanation.WAITING_FOR_START_TIME;
            case Predicates.DEPENDENCIES -> PendingExplanation.WAITING_FOR_DEPENDENCY;
            default -> PendingExplanation.WAITING_FOR_QUOTA;
        };
        Optional<java.time.Instant> estimate = first.equals(Predicates.RESERVED_TIME) ? s.spec().startsAt() : Optional.empty();
        return new PendingExplanation(reason, true, failed.get(0).message(), failed, passed, estimate);
    }

    private static PendingExplanation capacityWait(long[] needed, AgentPool pool, List<PredicateResult> passed) {
        if (!pool.hasAnyAgent()) {
            return new PendingExplanation(PendingExplanation.WAITING_FOR_AGENT, true,
                    "this resource group has no agent yet", List.of(), passed, Optional.empty());
        }
        if (pool.lacksSlot(needed)) {
            return new PendingExplanation(PendingExplanation.MISSING_SLOT, false,
                    "no agent of this resource group has some of " + ResourceSlots.fromMicroUnits(needed).amounts().keySet()
                            + "; it will never run here as asked", List.of(), passed, Optional.empty());
        }
        if (pool.neverFits(needed)) {
            return new PendingExplanation(PendingExplanation.NEVER_FITS, false,
                    "it asks for " + ResourceSlots.fromMicroUnits(needed).describe() + ", more than any agent of this resource group has in total; "
                            + "it will never run here as asked", List.of(), passed, Optional.empty());
        }
        if (!pool.hasLiveAgents()) {
            return new PendingExplanation(PendingExplanation.WAITING_FOR_AGENT, true,
                    "no agent of this resource group is alive and schedulable", List.of(), passed, Optional.empty());
        }
        return new PendingExplanation(PendingExplanation.WAITING_FOR_CAPACITY, true,
                "waiting for " + ResourceSlots.fromMicroUnits(needed).describe() + " to free up on one agent", List.of(), passed, Optional.empty());
    }
}
