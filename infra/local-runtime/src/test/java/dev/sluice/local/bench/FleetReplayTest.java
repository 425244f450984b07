package dev.sluice.local.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.sluice.core.fleet.FleetCatalog;
import dev.sluice.core.fleet.PurchaseOption;
import dev.sluice.core.request.RequestFields;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The fleet benchmark's arithmetic on traces small enough to replay by hand, and its committed trace. */
class FleetReplayTest {
    private static final Path ROOT = Path.of("../..").toAbsolutePath().normalize();
    private static final Duration HOUR = Duration.ofHours(1);
    private static final Map<String, Duration> BOOT = Map.of("g5.xlarge", Duration.ofSeconds(100));

    /** One type, one GPU, on-demand only at $1.00 an hour, idle_duration 10m. */
    private static FleetCatalog oneType() {
        Map<String, Object> type = new LinkedHashMap<>();
        type.put("name", "g5.xlarge");
        type.put("slots", Map.of("cuda.device", 1, "cpu", 4, "mem", "16g"));
        type.put("purchase_options", List.of("on-demand"));
        type.put("on_demand_price", "1.00");
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("subnets", List.of(Map.of("zone", "us-east-1a", "subnet_id", "subnet-0123456789abcdef0")));
        d.put("max_instances", 10);
        d.put("idle_duration", "10m");
        d.put("instance_types", List.of(type));
        return FleetCatalog.parse(RequestFields.of(d));
    }

    private static FleetDayTrace.Entry entry(String id, int at, int gpus, int kernels, int seconds) {
        return new FleetDayTrace.Entry(id, at, "batch", gpus, kernels, seconds);
    }

    /** A at 0 for 30 min, B at 10 min for 20 min, each one GPU. */
    private static final List<FleetDayTrace.Entry> TWO = List.of(entry("a", 0, 1, 1, 1800), entry("b", 600, 1, 1, 1200));

