package dev.sluice.core.fleet;

import static dev.sluice.core.fleet.FleetFixtures.NOW;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.slots.ResourceSlots;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Properties of demand -> capacity over random catalogs, fleets and queues. */
class FleetPlannerPropertiesTest {

    @Provide
    Arbitrary<FleetState> states() {
        Arbitrary<Map<String, Object>> type = Combinators.combine(Arbitraries.of(1, 2, 4, 8), Arbitraries.integers().between(1, 300),
                        Arbitraries.of("spot", "on-demand", "both"), Arbitraries.integers().between(0, 6))
                .as((gpus, cents, options, max) -> FleetFixtures.type("x", gpus, 8 * gpus, (32 * gpus) + "g",
                        options.equals("on-demand") ? null : String.format(java.util.Locale.ROOT, "%.2f", cents * gpus / 100.0),
                        options.equals("spot") ? null : String.format(java.util.Locale.ROOT, "%.2f", 3 * cents * gpus / 100.0), max));
        Arbitrary<FleetCatalog> catalog = Combinators.combine(type.list().ofMinSize(1).ofMaxSize(5), Arbitraries.integers().between(0, 3),
                        Arbitraries.integers().between(0, 12))
                .as((types, min, max) -> {
                    List<Map<String, Object>> named = new ArrayList<>();
                    for (int i = 0; i < types.size(); i++) {
                        Map<String, Object> t = new HashMap<>(types.get(i));
                        t.put("name", "g" + i + ".xlarge");
                        t.put("max_instances", Math.min((Integer) t.get("max_instances"), max));
                        named.add(t);
                    }
                    return FleetFixtures.catalog(Math.min(min, max), max, named);
                });
        Arbitrary<Demand> demand = Combinators.combine(Arbitraries.integers().between(0, 10), Arbitraries.integers().between(1, 3),
                        Arbitraries.integers().between(1, 40))
                .as((gpus, kernels, cpus) -> new Demand("x", FleetFixtures.slots("cuda.device", gpus, "cpu", cpus, "mem", "8g"), kernels));
        Arbitrary<FleetAgent> agent = Combinators.combine(Arbitraries.integers().between(0, 4), Arbitraries.integers().between(0, 8),
                        Arbitraries.of(true, false), Arbitraries.integers().between(0, 60))
                .as((typeIndex, freeGpus, busy, idleMinutes) -> new FleetAgent("x", typeIndex == 4 ? Optional.empty() : Optional.of("g" + typeIndex + ".xlarge"),
                        true, FleetFixtures.slots("cuda.device", freeGpus, "cpu", 8, "mem", "32g"), busy,
                        busy ? Optional.empty() : Optional.of(NOW.minus(Duration.ofMinutes(idleMinutes)))));
        Arbitrary<Launching> launching = Arbitraries.integers().between(0, 4).map(t -> new Launching("x", "g" + t + ".xlarge", PurchaseOption.SPOT,
                "us-east-1a", FleetFixtures.slots("cuda.device", 1, "cpu", 8, "mem", "32g"), NOW));
        return Combinators.combine(catalog, demand.list().ofMaxSize(30), agent.list().ofMaxSize(6), launching.list().ofMaxSize(3))
                .as((c, ds, as, ls) -> {
                    List<Demand> d = new ArrayList<>();
                    for (int i = 0; i < ds.size(); i++) {
                        d.add(new Demand("s" + i, ds.get(i).perKernel(), ds.get(i).kernels()));
                    }
                    List<FleetAgent> a = new ArrayList<>();
                    for (int i = 0; i < as.size(); i++) {
                        FleetAgent x = as.get(i);
                        a.add(new FleetAgent("agent-" + i, x.instanceType(), x.schedulable(), x.free(), x.busy(), x.idleSince()));
                    }
                    List<Launching> l = new ArrayList<>();
                    for (int i = 0; i < ls.size(); i++) {
                        Launching x = ls.get(i);
                        l.add(new Launching("i-" + i, x.instanceType(), x.option(), x.zone(), x.slots(), x.requestedAt()));
                    }
                    return new FleetState(c, d, a, l, NOW);
                });
    }

    private static Map<String, Integer> running(FleetState s) {
        Map<String, Integer> n = new HashMap<>();
        s.agents().forEach(a -> a.instanceType().ifPresent(t -> n.merge(t, 1, Integer::sum)));
        s.launching().forEach(l -> n.merge(l.instanceType(), 1, Integer::sum));
        return n;
    }

