package dev.sluice.core.fleet;

import static dev.sluice.core.fleet.FleetFixtures.catalog;
import static dev.sluice.core.fleet.FleetFixtures.g5;
import static dev.sluice.core.fleet.FleetFixtures.type;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.scheduler.PlacementHold;
import dev.sluice.core.slots.ResourceSlots;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RightSizingTest {
    private static RightSizing.Candidate empty(String id, String type, String... launchedFor) {
        return new RightSizing.Candidate(id, type, false, Set.of(launchedFor));
    }

    private static long[] kernel(int gpus) {
        return FleetFixtures.slots("cuda.device", gpus, "cpu", 4 * gpus, "mem", (16 * gpus) + "g").microUnits();
    }

    @Test
    void anEmptyAgentIsHeldFromTheKernelsACheaperTypeHoldsAndOnlyThose() {
        Map<String, PlacementHold> holds = RightSizing.holds(g5(10), List.of(
                empty("p4d", "p4d.24xlarge"), empty("g12", "g5.12xlarge"), empty("g1", "g5.xlarge"),
                new RightSizing.Candidate("busy", "p4d.24xlarge", true, Set.of())), Map.of(), 4);
        assertThat(holds).containsOnlyKeys("p4d", "g12");
        assertThat(holds.get("p4d").refusesWhileEmpty("s", kernel(1))).isTrue();
        assertThat(holds.get("p4d").refusesWhileEmpty("s", kernel(4))).isTrue();
        assertThat(holds.get("p4d").refusesWhileEmpty("s", kernel(5))).isFalse();
        assertThat(holds.get("p4d").refusesWhileEmpty("s", kernel(8))).isFalse();
        assertThat(holds.get("g12").refusesWhileEmpty("s", kernel(1))).isTrue();
        assertThat(holds.get("g12").refusesWhileEmpty("s", kernel(2))).isFalse();
    }

    @Test
    void theSessionsAnInstanceWasLaunchedForAreNeverRefused() {
        PlacementHold h = RightSizing.holds(g5(10), List.of(empty("g12", "g5.12xlarge", "a", "b")), Map.of(), 1).get("g12");
        assertThat(h.refusesWhileEmpty("a", kernel(1))).isFalse();
        assertThat(h.refusesWhileEmpty("b", kernel(1))).isFalse();
        assertThat(h.refusesWhileEmpty("c", kernel(1))).isTrue();
    }

    @Test
    void aCheaperTypeThatMayNotBeLaunchedHoldsNothingBack() {
        // g5.xlarge at its max (3): the p4d is held only from what a g5.12xlarge holds.
        FleetCatalog c = catalog(0, 10, List.of(type("g5.xlarge", 1, 4, "16g", "0.40", "1.006", 3),
                type("g5.12xlarge", 4, 48, "192g", "1.40", "5.672", 10), type("p4d.24xlarge", 8, 96, "1152g", "12.00", "32.7726", 10)));
        PlacementHold h = RightSizing.holds(c, List.of(empty("p4d", "p4d.24xlarge")), Map.of("g5.xlarge", 3), 4).get("p4d");
        assertThat(h.cheaper()).singleElement().isEqualTo(c.type("g5.12xlarge").orElseThrow().slots());
        // Both cheaper types at their max: no hold at all.
        assertThat(RightSizing.holds(c, List.of(empty("p4d", "p4d.24xlarge")), Map.of("g5.xlarge", 3, "g5.12xlarge", 10), 14))
                .isEmpty();
        // The group at its max_instances: nothing may be launched, every agent takes what fits.
        assertThat(RightSizing.holds(g5(4), List.of(empty("p4d", "p4d.24xlarge")), Map.of("p4d.24xlarge", 4), 4)).isEmpty();
    }

    @Test
    void typesCompareAtTheirPreferredPricesAndNeverWithThemselves() {
        // Only on-demand here: the p4d ($32.77) is held from what a g5.12xlarge on spot ($1.40) holds; the g5.12xlarge
        // (on-demand only, $5.672) from nothing, whatever the others cost; a type is never cheaper than itself.
        FleetCatalog c = catalog(0, 10, List.of(type("g5.12xlarge", 4, 48, "192g", null, "5.672", 10),
                type("g6.12xlarge", 4, 48, "192g", "1.40", "4.60", 10), type("p4d.24xlarge", 8, 96, "1152g", null, "32.7726", 10)));
        Map<String, PlacementHold> holds = RightSizing.holds(c, List.of(empty("p4d", "p4d.24xlarge"), empty("g12", "g5.12xlarge"),
                empty("g6", "g6.12xlarge"), empty("gone", "x1.32xlarge")), Map.of(), 4);
        assertThat(holds).containsOnlyKeys("p4d", "g12");
        assertThat(holds.get("p4d").cheaper()).containsExactlyInAnyOrder(c.type("g5.12xlarge").orElseThrow().slots(),
                c.type("g6.12xlarge").orElseThrow().slots());
        assertThat(holds.get("g12").cheaper()).containsExactly(c.type("g6.12xlarge").orElseThrow().slots());
    }

    @Test
    void rightSizingOffHoldsNothing() {
        assertThat(RightSizing.holds(g5(10).withRightSizing(false), List.of(empty("p4d", "p4d.24xlarge")), Map.of(), 1)).isEmpty();
    }

    @Test
    void theFleetPlannerLaunchesForASessionAHoldRefusedAndRetiresTheHeldAgentOnceIdleLongEnough() {
        FleetAgent p4d = FleetFixtures.idleAgent("p4d", "p4d.24xlarge", FleetFixtures.slots("cuda.device", 8, "cpu", 96, "mem", "1152g"),
                FleetFixtures.NOW.minusSeconds(11 * 60));
        List<Demand> demand = List.of(new Demand("small", FleetFixtures.gpus(1), 1));
        Map<String, PlacementHold> holds = RightSizing.holds(g5(10), List.of(empty("p4d", "p4d.24xlarge")), Map.of("p4d.24xlarge", 1), 1);

        FleetDecision held = FleetPlanner.plan(new FleetState(g5(10), demand, List.of(p4d), List.of(), FleetFixtures.NOW, holds));
        assertThat(held.launches()).singleElement().satisfies(l -> {
            assertThat(l.instanceType()).isEqualTo("g5.xlarge");
            assertThat(l.sessionIds()).containsExactly("small");
        });
        assertThat(held.retirements()).extracting(FleetDecision.Retirement::agentId).containsExactly("p4d");

        // Without the hold the idle p4d's room is given to the session: nothing launched, the p4d kept.
        FleetDecision unheld = FleetPlanner.plan(new FleetState(g5(10), demand, List.of(p4d), List.of(), FleetFixtures.NOW));
        assertThat(unheld.launches()).isEmpty();
        assertThat(unheld.retirements()).isEmpty();
    }

    @Test
    void aLargeDemandIsGivenAHeldAgentsRoomAndSmallOnesThenFillIt() {
        FleetAgent p4d = FleetFixtures.idleAgent("p4d", "p4d.24xlarge", FleetFixtures.slots("cuda.device", 8, "cpu", 96, "mem", "1152g"),
                FleetFixtures.NOW.minusSeconds(60));
        List<Demand> demand = List.of(new Demand("large", FleetFixtures.gpus(6), 1), new Demand("small", FleetFixtures.gpus(1), 1));
        Map<String, PlacementHold> holds = RightSizing.holds(g5(10), List.of(empty("p4d", "p4d.24xlarge")), Map.of("p4d.24xlarge", 1), 1);
        FleetDecision d = FleetPlanner.plan(new FleetState(g5(10), demand, List.of(p4d), List.of(), FleetFixtures.NOW, holds));
        assertThat(d.launches()).isEmpty();
        assertThat(d.covered()).extracting(FleetDecision.Covered::hosts).containsOnly(List.of("p4d"));
    }

    @Test
    void aSpotAgentRefusesOnDemandOnlySessionsBusyOrNotAndWhateverRightSizingSays() {
        Map<String, PlacementHold> holds = RightSizing.holds(g5(10).withRightSizing(false), List.of(
                new RightSizing.Candidate("spot-busy", "g5.xlarge", true, Set.of(), true),
                new RightSizing.Candidate("spot-idle", "p4d.24xlarge", false, Set.of(), true),
                new RightSizing.Candidate("od", "g5.xlarge", false, Set.of(), false)), Map.of(), 3);
        assertThat(holds).containsOnlyKeys("spot-busy", "spot-idle");
        assertThat(holds.values()).allSatisfy(h -> {
            assertThat(h.refusesOnDemandOnly()).isTrue();
            assertThat(h.cheaper()).as("right_sizing off").isEmpty();
        });
    }

    @Test
    void anOnDemandOnlyDemandIsGivenNoSpotRoomAndLaunchesOnDemand() {
        FleetAgent spot = FleetFixtures.busyAgent("spot", "g5.12xlarge", FleetFixtures.slots("cuda.device", 3, "cpu", 40, "mem", "150g"));
        Launching coming = new Launching("i-0spot", "g5.xlarge", PurchaseOption.SPOT, "us-east-1a",
                FleetFixtures.slots("cuda.device", 1, "cpu", 4, "mem", "16g"), FleetFixtures.NOW.minusSeconds(30));
        Map<String, PlacementHold> holds = RightSizing.holds(g5(10), List.of(
                new RightSizing.Candidate("spot", "g5.12xlarge", true, Set.of(), true)), Map.of("g5.12xlarge", 1, "g5.xlarge", 1), 2);
        List<Demand> demand = List.of(new Demand("od", FleetFixtures.gpus(1), 1, true), new Demand("any", FleetFixtures.gpus(1), 1));
        FleetDecision d = FleetPlanner.plan(new FleetState(g5(10), demand, List.of(spot), List.of(coming), FleetFixtures.NOW, holds));
        assertThat(d.launches()).singleElement().satisfies(l -> {
            assertThat(l.sessionIds()).containsExactly("od");
            assertThat(l.instanceType()).isEqualTo("g5.xlarge");
            assertThat(l.option()).isEqualTo(PurchaseOption.ON_DEMAND);
            assertThat(l.hourlyMicroUsd()).isEqualTo(1_006_000L);
        });
        assertThat(d.covered()).filteredOn(c -> c.sessionId().equals("any")).singleElement()
                .satisfies(c -> assertThat(c.hosts()).containsExactly("spot"));
    }
}
