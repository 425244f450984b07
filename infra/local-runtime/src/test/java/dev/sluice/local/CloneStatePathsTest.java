package dev.sluice.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.adapters.folders.CloneStateJson;
import dev.sluice.core.usecase.CloneCursor;
import dev.sluice.core.usecase.CloneJob;
import dev.sluice.core.usecase.CloneState;
import dev.sluice.core.usecase.CloneSettings;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The clone state machine's definition reads and writes exactly the JSON paths {@link CloneStateJson} maps, and the
 * mapping round-trips the typed state (issue #15: one place maps the typed clone state to the state machine's paths).
 */
class CloneStatePathsTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final CloneJob JOB = new CloneJob("task-1", "alice", "f-src", "src", "f-dst", "dst");

    private static JsonNode definition() throws Exception {
        return MAPPER.readTree(LocalStack.ROOT.resolve("infra/statemachines/folder-clone.asl.json").toFile());
    }

    /** Every {@code Variable} and {@code ...Path} comparison in the definition's Choice states. */
    private static Set<String> choicePaths(JsonNode asl) {
        Set<String> paths = new TreeSet<>();
        asl.path("States").forEach(state -> state.path("Choices").forEach(choice -> {
            for (Iterator<Map.Entry<String, JsonNode>> it = choice.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                if (f.getKey().equals("Variable") || f.getKey().endsWith("Path")) {
                    paths.add(f.getValue().asText());
                }
            }
        }));
        return paths;
    }

    private static JsonNode at(JsonNode json, String path) {
        JsonNode node = json;
        for (String part : path.substring(2).split("\\.")) {
            node = node.path(part);
        }
        return node;
    }

    @Test
    void theDefinitionsChoicesReadExactlyThePathsTheMappingWritesWithTheirTypes() throws Exception {
        Set<String> read = choicePaths(definition());
        assertThat(read).containsExactlyInAnyOrder(CloneStateJson.GENERATION_PATH, CloneStateJson.HAS_MORE_PATH,
                CloneStateJson.PAGES_HERE_PATH, CloneStateJson.PAGES_PER_EXECUTION_PATH);
        JsonNode state = MAPPER.valueToTree(CloneStateJson.toJson(CloneState.first(JOB, new CloneSettings(10, 2, 1 << 20))));
        assertThat(at(state, CloneStateJson.GENERATION_PATH).isIntegralNumber()).isTrue();
        assertThat(at(state, CloneStateJson.PAGES_HERE_PATH).isIntegralNumber()).isTrue();
        assertThat(at(state, CloneStateJson.PAGES_PER_EXECUTION_PATH).asInt()).isEqualTo(2);
        assertThat(at(state, CloneStateJson.HAS_MORE_PATH).isBoolean()).isTrue();
    }

    @Test
    void everyCaughtErrorLandsWhereTheMappingReadsTheFailure() throws Exception {
        List<String> resultPaths = new ArrayList<>();
        definition().path("States").forEach(state -> state.path("Catch").forEach(c -> resultPaths.add(c.path("ResultPath").asText())));
        assertThat(resultPaths).isNotEmpty().allMatch(CloneStateJson.FAILURE_PATH::equals);

        Map<String, Object> caught = new LinkedHashMap<>(CloneStateJson.toJson(CloneState.first(JOB, new CloneSettings(10, 2, 1))));
        caught.put(CloneStateJson.FAILURE_PATH.substring(2), Map.of("Error", "CloneFailed", "Cause", "the source changed"));
        assertThat(CloneStateJson.fromJson(caught).failure()).contains(CloneState.Failure.of("CloneFailed", "the source changed"));
    }

    @Test
    void theMappingRoundTripsTheTypedStateThroughJsonText() throws Exception {
        CloneState state = new CloneState(JOB, 500, 40, 3, new CloneCursor(Optional.of("tok/1"), 120, 7, true),
                new CloneState.Estimate(5_000_000_000L, 1L << 40, true), Optional.of(CloneState.Failure.of("States.Timeout", null)));
        @SuppressWarnings("unchecked")
        Map<String, Object> wire = MAPPER.readValue(MAPPER.writeValueAsString(CloneStateJson.toJson(state)), Map.class);
        assertThat(CloneStateJson.fromJson(wire)).isEqualTo(state);
        CloneState start = CloneState.first(JOB, new CloneSettings(10, 2, 1));
        @SuppressWarnings("unchecked")
        Map<String, Object> startWire = MAPPER.readValue(MAPPER.writeValueAsString(CloneStateJson.toJson(start)), Map.class);
        assertThat(CloneStateJson.fromJson(startWire)).isEqualTo(start);
        assertThat(startWire).containsOnlyKeys("job", "page_size", "pages_per_execution", "generation", "cursor", "estimate");
    }
}
