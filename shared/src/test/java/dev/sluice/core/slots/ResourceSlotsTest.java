package dev.sluice.core.slots;

import dev.sluice.core.request.RequestFields;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.error.DomainException;
import dev.sluice.core.error.ErrorCode;
import java.math.BigDecimal;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class ResourceSlotsTest {
    private static ResourceSlots slots(Map<String, ?> raw) {
        return ResourceSlots.parse(RequestFields.of(new java.util.LinkedHashMap<>(raw)).at("resource_slots"));
    }

    @Test
    void messagesShowSlotsAsAPersonWritesThem() {
        assertThat(slots(Map.of("cpu", 2, "mem", "1g", "cuda.device", 1)).describe().split(" "))
                .containsExactlyInAnyOrder("cpu=2", "mem=1g", "cuda.device=1");
        assertThat(slots(Map.of("mem", "1.5g")).describe()).isEqualTo("mem=1536m");
        assertThat(slots(Map.of("mem", 1000, "cuda.shares", "0.50")).describe().split(" "))
                .containsExactlyInAnyOrder("mem=1000", "cuda.shares=0.5");
        assertThat(ResourceSlots.EMPTY.describe()).isEqualTo("nothing");
    }

    @Test
    void aMissingSlotCountsAsZero() {
        ResourceSlots s = slots(Map.of("cpu", 2));
        assertThat(s.get("cuda.device")).isEqualByComparingTo(BigDecimal.ZERO);
        assertThat(s.get("mem")).isEqualByComparingTo(BigDecimal.ZERO);
        assertThat(ResourceSlots.EMPTY.get("cpu")).isEqualByComparingTo(BigDecimal.ZERO);
    }

    @Test
    void zeroAmountsAreNotKept() {
        ResourceSlots s = slots(Map.of("cpu", 0, "mem", "0g"));
        assertThat(s).isEqualTo(ResourceSlots.EMPTY);
        assertThat(s.isEmpty()).isTrue();
        assertThat(s.amounts()).isEmpty();
        assertThat(s.toStrings()).isEmpty();
    }

    @Test
    void aRequestFitsWhenEverySlotIsAtMostTheCapacity() {
        ResourceSlots capacity = slots(Map.of("cpu", 8, "mem", "32g", "cuda.device", 2));
        assertThat(slots(Map.of("cpu", "2.5", "mem", "8g", "cuda.device", 1)).fitsIn(capacity)).isTrue();
        assertThat(capacity.fitsIn(capacity)).as("exactly the capacity").isTrue();
        assertThat(ResourceSlots.EMPTY.fitsIn(capacity)).isTrue();
        assertThat(ResourceSlots.EMPTY.fitsIn(ResourceSlots.EMPTY)).isTrue();
        assertThat(slots(Map.of("cuda.device", 3)).fitsIn(capacity)).as("one slot over").isFalse();
        assertThat(slots(Map.of("cpu", "8.000001")).fitsIn(capacity)).as("a millionth over").isFalse();
        assertThat(slots(Map.of("cuda.shares", "0.5")).fitsIn(capacity)).as("a slot the capacity lacks").isFalse();
        assertThat(capacity.fitsIn(ResourceSlots.EMPTY)).isFalse();
    }

    @Test
    void addSumsSlotBySlotAndKeepsSlotsOnlyOneSideHas() {
        ResourceSlots a = slots(Map.of("cpu", "2.5", "mem", "8g"));
        ResourceSlots b = slots(Map.of("cpu", "0.5", "cuda.device", 1));
        ResourceSlots sum = a.add(b);
        assertThat(sum).isEqualTo(slots(Map.of("cpu", 3, "mem", "8g", "cuda.device", 1)));
        assertThat(b.add(a)).isEqualTo(sum);
        assertThat(a.add(ResourceSlots.EMPTY)).isEqualTo(a);
        assertThat(a).as("add returns a new value").isEqualTo(slots(Map.of("cpu", "2.5", "mem", "8g")));
    }

    @Test
    void subtractTakesAwaySlotBySlotAndDropsWhatReachesZero() {
        ResourceSlots capacity = slots(Map.of("cpu", 8, "mem", "32g", "cuda.device", 2));
        ResourceSlots used = slots(Map.of("cpu", 5, "mem", "16g", "cuda.device", 2));
        ResourceSlots free = capacity.subtract(used);
        assertThat(free).isEqualTo(slots(Map.of("cpu", 3, "mem", "16g")));
        assertThat(free.get("cuda.device")).isEqualByComparingTo("0");
        assertThat(free.amounts()).doesNotContainKey("cuda.device");
        assertThat(capacity.subtract(capacity)).isEqualTo(ResourceSlots.EMPTY);
        assertThat(free.add(used)).isEqualTo(capacity);
    }

    @Test
    void subtractingBelowZeroThrows() {
        ResourceSlots small = slots(Map.of("cpu", 1));
        assertThatThrownBy(() -> small.subtract(slots(Map.of("cpu", 2)))).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> small.subtract(slots(Map.of("cuda.device", 1))))
                .as("a slot it does not have at all").isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> ResourceSlots.EMPTY.subtract(small)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void equalityIgnoresTrailingZerosAndNumberTypes() {
        ResourceSlots a = slots(Map.of("cpu", "1.50"));
        ResourceSlots b = slots(Map.of("cpu", 1.5));
        ResourceSlots c = slots(Map.of("cpu", new BigDecimal("1.500000")));
        assertThat(a).isEqualTo(b).isEqualTo(c);
        assertThat(a.hashCode()).isEqualTo(b.hashCode()).isEqualTo(c.hashCode());
        assertThat(slots(Map.of("cpu", 2))).isEqualTo(slots(Map.of("cpu", "2.0"))).isEqualTo(slots(Map.of("cpu", 2L)));
        assertThat(a).isNotEqualTo(slots(Map.of("cpu", "1.51")));
        assertThat(a).isNotEqualTo(slots(Map.of("cpu", "1.5", "mem", 1)));
    }

    @ParameterizedTest(name = "mem {0} = {1} bytes")
    @CsvSource({
            "16g, 17179869184",
            "16G, 17179869184",
            "' 2g ', 2147483648",
            "512m, 536870912",
            "1k, 1024",
            "1t, 1099511627776",
            "1p, 1125899906842624",
            "1.5g, 1610612736",
            "1048576, 1048576"})
    void memoryTakesBinarySizes(String given, String bytes) {
        assertThat(slots(Map.of("mem", given)).get("mem")).isEqualByComparingTo(bytes);
    }

    @Test
    void wholeUnitSlotsTakeIntegralDecimalsAndFractionalSlotsTakeFractions() {
        assertThat(slots(Map.of("cuda.device", "2.0")).get("cuda.device")).isEqualByComparingTo("2");
        assertThat(slots(Map.of("cuda.shares", "0.25")).get("cuda.shares")).isEqualByComparingTo("0.25");
        assertThat(slots(Map.of("cpu", "0.5")).get("cpu")).isEqualByComparingTo("0.5");
    }

    static Stream<Arguments> badAmounts() {
        Map<String, Object> nullAmount = new HashMap<>();
        nullAmount.put("cpu", null);
        return Stream.of(
                Arguments.of(Map.of("cpu", -1), "resource_slots.cpu"),
                Arguments.of(Map.of("cpu", "-0.5"), "resource_slots.cpu"),
                Arguments.of(Map.of("mem", "-1g"), "resource_slots.mem"),
                Arguments.of(Map.of("gpu", 1), "resource_slots.gpu"),
                Arguments.of(Map.of("CPU", 1), "resource_slots.CPU"),
                Arguments.of(Map.of("cuda.device", 0.5), "resource_slots.cuda.device"),
                Arguments.of(Map.of("rocm.device", "1.5"), "resource_slots.rocm.device"),
                Arguments.of(Map.of("tpu.device", new BigDecimal("0.1")), "resource_slots.tpu.device"),
                Arguments.of(Map.of("mem", "1.5"), "resource_slots.mem"),
                Arguments.of(Map.of("cpu", "lots"), "resource_slots.cpu"),
                Arguments.of(Map.of("cpu", ""), "resource_slots.cpu"),
                Arguments.of(Map.of("cpu", "2g"), "resource_slots.cpu"),
                Arguments.of(Map.of("mem", "16gb"), "resource_slots.mem"),
                Arguments.of(Map.of("mem", "g"), "resource_slots.mem"),
                Arguments.of(Map.of("cpu", true), "resource_slots.cpu"),
                Arguments.of(Map.of("cpu", List.of(1)), "resource_slots.cpu"),
                Arguments.of(nullAmount, "resource_slots.cpu"));
    }

    @ParameterizedTest(name = "{0} refused as {1}")
    @MethodSource("badAmounts")
    void badAmountsAreRefusedNamingTheSlot(Map<String, ?> raw, String field) {
        assertThatThrownBy(() -> slots(raw))
                .isInstanceOfSatisfying(DomainException.class, e -> {
                    assertThat(e.field()).hasValue(field);
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_FIELD);
                });
    }

    @Test
    void theFieldPrefixIsTheCallers() {
        assertThatThrownBy(() -> ResourceSlots.parse(RequestFields.of(Map.of("gpu", 1)).at("available_slots")))
                .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.field()).hasValue("available_slots.gpu"));
    }

    @Test
    void storedFormRoundTrips() {
        ResourceSlots s = slots(Map.of("cpu", "2.5", "mem", "1g", "cuda.device", 1, "cuda.shares", "0.125"));
        Map<String, String> stored = s.toStrings();
        assertThat(stored).containsExactly(Map.entry("cuda.device", "1"), Map.entry("cuda.shares", "0.125"),
                Map.entry("cpu", "2.5"), Map.entry("mem", "1073741824"));
        assertThat(ResourceSlots.fromStrings(stored)).isEqualTo(s);
        assertThat(ResourceSlots.fromStrings(null)).isEqualTo(ResourceSlots.EMPTY);
        assertThat(ResourceSlots.fromStrings(Map.of())).isEqualTo(ResourceSlots.EMPTY);
    }

    @Test
    void storedFormIsPlainDecimalsWithoutExponentsOrTrailingZeros() {
        assertThat(slots(Map.of("cpu", 1000, "mem", "1k")).toStrings()).containsExactly(
                Map.entry("cpu", "1000"), Map.entry("mem", "1024"));
        assertThat(slots(Map.of("cpu", "1.50")).toStrings()).containsExactly(Map.entry("cpu", "1.5"));
        assertThat(ResourceSlots.fromStrings(Map.of("cpu", "1000"))).isEqualTo(slots(Map.of("cpu", new BigDecimal("1E+3"))));
    }

    @Test
    void trustedAmountsStillRefuseUnknownSlotsAndNegatives() {
        assertThatThrownBy(() -> ResourceSlots.of(Map.of("gpu", BigDecimal.ONE))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ResourceSlots.of(Map.of("cpu", new BigDecimal("-1")))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ResourceSlots.fromStrings(Map.of("cpu", "-1"))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void microUnitsAreMillionthsOfFractionalSlotsAndWholeBytesInKnownSlotOrder() {
        ResourceSlots s = slots(Map.of("cpu", "2.5", "mem", "1k", "cuda.shares", "0.000001"));
        long[] micro = s.microUnits();
        assertThat(micro).hasSize(ResourceSlots.KNOWN.size());
        assertThat(micro[ResourceSlots.KNOWN.indexOf("cpu")]).isEqualTo(2_500_000L);
        assertThat(micro[ResourceSlots.KNOWN.indexOf("mem")]).isEqualTo(1_024L);
        assertThat(micro[ResourceSlots.KNOWN.indexOf("cuda.shares")]).isEqualTo(1L);
        assertThat(micro[ResourceSlots.KNOWN.indexOf("cuda.device")]).isZero();
        micro[0] = 99;
        assertThat(s.microUnits()[0]).as("each caller gets its own copy").isZero();
    }

    @Test
    void amountsAreReadOnly() {
        ResourceSlots s = slots(Map.of("cpu", 1));
        assertThatThrownBy(() -> s.amounts().put("mem", BigDecimal.ONE)).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void amountsTheSchedulerCannotHoldExactlyAreRefusedNamingTheSlot() {
        for (Map<String, Object> bad : java.util.List.<Map<String, Object>>of(Map.of("cpu", "0.0000001"), Map.of("cpu", "1e10"),
                Map.of("mem", "20p"))) {
            assertThatThrownBy(() -> ResourceSlots.parse(RequestFields.of(bad).at("resource_slots")))
                    .isInstanceOf(DomainException.class)
                    .satisfies(e -> assertThat(((DomainException) e).field().orElseThrow()).startsWith("resource_slots."));
        }
        ResourceSlots big = ResourceSlots.parse(RequestFields.of(Map.of("mem", "10t", "cpu", "0.000001")).at("resource_slots"));
        assertThat(big.microUnits()).contains(10L * (1L << 40), 1L);
        assertThat(dev.sluice.core.scheduler.PlannerAccess.roundTrip(big)).isEqualTo(big);
    }

    @Test
    void timesIsRepeatedAdditionAndEmptyForNoKernels() {
        ResourceSlots one = slots(Map.of("cpu", "0.5", "mem", "1g", "cuda.shares", "0.125"));
        assertThat(one.times(3)).isEqualTo(one.add(one).add(one));
        assertThat(one.times(1)).isEqualTo(one);
        assertThat(one.times(0)).isEqualTo(ResourceSlots.EMPTY);
        assertThat(one.times(4).get("cuda.shares")).isEqualByComparingTo("0.5");
    }

    @Test
    void freeAfterNeverGoesBelowZeroAndKeepsOnlyTheCapacitysSlots() {
        ResourceSlots capacity = slots(Map.of("cpu", 4, "cuda.device", 1));
        ResourceSlots held = slots(Map.of("cpu", 1, "cuda.device", 2, "mem", "1g"));
        ResourceSlots free = capacity.freeAfter(held);
        assertThat(free).isEqualTo(slots(Map.of("cpu", 3)));
        assertThat(ResourceSlots.EMPTY.freeAfter(held)).isEqualTo(ResourceSlots.EMPTY);
        assertThat(ResourceSlots.fromMicroUnits(ResourceSlots.microFree(capacity.microUnits(), held.microUnits())))
                .as("the fixed-point form agrees").isEqualTo(free);
    }

    @Test
    void aLimitRestrictsOnlyTheSlotsItNames() {
        ResourceSlots limit = slots(Map.of("cuda.device", 2));
        assertThat(slots(Map.of("cuda.device", 2, "cpu", 1000)).withinLimit(limit)).isTrue();
        assertThat(slots(Map.of("cuda.device", 3)).withinLimit(limit)).isFalse();
        assertThat(ResourceSlots.EMPTY.withinLimit(limit)).isTrue();
        assertThat(slots(Map.of("cpu", 1)).withinLimit(ResourceSlots.EMPTY)).isTrue();
    }

    @Test
    void theDominantShareIsTheLargestShareOverTheSlotsTheCapacityHas() {
        ResourceSlots capacity = slots(Map.of("cpu", 10, "cuda.device", 4));
        assertThat(slots(Map.of("cpu", 1, "cuda.device", 2)).dominantShareOf(capacity)).isEqualByComparingTo("0.5");
        assertThat(slots(Map.of("mem", "1g")).dominantShareOf(capacity)).as("a slot the capacity lacks").isEqualByComparingTo("0");
    }

    @Test
    void theFixedPointFastPathAgreesWithTheValues() {
        ResourceSlots a = slots(Map.of("cpu", "2.5", "cuda.device", 1));
        ResourceSlots b = slots(Map.of("cpu", 3, "cuda.device", 1, "mem", "1g"));
        assertThat(ResourceSlots.microFits(a.microUnits(), b.microUnits())).isEqualTo(a.fitsIn(b)).isTrue();
        assertThat(ResourceSlots.microFits(b.microUnits(), a.microUnits())).isEqualTo(b.fitsIn(a)).isFalse();
        assertThat(ResourceSlots.fromMicroUnits(ResourceSlots.microTimes(a.microUnits(), 3))).isEqualTo(a.times(3));
        assertThat(ResourceSlots.microCompare(a.microUnits(), b.microUnits())).as("cuda equal, then cpu decides").isNegative();
        assertThat(ResourceSlots.microCompare(slots(Map.of("cuda.device", 1)).microUnits(), slots(Map.of("cpu", 64)).microUnits()))
                .as("accelerators first").isPositive();
        assertThat(ResourceSlots.microCompare(a.microUnits(), a.microUnits())).isZero();
        assertThat(ResourceSlots.MICRO_SIZE).isEqualTo(ResourceSlots.KNOWN.size());
    }
}
