package dev.sluice.core.fleet;

import static dev.sluice.core.fleet.FleetFixtures.catalog;
import static dev.sluice.core.fleet.FleetFixtures.gpus;
import static dev.sluice.core.fleet.FleetFixtures.type;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.port.FleetDriver.Candidate;
import dev.sluice.core.slots.ResourceSlots;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FleetFallbackTest {
    static final String A = "subnet-0123456789abcdef0";
    static final String B = "subnet-0fedcba9876543210";

    /** g5.xlarge (1 GPU), g5.2xlarge (1 GPU, dearer), g5.12xlarge (4 GPUs), p4d (8 GPUs, on-demand only); two zones. */
    static FleetCatalog fourTypes(int max) {
        return catalog(0, 10, List.of(
                type("g5.xlarge", 1, 4, "16g", "0.40", "1.006", max),
                type("g5.12xlarge", 4, 48, "192g", "1.40", "5.672", max),
                type("g5.2xlarge", 1, 8, "32g", "0.50", "1.212", max),
                type("p4d.24xlarge", 8, 96, "1152g", null, "32.7726", max)));
    }

    static FleetDecision.Launch planned(String type, PurchaseOption o, String zone, String subnet) {
        return new FleetDecision.Launch("launch-1", type, o, zone, subnet, 0, List.of("s1"));
    }

    @Test
    void thePlannedCandidateThenItsOtherZonesThenItsOtherOptionThenOtherTypesThatFitCheapestFirst() {
        List<Candidate> c = FleetFallback.candidates(fourTypes(5), planned("g5.xlarge", PurchaseOption.SPOT, "us-east-1b", B), gpus(1), Map.of());
        assertThat(c).startsWith(
                new Candidate("g5.xlarge", PurchaseOption.SPOT, "us-east-1b", B, 400_000),
                new Candidate("g5.xlarge", PurchaseOption.SPOT, "us-east-1a", A, 400_000),
                new Candidate("g5.xlarge", PurchaseOption.ON_DEMAND, "us-east-1b", B, 1_006_000),
                new Candidate("g5.xlarge", PurchaseOption.ON_DEMAND, "us-east-1a", A, 1_006_000),
                // g5.2xlarge ($0.50 spot) before g5.12xlarge ($1.40 spot): cheapest first, whatever the catalog order
                new Candidate("g5.2xlarge", PurchaseOption.SPOT, "us-east-1b", B, 500_000),
                new Candidate("g5.2xlarge", PurchaseOption.SPOT, "us-east-1a", A, 500_000),
                new Candidate("g5.2xlarge", PurchaseOption.ON_DEMAND, "us-east-1b", B, 1_212_000));
        assertThat(c.subList(8, 12)).extracting(Candidate::instanceType).containsOnly("g5.12xlarge");
        assertThat(c.subList(12, c.size())).extracting(Candidate::instanceType, Candidate::option)
                .containsOnly(org.assertj.core.groups.Tuple.tuple("p4d.24xlarge", PurchaseOption.ON_DEMAND));
        assertThat(c).doesNotHaveDuplicates().hasSize(14);
    }

    @Test
    void anotherTypeMustHoldAllTheLaunchsSessionsTogetherAndBeBelowItsMax() {
        // two 1-GPU sessions share one 4-GPU instance: only types with 2 GPUs or more are alternatives
        List<Candidate> c = FleetFallback.candidates(fourTypes(5), planned("g5.12xlarge", PurchaseOption.SPOT, "us-east-1a", A),
                gpus(1).add(gpus(1)), Map.of());
        assertThat(c).extracting(Candidate::instanceType).containsOnly("g5.12xlarge", "p4d.24xlarge");
        List<Candidate> atMax = FleetFallback.candidates(fourTypes(5), planned("g5.12xlarge", PurchaseOption.SPOT, "us-east-1a", A),
                gpus(1).add(gpus(1)), Map.of("p4d.24xlarge", 5));
        assertThat(atMax).extracting(Candidate::instanceType).containsOnly("g5.12xlarge");
    }

    @Test
    void aTypeLimitedToSomeZonesIsTriedOnlyThereAndAnOnDemandOnlyTypeHasNoSpotCandidate() {
        FleetCatalog c = catalog(0, 10, List.of(type("g5.xlarge", 1, 4, "16g", "0.40", "1.006", 5),
                withZones(type("g6.xlarge", 1, 4, "16g", null, "0.90", 5), List.of("us-east-1b"))));
        List<Candidate> out = FleetFallback.candidates(c, planned("g5.xlarge", PurchaseOption.ON_DEMAND, "us-east-1a", A), gpus(1), Map.of());
        assertThat(out).containsExactly(
                new Candidate("g5.xlarge", PurchaseOption.ON_DEMAND, "us-east-1a", A, 1_006_000),
                new Candidate("g5.xlarge", PurchaseOption.ON_DEMAND, "us-east-1b", B, 1_006_000),
                new Candidate("g5.xlarge", PurchaseOption.SPOT, "us-east-1a", A, 400_000),
                new Candidate("g5.xlarge", PurchaseOption.SPOT, "us-east-1b", B, 400_000),
                new Candidate("g6.xlarge", PurchaseOption.ON_DEMAND, "us-east-1b", B, 900_000));
        assertThat(FleetFallback.candidates(c, planned("g5.xlarge", PurchaseOption.ON_DEMAND, "us-east-1a", A), ResourceSlots.EMPTY, Map.of()))
                .hasSize(5);
    }

    private static Map<String, Object> withZones(Map<String, Object> t, List<String> zones) {
        t.put("zones", zones);
        return t;
    }
}
