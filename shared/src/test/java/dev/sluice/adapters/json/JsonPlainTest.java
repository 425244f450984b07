package dev.sluice.adapters.json;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.json.JsonObject;
import dev.sluice.core.scheduler.PendingExplanation;
import dev.sluice.core.scheduler.PredicateResult;
import dev.sluice.core.session.StatusData;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The core's open JSON becomes the JSON on the wire and in storage here, in one place, unchanged in a round trip. */
class JsonPlainTest {
    @Test
    void storedJsonReadIntoTheCoreIsWrittenBackByteForByte() {
        String text = "{\"reason\":\"waiting-for-capacity\",\"waiting\":true,\"retries\":3,\"big\":12345678901,"
                + "\"huge\":123456789012345678901234567890,\"ratio\":1.50,\"none\":null,"
                + "\"failed_predicates\":[{\"name\":\"concurrency\",\"msg\":\"at most 2 sessions\"}],\"empty\":{},\"list\":[]}";
        JsonObject read = Json.readJsonObject(text);
        assertThat(Json.write(Json.plain(read))).isEqualTo(text);
        assertThat(read.integer("retries")).hasValue(3L);
        assertThat(read.integer("ratio")).isEmpty();
    }

    @Test
    void thePlainFormIsWhatJacksonReadsSoTheViewsAndTheStoreWriteTheSameJsonAsBefore() {
        Map<String, Object> plain = Json.readObjectUnchecked("{\"a\":1,\"b\":[1,\"x\",false],\"c\":{\"d\":2.5}}");
        assertThat(Json.plain(Json.object(plain))).isEqualTo(plain);
    }

    @Test
    void aPendingExplanationIsStoredInTheShapeClientsRead() {
        PendingExplanation why = new PendingExplanation(PendingExplanation.WAITING_FOR_CAPACITY, true, "no agent has 2 cuda.device free",
                List.of(new PredicateResult("capacity", false, "no agent has 2 cuda.device free")),
                List.of(new PredicateResult("concurrency", true, "")), Optional.of(Instant.parse("2026-01-01T00:10:00Z")));
        StatusData data = why.toStatusData(4, Instant.parse("2026-01-01T00:00:00Z"));
        Map<String, Object> before = new LinkedHashMap<>();
        before.put("reason", "waiting-for-capacity");
        before.put("waiting", true);
        before.put("message", "no agent has 2 cuda.device free");
        before.put("failed_predicates", List.of(Map.of("name", "capacity", "msg", "no agent has 2 cuda.device free")));
        before.put("passed_predicates", List.of(Map.of("name", "concurrency")));
        before.put("retries", 4);
        before.put("last_try", "2026-01-01T00:00:00Z");
        before.put("estimated_start", "2026-01-01T00:10:00Z");
        String stored = Json.write(Json.plain(data.json()));
        assertThat(Json.readObjectUnchecked(stored)).as("the same JSON as the map the core built before").isEqualTo(before);
        assertThat(stored).as("in the order the fields are put (a Map.of gave a JVM-dependent order before)").isEqualTo(
                "{\"reason\":\"waiting-for-capacity\",\"waiting\":true,\"message\":\"no agent has 2 cuda.device free\","
                + "\"failed_predicates\":[{\"name\":\"capacity\",\"msg\":\"no agent has 2 cuda.device free\"}],"
                + "\"passed_predicates\":[{\"name\":\"concurrency\"}],\"retries\":4,\"last_try\":\"2026-01-01T00:00:00Z\","
                + "\"estimated_start\":\"2026-01-01T00:10:00Z\"}");
        assertThat(data.retries()).isEqualTo(4);
        assertThat(data.lastTry()).hasValue(Instant.parse("2026-01-01T00:00:00Z"));
        assertThat(data.reason()).hasValue("waiting-for-capacity");
    }

    @Test
    void theControlPlanesOwnStatusDataKeepsItsWireNames() {
        assertThat(Json.write(Json.plain(StatusData.destroyRequested("alice", true).json())))
                .isEqualTo("{\"requested_by\":\"alice\",\"forced\":true}");
        assertThat(Json.write(Json.plain(StatusData.placed(List.of("a-1", "a-2")).json()))).isEqualTo("{\"agents\":[\"a-1\",\"a-2\"]}");
        assertThat(Json.write(Json.plain(StatusData.pendingTimeout(Duration.ofMinutes(30)).json()))).isEqualTo("{\"pending_timeout\":\"30m\"}");
        assertThat(Json.write(Json.plain(StatusData.dependencyFailed("d-1", "missing").json())))
                .isEqualTo("{\"dependency\":\"d-1\",\"dependency_status\":\"missing\"}");
        assertThat(Json.write(Json.plain(StatusData.agentLost("i-1", "2026-01-01T00:00:00Z", "agent i-1 sent no heartbeat for 60 s").json())))
                .isEqualTo("{\"source\":\"control-plane\",\"agent_id\":\"i-1\",\"last_heartbeat\":\"2026-01-01T00:00:00Z\","
                        + "\"message\":\"agent i-1 sent no heartbeat for 60 s\"}");
        assertThat(Json.write(Json.plain(StatusData.NONE.json()))).isEqualTo("{}");
    }
}
