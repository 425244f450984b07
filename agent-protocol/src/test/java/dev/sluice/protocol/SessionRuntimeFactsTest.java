package dev.sluice.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The facts' one mapping: snake_case, empty left out, unknown properties ignored, malformed ones refused naming the field. */
class SessionRuntimeFactsTest {
    private static final SessionRuntimeFacts PULLING = SessionRuntimeFacts.EMPTY
            .withPull(new SessionRuntimeFacts.PullProgress(1_500_000, 4_000_000, 1, 3));

    @Test
    void nothingKnownIsAnEmptyObject() {
        assertThat(SessionRuntimeFacts.EMPTY.isEmpty()).isTrue();
        assertThat(SessionRuntimeFacts.EMPTY.toWire()).isEmpty();
        assertThat(SessionRuntimeFacts.EMPTY.toJson()).isEqualTo("{}");
        assertThat(PULLING.isEmpty()).isFalse();
    }

    @Test
    void theWireShapeIsSnakeCaseAndReadsBackEqual() {
        assertThat(PULLING.toWire()).isEqualTo(Map.of("pull",
                Map.of("bytes_done", 1_500_000L, "bytes_total", 4_000_000L, "layers_done", 1, "layers_total", 3)));
        assertThat(PULLING.toJson()).isEqualTo("{\"pull\":{\"bytes_done\":1500000,\"bytes_total\":4000000,\"layers_done\":1,\"layers_total\":3}}");
        assertThat(SessionRuntimeFacts.fromWire(PULLING.toWire())).isEqualTo(PULLING);
        assertThat(SessionRuntimeFacts.fromJson(PULLING.toJson())).isEqualTo(PULLING);
    }

    @Test
    void absentOrOldIsEmptyAndUnknownPropertiesAreIgnored() {
        assertThat(SessionRuntimeFacts.fromWire(null)).isEqualTo(SessionRuntimeFacts.EMPTY);
        assertThat(SessionRuntimeFacts.fromJson(null)).isEqualTo(SessionRuntimeFacts.EMPTY);
        assertThat(SessionRuntimeFacts.fromJson("{}")).isEqualTo(SessionRuntimeFacts.EMPTY);
        Map<String, Object> newer = new LinkedHashMap<>(PULLING.toWire());
        newer.put("gpu_memory", Map.of("used", 1));
        assertThat(SessionRuntimeFacts.fromWire(newer)).as("a newer agent's fact is ignored, not refused").isEqualTo(PULLING);
    }

    @Test
    void malformedFactsAreRefusedNamingTheField() {
        for (Object bad : List.of("pulling", List.of(1), Map.of("pull", "half"), Map.of("pull", Map.of("bytes_done", "lots")),
                Map.of("pull", Map.of("bytes_done", 1, "bytes_total", 2, "layers_done", 0)))) {
            assertThatThrownBy(() -> SessionRuntimeFacts.fromWire(bad)).as(String.valueOf(bad))
                    .isInstanceOfSatisfying(AgentReports.Malformed.class, m -> assertThat(m.field()).isEqualTo("runtime"))
                    .hasMessageStartingWith("runtime ");
        }
    }

    @Test
    void factsHeavierThanTheLimitAreRefused() {
        Map<String, Object> heavy = SessionRuntimeFacts.EMPTY.withImage("u".repeat(SessionRuntimeFacts.MAX_BYTES), List.of()).toWire();
        assertThatThrownBy(() -> SessionRuntimeFacts.fromWire(heavy))
                .isInstanceOfSatisfying(AgentReports.Malformed.class, m -> assertThat(m.field()).isEqualTo("runtime"))
                .hasMessage("runtime may weigh at most 8192 bytes as JSON.");
    }

    @Test
    void theImagesUserAndServicePortsReadBackAndEmptyOnesAreLeftOut() {
        SessionRuntimeFacts f = PULLING.withImage("work", List.of(new SessionRuntimeFacts.ServicePort("jupyter", "http", List.of(8888))));
        assertThat(f.toWire()).containsEntry("user", "work").containsEntry("service_ports",
                List.of(Map.of("name", "jupyter", "protocol", "http", "ports", List.of(8888))));
        assertThat(SessionRuntimeFacts.fromJson(f.toJson())).isEqualTo(f);
        assertThat(PULLING.withImage("", List.of()).toWire()).containsOnlyKeys("pull");
    }

    @Test
    void whatIsIgnoredIsNotKept() {
        Map<String, Object> heavy = new LinkedHashMap<>(PULLING.toWire());
        heavy.put("padding", "x".repeat(SessionRuntimeFacts.MAX_BYTES)); // ignored, so the known facts stay small
        assertThat(SessionRuntimeFacts.fromWire(heavy)).isEqualTo(PULLING);
    }
}