    @Test
    void anElasticFleetLaunchesForEachSessionThatDoesNotFitAndRetiresAfterIdleDurationOnTheNextTick() {
        FleetReplay.Result r = FleetReplay.run(TWO, FleetReplay.Config.elastic("e", FleetBenchmark.group(), oneType(), BOOT, HOUR));

        // a arrives to an empty group: an instance is launched at 0, joins at 100, a runs 100-1900. At 600 b finds the
        // only agent full: a second instance, joining at 700, b runs 700-1900. Both idle from 1900; 1900 + 10 min =
        // 2500 is not a minute tick, so the pass of 2520 retires both.
        assertThat(r.sessions()).extracting(FleetReplay.Outcome::placedAt).containsExactly(100L, 700L);
        assertThat(r.instances()).extracting(FleetReplay.Instance::requestedAt, FleetReplay.Instance::joinedAt, FleetReplay.Instance::terminatedAt)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(0L, 100L, 2520L), org.assertj.core.groups.Tuple.tuple(600L, 700L, 2520L));
        assertThat(r.sessions().get(0).agents()).isNotEqualTo(r.sessions().get(1).agents());
        assertThat(r.instances()).allSatisfy(i -> assertThat(i.option()).isEqualTo(PurchaseOption.ON_DEMAND));
        // paid: 2520 + 1920 instance-seconds of one GPU; used: 1800 + 1200 GPU-seconds
        assertThat(r.gpuHoursPaid()).isCloseTo(4440 / 3600.0, within(1e-9));
        assertThat(r.gpuHoursUsed()).isCloseTo(3000 / 3600.0, within(1e-9));
        assertThat(r.paidOverUsed()).isCloseTo(1.48, within(1e-9));
        assertThat(r.dollars()).isCloseTo(4440 / 3600.0, within(1e-9));
        assertThat(r.waits(Optional.empty())).containsExactly(100L, 100L);
        assertThat(r.waitPercentile(0.95, Optional.empty())).isEqualTo(100);
        assertThat(r.launches()).isEqualTo(2);
        assertThat(r.retirements()).isEqualTo(2);
        assertThat(r.peakInstances()).isEqualTo(2);
        assertThat(r.lost()).isZero();
    }

    @Test
    void aStaticFleetIsPaidForTheWholeDayAndASessionWaitsForTheBusyAgent() {
        FleetReplay.Result r = FleetReplay.run(TWO, FleetReplay.Config.fixed("s", FleetBenchmark.group(), oneType(), Map.of("g5.xlarge", 1),
                PurchaseOption.ON_DEMAND, HOUR));

        // One agent from 0: a runs 0-1800, b waits from 600 to 1800 and runs to 3000; the fleet is paid the hour "day".
        assertThat(r.sessions()).extracting(FleetReplay.Outcome::placedAt).containsExactly(0L, 1800L);
        assertThat(r.waits(Optional.empty())).containsExactly(0L, 1200L);
        assertThat(r.waitPercentile(0.5, Optional.empty())).isZero();
        assertThat(r.waitPercentile(0.95, Optional.empty())).isEqualTo(1200);
        assertThat(r.gpuHoursPaid()).isCloseTo(1.0, within(1e-9));
        assertThat(r.dollars()).isCloseTo(1.0, within(1e-9));
        assertThat(r.paidOverUsed()).isCloseTo(3600 / 3000.0, within(1e-9));
        assertThat(r.launches()).isZero();
        assertThat(r.retirements()).isZero();
    }

    @Test
    void aStaticFleetWhoseLastSessionEndsAfterTheDayIsPaidUntilThen() {
        FleetReplay.Result r = FleetReplay.run(List.of(entry("late", 3000, 1, 1, 1800)), FleetReplay.Config.fixed("s", FleetBenchmark.group(),
                oneType(), Map.of("g5.xlarge", 1), PurchaseOption.ON_DEMAND, HOUR));
        assertThat(r.endSeconds()).isEqualTo(4800);
        assertThat(r.gpuHoursPaid()).isCloseTo(4800 / 3600.0, within(1e-9));
    }

    @Test
    void aGangIsLaunchedWholeAndPlacedOnDistinctAgents() {
        FleetReplay.Result r = FleetReplay.run(List.of(entry("gang", 0, 1, 2, 600)),
                FleetReplay.Config.elastic("e", FleetBenchmark.group(), oneType(), BOOT, HOUR));

        // Both instances at 0, joined at 100, the gang runs 100-700 on both; idle 10 min from 700: retired at 1320.
        assertThat(r.launches()).isEqualTo(2);
        assertThat(r.sessions().get(0).placedAt()).isEqualTo(100);
        assertThat(r.sessions().get(0).agents()).hasSize(2).doesNotHaveDuplicates();
        assertThat(r.instances()).extracting(FleetReplay.Instance::terminatedAt).containsExactly(1320L, 1320L);
        assertThat(r.gpuHoursPaid()).isCloseTo(2 * 1320 / 3600.0, within(1e-9));
        assertThat(r.gpuHoursUsed()).isCloseTo(2 * 600 / 3600.0, within(1e-9));
    }

    @Test
    void aSessionNoTypeFitsLaunchesNothingAndIsLost() {
        FleetReplay.Result r = FleetReplay.run(List.of(entry("huge", 0, 8, 1, 600), entry("small", 0, 1, 1, 60)),
                FleetReplay.Config.elastic("e", FleetBenchmark.group(), oneType(), BOOT, HOUR));
        assertThat(r.lost()).isEqualTo(1);
        assertThat(r.sessions()).filteredOn(FleetReplay.Outcome::lost).extracting(o -> o.entry().id()).containsExactly("huge");
        assertThat(r.launches()).isEqualTo(1);
        // small runs 100-160 on the one instance launched; idle from 160, it is retired on the tick of 780 (160 + 600 = 760)
        assertThat(r.instances()).singleElement().satisfies(i -> assertThat(i.terminatedAt()).isEqualTo(780));
    }

    @Test
    void theStaticFleetForThePeakCountsEachSizeAtItsOwnPeakAndAnEndBeforeAnArrivalAtTheSameSecond() {
        List<FleetDayTrace.Entry> trace = List.of(entry("a", 0, 1, 1, 100), entry("b", 50, 1, 1, 100), entry("c", 100, 1, 1, 100),
                entry("d", 1000, 8, 1, 100), entry("e", 1000, 4, 3, 100), entry("f", 1100, 4, 1, 10));
        // 1 GPU: a and b overlap, c starts as a ends -> 2; 8 GPUs: 1; 4 GPUs: the gang's 3 kernels, then f alone -> 3.
        assertThat(FleetBenchmark.staticFleetForPeak(trace)).containsExactly(Map.entry("g5.xlarge", 2), Map.entry("g5.12xlarge", 3),
                Map.entry("p4d.24xlarge", 1));
    }

    @Test
    void theCommittedTraceIsWhatTheGeneratorMakesOfItsSeed() throws Exception {
        String committed = Files.readString(ROOT.resolve(FleetDayTrace.COMMITTED));
        List<FleetDayTrace.Entry> generated = FleetDayTrace.generate(FleetDayTrace.SEED);
        assertThat(committed).isEqualTo(FleetDayTrace.csv(generated, FleetDayTrace.SEED));
        assertThat(FleetDayTrace.parse(committed)).isEqualTo(generated);
    }

    @Test
    void theTraceHasADayNightCycleBothKindsMixedSizesAndTwoGangs() {
        List<FleetDayTrace.Entry> t = FleetDayTrace.generate(FleetDayTrace.SEED);
        assertThat(t).allSatisfy(e -> assertThat(e.arrivalSeconds()).isBetween(0, 86_399));
        long night = t.stream().filter(e -> e.arrivalSeconds() >= 2 * 3600 && e.arrivalSeconds() < 8 * 3600).count();
        long day = t.stream().filter(e -> e.arrivalSeconds() >= 11 * 3600 && e.arrivalSeconds() < 17 * 3600).count();
        assertThat(day).isGreaterThan(4 * night);
        assertThat(t).extracting(FleetDayTrace.Entry::kind).contains("interactive", "batch");
        assertThat(t).extracting(FleetDayTrace.Entry::gpus).contains(1, 4, 8);
        assertThat(t).filteredOn(e -> e.kernels() > 1).hasSize(2);
        // another seed, another day
        assertThat(FleetDayTrace.generate(FleetDayTrace.SEED + 1)).isNotEqualTo(t);
    }
}