    @Property(tries = 300)
    void neverLaunchesOverAnyMax(@ForAll("states") FleetState s) {
        FleetDecision d = FleetPlanner.plan(s);
        Map<String, Integer> running = running(s);
        int total = running.values().stream().mapToInt(Integer::intValue).sum();
        if (!d.launches().isEmpty()) {
            assertThat(total + d.launches().size()).isLessThanOrEqualTo(s.catalog().maxInstances());
        }
        Map<String, Integer> launched = new HashMap<>();
        d.launches().forEach(l -> launched.merge(l.instanceType(), 1, Integer::sum));
        launched.forEach((type, n) -> assertThat(running.getOrDefault(type, 0) + n)
                .isLessThanOrEqualTo(s.catalog().type(type).orElseThrow().maxInstances()));
    }

    @Property(tries = 300)
    void neverRetiresABusyRecentStaticOrNeededAgentNorGoesBelowMin(@ForAll("states") FleetState s) {
        FleetDecision d = FleetPlanner.plan(s);
        Set<String> usedByDemand = new HashSet<>();
        d.covered().forEach(c -> usedByDemand.addAll(c.hosts()));
        for (FleetDecision.Retirement r : d.retirements()) {
            FleetAgent a = s.agents().stream().filter(x -> x.id().equals(r.agentId())).findFirst().orElseThrow();
            assertThat(a.busy()).isFalse();
            assertThat(a.instanceType()).isPresent();
            assertThat(a.idleSince().orElseThrow().plus(s.catalog().idleDuration())).isBeforeOrEqualTo(NOW);
            assertThat(usedByDemand).doesNotContain(a.id());
        }
        int running = running(s).values().stream().mapToInt(Integer::intValue).sum();
        if (!d.retirements().isEmpty()) {
            assertThat(running - d.retirements().size()).isGreaterThanOrEqualTo(s.catalog().minInstances());
        }
    }

    @Property(tries = 300)
    void everyDemandIsServedWholeOrUnservedAndEveryLaunchIsUsed(@ForAll("states") FleetState s) {
        FleetDecision d = FleetPlanner.plan(s);
        Map<String, Demand> byId = new HashMap<>();
        s.demand().forEach(x -> byId.put(x.sessionId(), x));
        Set<String> seen = new HashSet<>();
        for (FleetDecision.Covered c : d.covered()) {
            assertThat(seen.add(c.sessionId())).isTrue();
            assertThat(c.hosts()).doesNotHaveDuplicates().hasSize(byId.get(c.sessionId()).kernels());
        }
        for (FleetDecision.Unserved u : d.unserved()) {
            assertThat(seen.add(u.sessionId())).isTrue();
        }
        assertThat(seen).isEqualTo(byId.keySet());
        Set<String> unserved = new HashSet<>();
        d.unserved().forEach(u -> unserved.add(u.sessionId()));
        for (FleetDecision.Launch l : d.launches()) {
            assertThat(l.sessionIds()).isNotEmpty().allSatisfy(id -> {
                assertThat(byId).containsKey(id);
                assertThat(unserved).doesNotContain(id);
            });
            // What the launch is for fits it.
            ResourceSlots sum = ResourceSlots.EMPTY;
            for (String id : l.sessionIds()) {
                sum = sum.add(byId.get(id).perKernel());
            }
            assertThat(sum.fitsIn(s.catalog().type(l.instanceType()).orElseThrow().slots())).isTrue();
            assertThat(l.option()).isEqualTo(s.catalog().type(l.instanceType()).orElseThrow().preferredOption());
        }
    }

    @Property(tries = 300)
    void sessionsThatFitNoTypeCauseNoLaunch(@ForAll("states") FleetState s) {
        FleetDecision d = FleetPlanner.plan(s);
        for (Demand x : s.demand()) {
            boolean fitsSome = s.catalog().instanceTypes().stream().anyMatch(t -> x.perKernel().fitsIn(t.slots()));
            if (!fitsSome) {
                assertThat(d.unserved()).anySatisfy(u -> {
                    assertThat(u.sessionId()).isEqualTo(x.sessionId());
                    assertThat(u.reason()).isEqualTo(FleetDecision.NEVER_FITS);
                });
                assertThat(d.launches()).noneSatisfy(l -> assertThat(l.sessionIds()).contains(x.sessionId()));
            }
        }
    }

    @Property(tries = 300)
    void neverWorseThanTheSimpleGreedyPacking(@ForAll("states") FleetState s) {
        FleetDecision chosen = FleetPlanner.plan(s);
        FleetDecision greedy = FleetPlanner.plan(s, FleetPlanner.Strategy.GREEDY);
        assertThat(chosen.served()).isGreaterThanOrEqualTo(greedy.served());
        if (chosen.served() == greedy.served()) {
            assertThat(chosen.hourlyMicroUsd()).isLessThanOrEqualTo(greedy.hourlyMicroUsd());
        }
    }
}
