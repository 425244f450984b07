package dev.sluice.core.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonObjectTest {
    @Test
    void fieldsKeepTheOrderTheyWerePutAndALaterPutReplacesInPlace() {
        JsonObject o = JsonObject.builder().put("b", 1).put("a", "x").put("b", 2).build();
        assertThat(o.fields().keySet()).containsExactly("b", "a");
        assertThat(o.integer("b")).hasValue(2L);
    }

    @Test
    void itIsImmutableAndCopiesWhatItIsBuiltFrom() {
        List<Object> list = new ArrayList<>(List.of("x"));
        JsonObject o = JsonObject.of("list", list);
        list.add("y");
        assertThat(o.get("list")).hasValue(new JsonValue.Array(List.of(new JsonValue.Text("x"))));
        assertThatThrownBy(() -> o.fields().put("z", JsonValue.Null.NULL)).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void numbersAreEqualByValueWhateverTheirJavaType() {
        assertThat(JsonValue.of(3)).isEqualTo(JsonValue.of(3L)).isEqualTo(JsonValue.of(new BigDecimal("3.00")));
        assertThat(JsonValue.of(3).hashCode()).isEqualTo(JsonValue.of(new BigDecimal("3.0")).hashCode());
        assertThat(JsonValue.of(3)).isNotEqualTo(JsonValue.of("3"));
    }

    @Test
    void typedReadsAreEmptyForAMissingFieldOrAnotherType() {
        JsonObject o = JsonObject.of("n", new BigDecimal("1.5"), "s", "t");
        assertThat(o.integer("n")).isEmpty();
        assertThat(o.integer("s")).isEmpty();
        assertThat(o.text("n")).isEmpty();
        assertThat(o.text("s")).hasValue("t");
        assertThat(o.bool("missing")).isEmpty();
    }

    @Test
    void withDefaultsAddsOnlyTheMissingFields() {
        JsonObject o = JsonObject.of("a", 1).withDefaults(JsonObject.of("a", 2, "b", 3));
        assertThat(o).isEqualTo(JsonObject.of("a", 1, "b", 3));
        assertThat(o.fields().keySet()).containsExactly("a", "b");
    }

    @Test
    void onlyJsonValuesAreAccepted() {
        assertThatThrownBy(() -> JsonValue.of(Instant.EPOCH)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("java.time.Instant");
        assertThatThrownBy(() -> JsonValue.of(Map.of(1, "x"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("keys are strings");
        assertThat(JsonValue.of(Map.of("k", List.of()))).isEqualTo(JsonObject.of("k", new JsonValue.Array(List.of())));
    }
}
