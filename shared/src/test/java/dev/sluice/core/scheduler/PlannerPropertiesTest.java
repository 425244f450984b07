package dev.sluice.core.scheduler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.agent.Agent;
import dev.sluice.core.group.ResourceGroup;
import dev.sluice.core.session.Session;
import dev.sluice.core.slots.ResourceSlots;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Properties over random workloads: no slot of any agent is ever over-committed, and FIFO never jumps the queue. */
class PlannerPropertiesTest {

    record Workload(List<Agent> agents, List<Session> sessions, String strategy) {
    }

    @Provide
    Arbitrary<Workload> workloads() {
        Arbitrary<Agent> agent = Combinators.combine(Arbitraries.integers().between(0, 8), Arbitraries.integers().between(1, 64),
                        Arbitraries.integers().between(0, 4), Arbitraries.integers().between(0, 3))
                .as((gpus, cpus, usedGpus, shares) -> new Agent("placeholder", "g", dev.sluice.core.agent.AgentStatus.ALIVE, true,
                        Fixtures.slots("cuda.device", gpus, "cpu", cpus, "mem", "256g", "cuda.shares", shares),
                        Fixtures.slots("cuda.device", Math.min(usedGpus, gpus)), "x86_64", "1", Map.of(), Fixtures.NOW, Fixtures.NOW));
        Arbitrary<List<Agent>> agents = agent.list().ofMinSize(0).ofMaxSize(12).map(list -> {
            List<Agent> named = new ArrayList<>();
            for (int i = 0; i < list.size(); i++) {
                Agent a = list.get(i);
                named.add(new Agent(String.format("i-%03d", i), a.resourceGroup(), a.status(), a.schedulable(), a.availableSlots(),
                        a.occupiedSlots(), a.architecture(), a.version(), a.computePlugins(), a.firstContact(), a.lastHeartbeat()));
            }
            return named;
        });
        Arbitrary<Session> session = Combinators.combine(Arbitraries.integers().between(0, 4), Arbitraries.integers().between(1, 16),
                        Arbitraries.of("0", "0.5", "1.5"), Arbitraries.of("single-node", "multi-node"), Arbitraries.integers().between(1, 3),
                        Arbitraries.strings().withCharRange('a', 'c').ofLength(1))
                .as((gpus, cpus, shares, mode, size, owner) -> Fixtures.session("x", owner, 0,
                        Fixtures.slots("cuda.device", gpus, "cpu", cpus, "mem", "8g", "cuda.shares", shares),
                        Map.of("cluster_mode", mode, "cluster_size", size)));
        Arbitrary<List<Session>> sessions = session.list().ofMaxSize(40).map(list -> {
            List<Session> named = new ArrayList<>();
            for (int i = 0; i < list.size(); i++) {
                Session s = list.get(i);
                named.add(Session.enqueue(String.format("s-%03d", i), s.owner(), s.spec(), "g", Fixtures.NOW.minusSeconds(1000 - i)));
            }
            return named;
        });
        return Combinators.combine(agents, sessions, Arbitraries.of("dispersed", "concentrated", "roundrobin", "legacy"))
                .as(Workload::new);
    }

    private static SchedulingPlan plan(Workload w, String scheduler) {
        ResourceGroup g = Fixtures.group(scheduler, Map.of("agent_selection_strategy", w.strategy()));
        return Planner.plan(Fixtures.snapshot(g, w.sessions(), w.agents()));
    }

    @Property(tries = 300)
    void noSlotOfAnyAgentIsEverOverCommitted(@ForAll("workloads") Workload w, @ForAll("schedulers") String scheduler) {
        SchedulingPlan plan = plan(w, scheduler);
        Map<String, ResourceSlots> used = new HashMap<>();
        w.agents().forEach(a -> used.put(a.id(), a.occupiedSlots()));
        for (SchedulingPlan.Placement p : plan.placements()) {
            List<String> agentsOfSession = p.kernels().stream().map(SchedulingPlan.Kernel::agentId).toList();
            if (p.session().spec().clusterMode() == dev.sluice.core.session.ClusterMode.MULTI_NODE) {
                assertThat(agentsOfSession).doesNotHaveDuplicates().hasSize(p.session().spec().clusterSize());
            }
            p.kernels().forEach(k -> used.merge(k.agentId(), k.slots(), ResourceSlots::add));
        }
        for (Agent a : w.agents()) {
            assertThat(used.get(a.id()).fitsIn(a.availableSlots())).as(a.id() + " holds " + used.get(a.id())).isTrue();
        }
        assertThat(plan.placements().size() + plan.deferrals().size() + plan.cancellations().size()).isEqualTo(w.sessions().size());
    }

    @Provide
    Arbitrary<String> schedulers() {
        return Arbitraries.of("fifo", "lifo", "drf");
    }

    @Property(tries = 300)
    void fifoNeverPlacesALaterSessionAheadOfAnEarlierOneThatFits(@ForAll("workloads") Workload w) {
        SchedulingPlan plan = plan(w, "fifo");
        List<String> placed = plan.placements().stream().map(p -> p.session().id()).toList();
        // Replay in queue order: a session left pending must not have fitted when its turn came.
        Map<String, long[]> free = new HashMap<>();
        w.agents().forEach(a -> free.put(a.id(), a.freeSlots().microUnits()));
        Map<String, SchedulingPlan.Placement> byId = new HashMap<>();
        plan.placements().forEach(p -> byId.put(p.session().id(), p));
        for (Session s : Fixtures.queue(w.sessions())) {
            SchedulingPlan.Placement p = byId.get(s.id());
            if (p != null) {
                p.kernels().forEach(k -> {
                    long[] f = free.get(k.agentId());
                    long[] r = k.slots().microUnits();
                    for (int i = 0; i < f.length; i++) {
                        f[i] -= r[i];
                    }
                });
                continue;
            }
            assertThat(fitsSomewhere(s, free)).as(s.id() + " was skipped though it fitted; placed: " + placed).isFalse();
        }
    }

    private static boolean fitsSomewhere(Session s, Map<String, long[]> free) {
        long[] perKernel = s.spec().requestedSlots().microUnits();
        int size = s.spec().clusterSize();
        if (s.spec().clusterMode() == dev.sluice.core.session.ClusterMode.SINGLE_NODE || size == 1) {
            long[] total = dev.sluice.core.slots.ResourceSlots.microTimes(perKernel, size);
            return free.values().stream().anyMatch(f -> dev.sluice.core.slots.ResourceSlots.microFits(total, f));
        }
        return free.values().stream().filter(f -> dev.sluice.core.slots.ResourceSlots.microFits(perKernel, f)).count() >= size;
    }
}
