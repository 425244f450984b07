package dev.sluice.core.fleet;

import static dev.sluice.core.fleet.FleetFixtures.catalog;
import static dev.sluice.core.fleet.FleetFixtures.g5;
import static dev.sluice.core.fleet.FleetFixtures.type;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.scheduler.PlacementHold;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RightSizingTest {
    /** Launched for a session long gone (the usual emptied instance). */
    private static RightSizing.Candidate empty(String id, String type, String... launchedFor) {
        return new RightSizing.Candidate(id, type, false, launchedFor.length == 0 ? Set.of("gone") : Set.of(launchedFor), false);
    }

    private static long[] kernel(int gpus) {
        return FleetFixtures.gpus(gpus).microUnits();
    }

    private static List<Demand> ones(int n) {
        List<Demand> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new Demand("p" + i, FleetFixtures.gpus(1), 1));
        }
        return out;
    }

    private static Map<String, PlacementHold> holds(FleetCatalog c, List<RightSizing.Candidate> agents, Map<String, Integer> running,
                                                    int total, List<Demand> pending) {
        return RightSizing.holds(c, agents, running, total, pending);
    }

    @Test
    void anEmptyAgentIsHeldFromTheKernelsACheaperTypeHoldsAndOnlyThose() {
        Map<String, PlacementHold> h = holds(g5(10), List.of(empty("p4d", "p4d.24xlarge"), empty("g12", "g5.12xlarge"),
                empty("g1", "g5.xlarge"), new RightSizing.Candidate("busy", "p4d.24xlarge", true, Set.of("x"), false)), Map.of(), 4, ones(1));
        assertThat(h).containsOnlyKeys("p4d", "g12");
        assertThat(h.get("p4d").refusesWhileEmpty("s", kernel(1))).isTrue();
        assertThat(h.get("p4d").refusesWhileEmpty("s", kernel(4))).isTrue();
        assertThat(h.get("p4d").refusesWhileEmpty("s", kernel(5))).isFalse();
        assertThat(h.get("p4d").refusesWhileEmpty("s", kernel(8))).isFalse();
        assertThat(h.get("g12").refusesWhileEmpty("s", kernel(1))).isTrue();
        assertThat(h.get("g12").refusesWhileEmpty("s", kernel(2))).isFalse();
        assertThat(h.get("p4d").spot()).isFalse();
    }

    @Test
    void anEmptyAgentIsOpenedWhenThePendingSessionsItWouldTakeAreWorthItsPrice() {
        // Four one-GPU sessions would cost 4 x $0.40 = $1.60 on their own; a g5.12xlarge costs $1.40: opened for them.
        assertThat(holds(g5(10), List.of(empty("g12", "g5.12xlarge")), Map.of(), 1, ones(4))).isEmpty();
        // Three cost $1.20: cheaper apart; held.
        assertThat(holds(g5(10), List.of(empty("g12", "g5.12xlarge")), Map.of(), 1, ones(3))).containsKey("g12");
        // A p4d ($12.00) is never worth opening for one-GPU sessions (eight fill it for $3.20) ...
        assertThat(holds(g5(10), List.of(empty("p4d", "p4d.24xlarge")), Map.of(), 1, ones(48))).containsKey("p4d");
        // ... but is for a pending 8-GPU session, which only it holds (the small ones then fill the rest).
        List<Demand> withLarge = new ArrayList<>(ones(2));
        withLarge.add(new Demand("large", FleetFixtures.gpus(8), 1));
        assertThat(holds(g5(10), List.of(empty("p4d", "p4d.24xlarge")), Map.of(), 1, withLarge)).isEmpty();
    }

    @Test
    void theSessionsAnInstanceWasLaunchedForAreNeverRefusedNorIsWarmCapacityHeld() {
        PlacementHold h = holds(g5(10), List.of(empty("g12", "g5.12xlarge", "a", "b")), Map.of(), 1, ones(1)).get("g12");
        assertThat(h.refusesWhileEmpty("a", kernel(1))).isFalse();
        assertThat(h.refusesWhileEmpty("b", kernel(1))).isFalse();
        assertThat(h.refusesWhileEmpty("c", kernel(1))).isTrue();
        // Launched for min_instances (for no session): it takes what comes.
        assertThat(holds(g5(10), List.of(new RightSizing.Candidate("warm", "p4d.24xlarge", false, Set.of(), false)), Map.of(), 1, ones(1)))
                .isEmpty();
    }

    @Test
    void aCheaperTypeThatMayNotBeLaunchedHoldsNothingBack() {
        // g5.xlarge at its max (3): the p4d is held only from what a g5.12xlarge holds.
        FleetCatalog c = catalog(0, 10, List.of(type("g5.xlarge", 1, 4, "16g", "0.40", "1.006", 3),
                type("g5.12xlarge", 4, 48, "192g", "1.40", "5.672", 10), type("p4d.24xlarge", 8, 96, "1152g", "12.00", "32.7726", 10)));
        PlacementHold h = holds(c, List.of(empty("p4d", "p4d.24xlarge")), Map.of("g5.xlarge", 3), 4, ones(1)).get("p4d");
        assertThat(h.cheaper()).singleElement().isEqualTo(c.type("g5.12xlarge").orElseThrow().slots());
        // Both cheaper types at their max: no hold at all.
        assertThat(holds(c, List.of(empty("p4d", "p4d.24xlarge")), Map.of("g5.xlarge", 3, "g5.12xlarge", 10), 14, ones(1))).isEmpty();
        // The group at its max_instances: nothing may be launched, every agent takes what fits.
        assertThat(holds(g5(4), List.of(empty("p4d", "p4d.24xlarge")), Map.of("p4d.24xlarge", 4), 4, ones(1))).isEmpty();
    }

    @Test
    void typesCompareAtTheirPreferredPricesAndNeverWithThemselves() {
        // The p4d ($32.77 on-demand only) is held from what a g5.12xlarge or g6.12xlarge holds; the g5.12xlarge
        // (on-demand only, $5.672) from what the g6.12xlarge ($1.40 on spot) holds; a type is never cheaper than itself.
        FleetCatalog c = catalog(0, 10, List.of(type("g5.12xlarge", 4, 48, "192g", null, "5.672", 10),
                type("g6.12xlarge", 4, 48, "192g", "1.40", "4.60", 10), type("p4d.24xlarge", 8, 96, "1152g", null, "32.7726", 10)));
        Map<String, PlacementHold> h = holds(c, List.of(empty("p4d", "p4d.24xlarge"), empty("g12", "g5.12xlarge"),
                empty("g6", "g6.12xlarge"), empty("gone", "x1.32xlarge")), Map.of(), 4, ones(1));
        assertThat(h).containsOnlyKeys("p4d", "g12");
        assertThat(h.get("p4d").cheaper()).containsExactlyInAnyOrder(c.type("g5.12xlarge").orElseThrow().slots(),
                c.type("g6.12xlarge").orElseThrow().slots());
        assertThat(h.get("g12").cheaper()).containsExactly(c.type("g6.12xlarge").orElseThrow().slots());
    }

    @Test
    void rightSizingOffHoldsNothing() {
        assertThat(holds(g5(10).withRightSizing(false), List.of(empty("p4d", "p4d.24xlarge")), Map.of(), 1, ones(1))).isEmpty();
    }

    @Test
    void aSpotAgentRefusesOnDemandOnlySessionsThatAnOnDemandTypeHoldsBusyOrNot() {
        Map<String, PlacementHold> h = holds(g5(10).withRightSizing(false), List.of(
                new RightSizing.Candidate("spot-busy", "g5.xlarge", true, Set.of("x"), true),
                new RightSizing.Candidate("spot-idle", "p4d.24xlarge", false, Set.of("y"), true),
                new RightSizing.Candidate("od", "g5.xlarge", false, Set.of("z"), false)), Map.of(), 3, ones(1));
        assertThat(h).containsOnlyKeys("spot-busy", "spot-idle");
        assertThat(h.values()).allSatisfy(x -> {
            assertThat(x.refusesOnDemandOnly("s", kernel(1))).isTrue();
            assertThat(x.cheaper()).as("right_sizing off").isEmpty();
        });
        assertThat(h.get("spot-idle").refusesOnDemandOnly("y", kernel(1))).as("launched for it").isFalse();

        // A catalog that buys nothing on-demand cannot honour on_demand_after: no spot agent refuses anything.
        FleetCatalog spotOnly = catalog(0, 10, List.of(type("g5.xlarge", 1, 4, "16g", "0.40", null, 10)));
        assertThat(holds(spotOnly, List.of(new RightSizing.Candidate("s", "g5.xlarge", true, Set.of(), true)), Map.of(), 1, ones(1)))
                .isEmpty();
        // One that buys only a small type on-demand: a spot agent refuses on-demand-only sessions that type holds, not larger.
        FleetCatalog smallOnDemand = catalog(0, 10, List.of(type("g5.xlarge", 1, 4, "16g", "0.40", "1.006", 10),
                type("p4d.24xlarge", 8, 96, "1152g", "12.00", null, 10)));
        PlacementHold p = holds(smallOnDemand, List.of(new RightSizing.Candidate("s", "p4d.24xlarge", true, Set.of(), true)), Map.of(), 1,
                ones(1)).get("s");
        assertThat(p.refusesOnDemandOnly("x", kernel(1))).isTrue();
        assertThat(p.refusesOnDemandOnly("x", kernel(8))).isFalse();
    }

    @Test
    void theFleetPlannerLaunchesForASessionAHoldRefusedAndRetiresTheHeldAgentOnceIdleLongEnough() {
        FleetAgent p4d = FleetFixtures.idleAgent("p4d", "p4d.24xlarge", FleetFixtures.slots("cuda.device", 8, "cpu", 96, "mem", "1152g"),
                FleetFixtures.NOW.minusSeconds(11 * 60));
        List<Demand> demand = List.of(new Demand("small", FleetFixtures.gpus(1), 1));
        Map<String, PlacementHold> h = holds(g5(10), List.of(empty("p4d", "p4d.24xlarge")), Map.of("p4d.24xlarge", 1), 1, demand);

        FleetDecision held = FleetPlanner.plan(new FleetState(g5(10), demand, List.of(p4d), List.of(), FleetFixtures.NOW, h));
        assertThat(held.launches()).singleElement().satisfies(l -> {
            assertThat(l.instanceType()).isEqualTo("g5.xlarge");
            assertThat(l.sessionIds()).containsExactly("small");
            assertThat(l.maxTypeMicroUsd()).as("its fallbacks cheaper than the held p4d").isEqualTo(12_000_000L);
        });
        assertThat(held.retirements()).extracting(FleetDecision.Retirement::agentId).containsExactly("p4d");

        // Without the hold the idle p4d's room is given to the session: nothing launched, the p4d kept.
        FleetDecision unheld = FleetPlanner.plan(new FleetState(g5(10), demand, List.of(p4d), List.of(), FleetFixtures.NOW));
        assertThat(unheld.launches()).isEmpty();
        assertThat(unheld.retirements()).isEmpty();
    }

    @Test
    void aHeldDemandIsNeverGivenATypeAsDearAsTheHoldingAgentsAndTakesItWhenNothingCheaperMayBeLaunched() {
        FleetAgent g12 = FleetFixtures.idleAgent("g12", "g5.12xlarge", FleetFixtures.slots("cuda.device", 4, "cpu", 48, "mem", "192g"),
                FleetFixtures.NOW.minusSeconds(60));
        Map<String, PlacementHold> hold = Map.of("g12", new PlacementHold(List.of(FleetFixtures.slots("cuda.device", 1, "cpu", 4, "mem", "16g")),
                Set.of()));
        // Four one-GPU sessions the hold refused: the look ahead would put them on one new g5.12xlarge ($1.40 < 4 x $0.40),
        // but that is no cheaper than the held one; four g5.xlarge are launched.
        List<Demand> four = ones(4);
        FleetDecision d = FleetPlanner.plan(new FleetState(g5(10), four, List.of(g12), List.of(), FleetFixtures.NOW, hold));
        assertThat(d.launches()).hasSize(4).allSatisfy(l -> {
            assertThat(l.instanceType()).isEqualTo("g5.xlarge");
            assertThat(l.maxTypeMicroUsd()).isEqualTo(1_400_000L);
        });

        // g5.xlarge may launch only two more: two sessions get them, the other two the held agent after all.
        FleetCatalog c = catalog(0, 10, List.of(type("g5.xlarge", 1, 4, "16g", "0.40", "1.006", 2),
                type("g5.12xlarge", 4, 48, "192g", "1.40", "5.672", 10)));
        FleetDecision capped = FleetPlanner.plan(new FleetState(c, four, List.of(g12), List.of(), FleetFixtures.NOW, hold));
        assertThat(capped.launches()).hasSize(2).allSatisfy(l -> assertThat(l.instanceType()).isEqualTo("g5.xlarge"));
        assertThat(capped.covered()).filteredOn(x -> x.hosts().equals(List.of("g12"))).hasSize(2);
        assertThat(capped.unserved()).isEmpty();
    }

    @Test
    void aLargeDemandIsGivenAHeldAgentsRoomAndSmallOnesThenFillIt() {
        FleetAgent p4d = FleetFixtures.idleAgent("p4d", "p4d.24xlarge", FleetFixtures.slots("cuda.device", 8, "cpu", 96, "mem", "1152g"),
                FleetFixtures.NOW.minusSeconds(60));
        List<Demand> demand = List.of(new Demand("large", FleetFixtures.gpus(6), 1), new Demand("small", FleetFixtures.gpus(1), 1));
        Map<String, PlacementHold> hold = Map.of("p4d", new PlacementHold(List.of(FleetFixtures.slots("cuda.device", 4, "cpu", 48, "mem", "192g")),
                Set.of()));
        FleetDecision d = FleetPlanner.plan(new FleetState(g5(10), demand, List.of(p4d), List.of(), FleetFixtures.NOW, hold));
        assertThat(d.launches()).isEmpty();
        assertThat(d.covered()).extracting(FleetDecision.Covered::hosts).containsOnly(List.of("p4d"));
    }

    @Test
    void anOnDemandOnlyDemandIsGivenNoSpotRoomAndLaunchesOnDemand() {
        FleetAgent spot = FleetFixtures.busyAgent("spot", "g5.12xlarge", FleetFixtures.slots("cuda.device", 3, "cpu", 40, "mem", "150g"));
        Launching coming = new Launching("i-0spot", "g5.xlarge", PurchaseOption.SPOT, "us-east-1a",
                FleetFixtures.slots("cuda.device", 1, "cpu", 4, "mem", "16g"), FleetFixtures.NOW.minusSeconds(30));
        Map<String, PlacementHold> h = holds(g5(10), List.of(new RightSizing.Candidate("spot", "g5.12xlarge", true, Set.of("x"), true)),
                Map.of("g5.12xlarge", 1, "g5.xlarge", 1), 2, List.of());
        List<Demand> demand = List.of(new Demand("od", FleetFixtures.gpus(1), 1, true), new Demand("any", FleetFixtures.gpus(1), 1));
        FleetDecision d = FleetPlanner.plan(new FleetState(g5(10), demand, List.of(spot), List.of(coming), FleetFixtures.NOW, h));
        assertThat(d.launches()).singleElement().satisfies(l -> {
            assertThat(l.sessionIds()).containsExactly("od");
            assertThat(l.instanceType()).isEqualTo("g5.xlarge");
            assertThat(l.option()).isEqualTo(PurchaseOption.ON_DEMAND);
            assertThat(l.hourlyMicroUsd()).isEqualTo(1_006_000L);
        });
        assertThat(d.covered()).filteredOn(c -> c.sessionId().equals("any")).singleElement()
                .satisfies(c -> assertThat(c.hosts()).containsExactly("spot"));

        // In a catalog that buys nothing on-demand, the same demand is served as any other (spot room, spot launch).
        FleetCatalog spotOnly = catalog(0, 10, List.of(type("g5.xlarge", 1, 4, "16g", "0.40", null, 10)));
        FleetDecision s = FleetPlanner.plan(new FleetState(spotOnly, List.of(new Demand("od", FleetFixtures.gpus(1), 1, true)), List.of(),
                List.of(), FleetFixtures.NOW, Map.of()));
        assertThat(s.launches()).singleElement().satisfies(l -> assertThat(l.option()).isEqualTo(PurchaseOption.SPOT));
    }
}
