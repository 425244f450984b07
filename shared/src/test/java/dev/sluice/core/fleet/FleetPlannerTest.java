package dev.sluice.core.fleet;

import static dev.sluice.core.fleet.FleetFixtures.NOW;
import static dev.sluice.core.fleet.FleetFixtures.busyAgent;
import static dev.sluice.core.fleet.FleetFixtures.catalog;
import static dev.sluice.core.fleet.FleetFixtures.g5;
import static dev.sluice.core.fleet.FleetFixtures.gpus;
import static dev.sluice.core.fleet.FleetFixtures.idleAgent;
import static dev.sluice.core.fleet.FleetFixtures.state;
import static dev.sluice.core.fleet.FleetFixtures.type;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.agent.Agent;
import dev.sluice.core.agent.AgentStatus;
import dev.sluice.core.request.RequestFields;
import dev.sluice.core.scheduler.PendingExplanation;
import dev.sluice.core.scheduler.SchedulingPlan;
import dev.sluice.core.session.Session;
import dev.sluice.core.session.SessionSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class FleetPlannerTest {

    private static Demand one(String id, int gpus) {
        return new Demand(id, gpus(gpus), 1);
    }

    @Test
    void aSessionOnAnEmptyGroupLaunchesTheCheapestTypeThatFitsItSpotFirst() {
        FleetDecision d = FleetPlanner.plan(state(g5(10), List.of(one("s1", 1)), List.of(), List.of()));
        assertThat(d.launches()).singleElement().satisfies(l -> {
            assertThat(l.instanceType()).isEqualTo("g5.xlarge");
            assertThat(l.option()).isEqualTo(PurchaseOption.SPOT);
            assertThat(l.hourlyMicroUsd()).isEqualTo(400_000L);
            assertThat(l.zone()).isEqualTo("us-east-1a");
            assertThat(l.subnetId()).isEqualTo("subnet-0123456789abcdef0");
            assertThat(l.sessionIds()).containsExactly("s1");
        });
        assertThat(d.covered()).singleElement().satisfies(c -> {
            assertThat(c.hosts()).containsExactly(d.launches().get(0).ref());
            assertThat(c.waitsForLaunch()).isTrue();
        });
    }

    @Test
    void anOnDemandOnlyTypeIsBoughtOnDemand() {
        FleetCatalog c = catalog(0, 4, List.of(type("g5.xlarge", 1, 4, "16g", null, "1.006", 4)));
        FleetDecision d = FleetPlanner.plan(state(c, List.of(one("s1", 1)), List.of(), List.of()));
        assertThat(d.launches()).singleElement().satisfies(l -> {
            assertThat(l.option()).isEqualTo(PurchaseOption.ON_DEMAND);
            assertThat(l.hourlyMicroUsd()).isEqualTo(1_006_000L);
        });
    }

    @Test
    void fourSmallSessionsShareOneLargerInstanceWhenThatIsCheaperThanFourSmallOnes() {
        List<Demand> demand = List.of(one("a", 1), one("b", 1), one("c", 1), one("d", 1));
        FleetState s = state(g5(10), demand, List.of(), List.of());
        FleetDecision greedy = FleetPlanner.plan(s, FleetPlanner.Strategy.GREEDY);
        assertThat(greedy.launches()).hasSize(4);
        assertThat(greedy.hourlyMicroUsd()).isEqualTo(1_600_000L);

        FleetDecision d = FleetPlanner.plan(s);
        assertThat(d.launches()).singleElement().satisfies(l -> {
            assertThat(l.instanceType()).isEqualTo("g5.12xlarge");
            assertThat(l.sessionIds()).containsExactly("a", "b", "c", "d");
        });
        assertThat(d.hourlyMicroUsd()).isEqualTo(1_400_000L);
    }

    @Test
    void aSessionThatFitsAnAgentsFreeRoomOrALaunchingInstanceIsNotDemand() {
        FleetAgent agent = busyAgent("agent-1", "g5.12xlarge", gpus(2));
        Launching coming = new Launching("i-0abc", "g5.xlarge", PurchaseOption.SPOT, "us-east-1a",
                FleetFixtures.slots("cuda.device", 1, "cpu", 4, "mem", "16g"), NOW.minusSeconds(30));
        FleetDecision d = FleetPlanner.plan(state(g5(10), List.of(one("a", 2), one("b", 1)), List.of(agent), List.of(coming)));
        assertThat(d.launches()).isEmpty();
        assertThat(d.covered()).extracting(FleetDecision.Covered::sessionId, FleetDecision.Covered::hosts, FleetDecision.Covered::waitsForLaunch)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("a", List.of("agent-1"), false),
                        org.assertj.core.groups.Tuple.tuple("b", List.of("i-0abc"), true));
    }

    @Test
    void aSessionThatFitsNoTypeLaunchesNothingAndKeepsNeverFits() {
        FleetDecision d = FleetPlanner.plan(state(g5(10), List.of(one("huge", 16), new Demand("gang", gpus(9), 2)), List.of(), List.of()));
        assertThat(d.launches()).isEmpty();
        assertThat(d.unserved()).extracting(FleetDecision.Unserved::sessionId, FleetDecision.Unserved::reason)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("huge", PendingExplanation.NEVER_FITS),
                        org.assertj.core.groups.Tuple.tuple("gang", PendingExplanation.NEVER_FITS));
        assertThat(d.unserved().get(0).message()).contains("more than any instance type of the catalog");
    }

    @Test
    void aGangIsLaunchedWholeOnDistinctInstancesOrNotAtAll() {
        Demand gang = new Demand("gang", gpus(8), 3);
        FleetDecision whole = FleetPlanner.plan(state(g5(4), List.of(gang), List.of(), List.of()));
        assertThat(whole.launches()).hasSize(3).allSatisfy(l -> {
            assertThat(l.instanceType()).isEqualTo("p4d.24xlarge");
            assertThat(l.sessionIds()).containsExactly("gang");
        });
        assertThat(whole.covered()).singleElement().satisfies(c -> assertThat(c.hosts()).doesNotHaveDuplicates().hasSize(3));

        FleetCatalog two = catalog(0, 10, List.of(type("p4d.24xlarge", 8, 96, "1152g", "12.00", "32.7726", 2)));
        FleetDecision none = FleetPlanner.plan(state(two, List.of(gang, one("small", 1)), List.of(), List.of()));
        assertThat(none.unserved()).singleElement().satisfies(u -> {
            assertThat(u.sessionId()).isEqualTo("gang");
            assertThat(u.reason()).isEqualTo(FleetDecision.AT_MAX);
        });
        assertThat(none.launches()).singleElement().satisfies(l -> assertThat(l.sessionIds()).containsExactly("small"));
    }

    @Test
    void aGangUsesFreeAgentsAndLaunchesOnlyTheKernelsLeft() {
        Demand gang = new Demand("gang", gpus(8), 3);
        FleetAgent free = idleAgent("agent-1", "p4d.24xlarge", gpus(8), NOW);
        FleetDecision d = FleetPlanner.plan(state(g5(10), List.of(gang), List.of(free), List.of()));
        assertThat(d.launches()).hasSize(2);
        assertThat(d.covered()).singleElement().satisfies(c -> assertThat(c.hosts()).hasSize(3).contains("agent-1").doesNotHaveDuplicates());
    }

    @Test
    void neverLaunchesOverTheGroupsOrATypesMax() {
        List<Demand> demand = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            demand.add(one("s" + i, 8));
        }
        FleetAgent running = busyAgent("agent-1", "p4d.24xlarge", FleetFixtures.slots("cpu", 1));
        FleetDecision d = FleetPlanner.plan(state(g5(3), demand, List.of(running), List.of()));
        assertThat(d.launches()).hasSize(2);
        assertThat(d.unserved()).hasSize(3).allSatisfy(u -> assertThat(u.reason()).isEqualTo(FleetDecision.AT_MAX));

        FleetCatalog capped = catalog(0, 10, List.of(type("g5.xlarge", 1, 4, "16g", "0.40", null, 1),
                type("g5.12xlarge", 4, 48, "192g", "2.00", null, 10)));
        FleetDecision d2 = FleetPlanner.plan(state(capped, List.of(one("a", 1)), List.of(busyAgent("x", "g5.xlarge", gpus(0))), List.of()));
        assertThat(d2.launches()).singleElement().satisfies(l -> assertThat(l.instanceType()).isEqualTo("g5.12xlarge"));
    }

    @Test
    void launchesOfOneTypeSpreadOverTheZones() {
        FleetCatalog c = catalog(0, 10, List.of(type("g5.xlarge", 1, 4, "16g", "0.40", null, 10)));
        FleetDecision d = FleetPlanner.plan(state(c, List.of(one("a", 1), one("b", 1)), List.of(), List.of()));
        assertThat(d.launches()).extracting(FleetDecision.Launch::zone).containsExactly("us-east-1a", "us-east-1b");
    }

    @Test
    void retiresOnlyFleetAgentsIdleLongerThanIdleDurationAboveMin() {
        FleetCatalog c = catalog(1, 10, List.of(type("g5.xlarge", 1, 4, "16g", "0.40", null, 10),
                type("g5.12xlarge", 4, 48, "192g", "1.40", null, 10)));
        Duration long_ = Duration.ofMinutes(30);
        List<FleetAgent> agents = List.of(
                idleAgent("cheap-idle", "g5.xlarge", gpus(1), NOW.minus(long_)),
                idleAgent("dear-idle", "g5.12xlarge", gpus(4), NOW.minus(long_)),
                idleAgent("recent", "g5.xlarge", gpus(1), NOW.minusSeconds(60)),
                idleAgent("static", null, gpus(1), NOW.minus(long_)),
                busyAgent("busy", "g5.xlarge", gpus(0)));
        FleetDecision d = FleetPlanner.plan(state(c, List.of(), agents, List.of()));
        assertThat(d.retirements()).extracting(FleetDecision.Retirement::agentId).containsExactly("dear-idle", "cheap-idle");
        assertThat(d.retirements().get(0).reason()).contains("idle for 30m").contains("idle_duration of 10m");

        FleetCatalog keepThree = catalog(3, 10, List.of(type("g5.xlarge", 1, 4, "16g", "0.40", null, 10),
                type("g5.12xlarge", 4, 48, "192g", "1.40", null, 10)));
        assertThat(FleetPlanner.plan(state(keepThree, List.of(), agents, List.of())).retirements())
                .extracting(FleetDecision.Retirement::agentId).containsExactly("dear-idle");
    }

    @Test
    void anIdleAgentADemandedSessionFitsIsNotRetired() {
        FleetAgent idle = idleAgent("agent-1", "g5.xlarge", gpus(1), NOW.minus(Duration.ofHours(1)));
        FleetDecision d = FleetPlanner.plan(state(g5(10), List.of(one("a", 1)), List.of(idle), List.of()));
        assertThat(d.retirements()).isEmpty();
        assertThat(d.launches()).isEmpty();
    }

    @Test
    void anAgentPlacedOnInThisPassIsBusyAndNeverRetired() {
        Agent agent = new Agent("agent-1", "g", AgentStatus.ALIVE, true, FleetFixtures.slots("cuda.device", 4, "cpu", 48, "mem", "192g"),
                dev.sluice.core.slots.ResourceSlots.EMPTY, "x86_64", "1", Map.of(), NOW, NOW);
        Session s = session("s1", 1, Map.of());
        SchedulingPlan plan = new SchedulingPlan(List.of(new SchedulingPlan.Placement(s, List.of(new SchedulingPlan.Kernel("agent-1", gpus(1))))),
                List.of(), List.of(), Optional.empty());
        FleetAgent fa = FleetAgent.of(agent, Optional.of("g5.12xlarge"), Optional.of(NOW.minus(Duration.ofHours(2))), plan);
        assertThat(fa.busy()).isTrue();
        assertThat(fa.free().get("cuda.device")).isEqualByComparingTo("3");
        assertThat(FleetPlanner.plan(state(g5(10), List.of(), List.of(fa), List.of())).retirements()).isEmpty();
    }

    @Test
    void onlySessionsHeldBackByCapacityAloneAreDemand() {
        Session capacity = session("cap", 1, Map.of());
        Session quota = session("quota", 1, Map.of());
        Session neverFits = session("big", 2, Map.of());
        Session gang = session("gang", 8, Map.of("cluster_mode", "multi-node", "cluster_size", 2));
        Session priority = session("later", 1, Map.of());
        SchedulingPlan plan = new SchedulingPlan(List.of(), List.of(), List.of(
                deferral(capacity, PendingExplanation.WAITING_FOR_CAPACITY),
                deferral(quota, PendingExplanation.WAITING_FOR_QUOTA),
                deferral(neverFits, PendingExplanation.NEVER_FITS),
                deferral(gang, PendingExplanation.WAITING_FOR_AGENT),
                deferral(priority, PendingExplanation.WAITING_FOR_PRIORITY),
                deferral(session("dep", 1, Map.of()), PendingExplanation.WAITING_FOR_DEPENDENCY)), Optional.empty());
        List<Demand> demand = Demand.from(plan);
        assertThat(demand).extracting(Demand::sessionId).containsExactly("cap", "big", "gang");
        assertThat(demand.get(2).kernels()).isEqualTo(2);
        assertThat(demand.get(2).perKernel().get("cuda.device")).isEqualByComparingTo("8");
    }

    @Test
    void aPlanForAThousandSessionsOverTenTypesIsFast() {
        List<Map<String, Object>> types = new ArrayList<>();
        for (int t = 0; t < 10; t++) {
            int g = 1 << (t % 4);
            types.add(type("g" + t + ".x" + g, g, 8 * g, (32 * g) + "g", String.format(java.util.Locale.ROOT, "%.2f", 0.3 * g + 0.01 * t), null, 200));
        }
        FleetCatalog c = catalog(0, 1000, types);
        List<Demand> demand = new ArrayList<>();
        java.util.Random r = new java.util.Random(17);
        for (int i = 0; i < 1000; i++) {
            demand.add(i % 50 == 0 ? new Demand("s" + i, gpus(8), 2) : one("s" + i, 1 + r.nextInt(4)));
        }
        FleetState s = state(c, demand, List.of(), List.of());
        long best = Long.MAX_VALUE;
        FleetDecision d = null;
        for (int run = 0; run < 5; run++) {
            long t0 = System.nanoTime();
            d = FleetPlanner.plan(s);
            best = Math.min(best, System.nanoTime() - t0);
        }
        System.out.printf("fleet plan, 1000 sessions over 10 types: best of 5 %.1f ms, %d launches%n", best / 1e6, d.launches().size());
        assertThat(d.served()).isEqualTo(1000);
        assertThat(best).isLessThan(Duration.ofMillis(200).toNanos());
    }

    static Session session(String id, int gpus, Map<String, Object> extra) {
        Map<String, Object> body = new java.util.HashMap<>();
        body.put("image", "python:3.12");
        body.put("resource_slots", Map.of("cuda.device", gpus, "cpu", 2, "mem", "8g"));
        body.putAll(extra);
        return Session.enqueue(id, "owner", SessionSpec.parse(RequestFields.of(body), NOW), "g", NOW);
    }

    private static SchedulingPlan.Deferral deferral(Session s, String reason) {
        return new SchedulingPlan.Deferral(s, new PendingExplanation(reason, true, "", List.of(), List.of(), Optional.empty()));
    }
}
