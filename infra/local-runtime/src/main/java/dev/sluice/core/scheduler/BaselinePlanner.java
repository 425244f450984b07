package dev.sluice.core.scheduler;

import dev.sluice.core.agent.Agent;
import dev.sluice.core.agent.AgentStatus;
import dev.sluice.core.session.SessionChange;
import dev.sluice.core.session.ClusterMode;
import dev.sluice.core.session.Session;
import dev.sluice.core.slots.ResourceSlots;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The planner benchmark's baseline (it lives in the benchmarks, in the planner's package only to call the same
 * predicates): the fastest simple planner over the same snapshot. Queue order, the same {@link Predicates}, first fit
 * over the live agents' free capacity held in one primitive array, gang placement of multi-node sessions on distinct
 * agents, and two cheap cut-offs: a request larger than the largest free amount of some slot is not scanned, and a
 * request that already failed a full scan in this pass is not scanned again (free capacity only shrinks in a pass).
 * It does no agent-selection strategy, no DRF, no quota accounting during the pass, no cancellations and no
 * explanations: it only counts what it leaves pending.
 */
public final class BaselinePlanner {
    private BaselinePlanner() {
    }

    /** What the baseline decided: for each placed session, the index of its (first) agent; -1 for a session left pending. */
    public record Result(int placed, int deferred, int[] agentOf) {
    }

    public static Result plan(SchedulingSnapshot snap) {
        List<Agent> live = new ArrayList<>();
        for (Agent a : snap.agents()) {
            if (a.status() == AgentStatus.ALIVE && a.schedulable()) {
                live.add(a);
            }
        }
        final int slots = ResourceSlots.MICRO_SIZE;
        int n = live.size();
        long[] free = new long[n * slots];
        long[] largest = new long[slots];
        for (int i = 0; i < n; i++) {
            long[] agentFree = ResourceSlots.microFree(live.get(i).availableSlots().microUnits(), live.get(i).occupiedSlots().microUnits());
            System.arraycopy(agentFree, 0, free, i * slots, slots);
            for (int k = 0; k < slots; k++) {
                largest[k] = Math.max(largest[k], agentFree[k]);
            }
        }
        Set<Request> failed = new HashSet<>();
        List<Session> pending = snap.pending();
        int[] agentOf = new int[pending.size()];
        int placed = 0;
        int[] chosen = new int[SessionChange.MAX_KERNELS];
        for (int q = 0; q < pending.size(); q++) {
            Session s = pending.get(q);
            agentOf[q] = -1;
            List<PredicateResult> verdict = Predicates.check(s, snap, snap.usageOf(s.owner()), snap.groupUsage(), snap.domainUsage(), snap.now());
            if (verdict != Predicates.ALL_PASSED && verdict.stream().anyMatch(r -> !r.passed())) {
                continue;
            }
            long[] request = s.spec().requestedSlots().microUnits();
            int size = s.spec().clusterSize();
            int kernels = 1;
            if (s.spec().clusterMode() == ClusterMode.SINGLE_NODE) {
                if (size != 1) {
                    request = ResourceSlots.microTimes(request, size);
                }
            } else {
                kernels = size;
            }
            if (kernels > chosen.length || !ResourceSlots.microFits(request, largest)) {
                continue;
            }
            Request key = new Request(request, kernels);
            if (failed.contains(key)) {
                continue;
            }
            int found = 0;
            for (int i = 0; i < n && found < kernels; i++) {
                int base = i * slots;
                boolean fits = true;
                for (int k = 0; k < slots; k++) {
                    if (request[k] > free[base + k]) {
                        fits = false;
                        break;
                    }
                }
                if (fits) {
                    chosen[found++] = i;
                }
            }
            if (found < kernels) {
                failed.add(key);
                // The largest free amounts only shrink; refreshed when a full scan found nothing.
                Arrays.fill(largest, 0);
                for (int i = 0; i < n; i++) {
                    for (int k = 0; k < slots; k++) {
                        largest[k] = Math.max(largest[k], free[i * slots + k]);
                    }
                }
                continue;
            }
            for (int j = 0; j < kernels; j++) {
                int base = chosen[j] * slots;
                for (int k = 0; k < slots; k++) {
                    free[base + k] -= request[k];
                }
            }
            agentOf[q] = chosen[0];
            placed++;
        }
        return new Result(placed, pending.size() - placed, agentOf);
    }

    /** A request vector with its kernel count, as a hash key. */
    private record Request(long[] amounts, int kernels) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Request r && r.kernels == kernels && Arrays.equals(r.amounts, amounts);
        }

        @Override
        public int hashCode() {
            return 31 * Arrays.hashCode(amounts) + kernels;
        }
    }
}
