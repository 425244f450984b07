package dev.sluice.core.slots;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.error.DomainException;
import java.math.BigDecimal;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ResourceSlotsTest {
    private static ResourceSlots slots(Map<String, ?> raw) {
        return ResourceSlots.parse("resource_slots", raw);
    }

    @Test
    void aMissingSlotCountsAsZero() {
        assertThat(slots(Map.of("cpu", 2)).get("cuda.device")).isEqualByComparingTo(BigDecimal.ZERO);
    }

    @Test
    void fitsAddAndSubtractWorkSlotBySlot() {
        ResourceSlots capacity = slots(Map.of("cpu", 8, "mem", "32g", "cuda.device", 2));
        ResourceSlots request = slots(Map.of("cpu", "2.5", "mem", "8g", "cuda.device", 1));
        assertThat(request.fitsIn(capacity)).isTrue();
        assertThat(slots(Map.of("cuda.device", 3)).fitsIn(capacity)).isFalse();
        assertThat(slots(Map.of("cuda.shares", "0.5")).fitsIn(capacity)).as("a slot the agent lacks").isFalse();
        ResourceSlots used = request.add(request);
        assertThat(used.get("cpu")).isEqualByComparingTo("5");
        assertThat(capacity.subtract(used).get("cuda.device")).isEqualByComparingTo("0");
        assertThatThrownBy(() -> request.subtract(capacity)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void equalAmountsAreEqualWhateverTheirScale() {
        assertThat(slots(Map.of("cpu", "1.50"))).isEqualTo(slots(Map.of("cpu", 1.5)));
        assertThat(slots(Map.of("cpu", 0))).isEqualTo(ResourceSlots.EMPTY);
    }

    @Test
    void memoryTakesBinarySizes() {
        assertThat(slots(Map.of("mem", "16g")).get("mem")).isEqualByComparingTo("17179869184");
        assertThat(slots(Map.of("mem", "512m")).get("mem")).isEqualByComparingTo("536870912");
    }

    @Test
    void badAmountsAreRefusedNamingTheSlot() {
        for (Map<String, ?> bad : new Map[] {Map.of("cpu", -1), Map.of("gpu", 1), Map.of("cuda.device", 0.5), Map.of("cpu", "lots"),
                Map.of("cpu", true)}) {
            assertThatThrownBy(() -> slots(bad))
                    .isInstanceOf(DomainException.class)
                    .satisfies(e -> assertThat(((DomainException) e).field().orElseThrow()).startsWith("resource_slots."));
        }
    }

    @Test
    void storedFormRoundTrips() {
        ResourceSlots s = slots(Map.of("cpu", "2.5", "mem", "1g", "cuda.device", 1));
        assertThat(ResourceSlots.fromStrings(s.toStrings())).isEqualTo(s);
        assertThat(s.toStrings().keySet()).containsExactly("cuda.device", "cpu", "mem");
    }
}
