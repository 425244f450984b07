package dev.sluice.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.sluice.protocol.SessionRuntimeFacts;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * {@link SessionRuntimeFacts} is documented once, as the OpenAPI document's {@code SessionRuntimeFacts} schema: its
 * JSON properties (and those of every record it holds, all the way down) must be exactly the ones the schema declares,
 * so a field added to the record without its documentation fails here. The event schema's {@code detail.runtime}
 * points at that schema and declares no property of its own, so it cannot drift.
 */
class RuntimeFactsContractTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode openApi() throws Exception {
        return new YAMLMapper().readTree(LocalStack.ROOT.resolve("infra/openapi/sluice.yaml").toFile());
    }

    @Test
    void theRecordsPropertiesAreExactlyTheOpenApiSchemasAllTheWayDown() throws Exception {
        JsonNode doc = openApi();
        JsonNode schema = doc.path("components").path("schemas").path("SessionRuntimeFacts");
        assertThat(schema.isObject()).as("the OpenAPI document declares SessionRuntimeFacts").isTrue();
        assertThat(differences(doc, JSON.constructType(SessionRuntimeFacts.class), schema, "SessionRuntimeFacts")).isEmpty();
    }

    @Test
    void theSessionViewCarriesTheFactsAsThatSchema() throws Exception {
        assertThat(openApi().path("components").path("schemas").path("Session").path("properties").path(SessionRuntimeFacts.FIELD)
                .path("$ref").asText()).isEqualTo("#/components/schemas/SessionRuntimeFacts");
    }

    @Test
    void theAgentsReportsCarryTheFactsAsThatSchema() throws Exception {
        JsonNode doc = openApi();
        JsonNode report = doc.path("components").path("schemas").path("AgentReport").path("properties").path(SessionRuntimeFacts.FIELD);
        assertThat(resolve(doc, report.path("allOf").path(0))).isEqualTo(doc.path("components").path("schemas").path("SessionRuntimeFacts"));
        JsonNode status = doc.at("/paths/~1agent~1sessions~1{id}~1status/post/requestBody/content/application~1json/schema/properties");
        assertThat(status.path(SessionRuntimeFacts.FIELD).path("$ref").asText()).isEqualTo("#/components/schemas/SessionRuntimeFacts");
    }

    @Test
    void theEventSchemaPointsAtTheOpenApiSchemaAndDeclaresNoPropertyOfItsOwn() throws Exception {
        JsonNode events = JSON.readTree(LocalStack.ROOT.resolve("infra/events/session-status-changed.schema.json").toFile());
        JsonNode runtime = events.path("properties").path("detail").path("properties").path(SessionRuntimeFacts.FIELD);
        assertThat(runtime.path("type").asText()).isEqualTo("object");
        assertThat(runtime.path("description").asText()).contains("SessionRuntimeFacts in infra/openapi/sluice.yaml");
        assertThat(runtime.has("properties")).isFalse();
        assertThat(runtime.path("additionalProperties").asBoolean(true)).isTrue();
    }

    @Test
    void anEventDetailCarriesTheFactsByTheRecordsMappingAndMatchesTheEventSchema() throws Exception {
        com.networknt.schema.JsonSchema schema = com.networknt.schema.JsonSchemaFactory.getInstance(
                com.networknt.schema.SpecVersion.VersionFlag.V202012).getSchema(
                java.nio.file.Files.readString(LocalStack.ROOT.resolve("infra/events/session-status-changed.schema.json")));
        SessionRuntimeFacts facts = SessionRuntimeFacts.EMPTY.withPull(new SessionRuntimeFacts.PullProgress(3, 9, 0, 2));
        for (SessionRuntimeFacts f : List.of(SessionRuntimeFacts.EMPTY, facts)) {
            dev.sluice.core.session.SessionStatusChanged e = new dev.sluice.core.session.SessionStatusChanged("s-1", "alice", "g1",
                    dev.sluice.core.session.SessionType.BATCH, java.util.Optional.of(dev.sluice.core.session.SessionStatus.PULLING),
                    dev.sluice.core.session.SessionStatus.PREPARING, "preparing", java.time.Instant.parse("2026-12-03T10:00:00Z"), 4, false, f);
            java.util.Map<String, Object> detail = dev.sluice.adapters.eventbridge.EventBridgePublisher.detail(e);
            JsonNode event = JSON.valueToTree(java.util.Map.of("detail-type", "Session Status Changed", "source", "sluice.sessions",
                    "detail", detail));
            assertThat(schema.validate(event)).as(event.toString()).isEmpty();
            if (f.isEmpty()) {
                assertThat(detail).as("nothing known, nothing sent").doesNotContainKey(SessionRuntimeFacts.FIELD);
            } else {
                assertThat(detail.get(SessionRuntimeFacts.FIELD)).isEqualTo(f.toWire());
            }
        }
    }

    /**
     * A webhook of an event that carries facts still matches what receivers are promised: the real producer's detail, as
     * a subscription's rule hands it to the delivery queue, read by the dispatcher's codec into the envelope it signs.
     */
    @Test
    void aWebhookDeliveryOfAnEventWithFactsMatchesTheDeliverySchema() throws Exception {
        com.networknt.schema.JsonSchema schema = com.networknt.schema.JsonSchemaFactory.getInstance(
                com.networknt.schema.SpecVersion.VersionFlag.V202012).getSchema(
                java.nio.file.Files.readString(LocalStack.ROOT.resolve("infra/events/webhook-delivery.schema.json")));
        SessionRuntimeFacts facts = SessionRuntimeFacts.EMPTY.withPull(new SessionRuntimeFacts.PullProgress(3, 9, 0, 2));
        dev.sluice.core.session.SessionStatusChanged e = new dev.sluice.core.session.SessionStatusChanged("s-1", "alice", "g1",
                dev.sluice.core.session.SessionType.BATCH, java.util.Optional.of(dev.sluice.core.session.SessionStatus.PULLING),
                dev.sluice.core.session.SessionStatus.PREPARING, "preparing", java.time.Instant.parse("2026-12-03T10:00:00Z"), 4, false, facts);
        java.util.Map<String, Object> queued = new java.util.LinkedHashMap<>();
        queued.put("subscription", "wh-1");
        queued.put("event_id", "0f3c2a");
        queued.put("source", "sluice.sessions");
        queued.put("detail_type", "Session Status Changed");
        queued.put("time", "2026-12-03T10:00:00Z");
        queued.put("detail", dev.sluice.adapters.eventbridge.EventBridgePublisher.detail(e));
        dev.sluice.core.webhook.WebhookMessage message = dev.sluice.adapters.webhook.WebhookCodec.read(JSON.writeValueAsString(queued),
                java.time.Instant.parse("2026-12-03T10:00:01Z"));
        JsonNode delivered = JSON.readTree(dev.sluice.adapters.json.Json.write(dev.sluice.adapters.json.Json.plain(message.envelope())));

        assertThat(delivered.path("data").path(SessionRuntimeFacts.FIELD).isObject()).as(delivered.toString()).isTrue();
        assertThat(schema.validate(delivered)).as(delivered.toString()).isEmpty();
    }

    /** The same check catches a record with a property the schema lacks, and a schema with one the record lacks. */
    @Test
    void theCheckCatchesAnUndocumentedFieldAndAStaleOne() throws Exception {
        JsonNode doc = openApi();
        JsonNode schema = JSON.readTree("{\"type\":\"object\",\"properties\":{\"inner\":{\"type\":\"object\","
                + "\"properties\":{\"bytes_done\":{\"type\":\"integer\"},\"stale\":{\"type\":\"integer\"}}}}}");
        List<String> found = differences(doc, JSON.constructType(Outer.class), schema, "Outer");
        assertThat(found).containsExactlyInAnyOrder(
                "Outer.inner: the record has [layers_done] that the schema does not declare",
                "Outer.inner: the schema declares [stale] that the record does not have",
                "Outer: the record has [undocumented] that the schema does not declare");
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    record Outer(Inner inner, String undocumented) {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record Inner(long bytesDone, int layersDone) {
    }

    /** Where the record's JSON properties and the schema's differ, as sentences; recurses into records and lists of them. */
    static List<String> differences(JsonNode doc, JavaType type, JsonNode schema, String path) {
        schema = resolve(doc, schema);
        List<String> out = new ArrayList<>();
        if (type.isCollectionLikeType() || type.isArrayType()) {
            out.addAll(differences(doc, type.getContentType(), schema.path("items"), path + "[]"));
            return out;
        }
        if (!type.isRecordType()) {
            return out;
        }
        List<BeanPropertyDefinition> props = JSON.getSerializationConfig().introspect(type).findProperties();
        Set<String> fromRecord = new TreeSet<>();
        props.forEach(p -> fromRecord.add(p.getName()));
        Set<String> fromSchema = new TreeSet<>();
        schema.path("properties").fieldNames().forEachRemaining(fromSchema::add);
        Set<String> undocumented = new TreeSet<>(fromRecord);
        undocumented.removeAll(fromSchema);
        Set<String> stale = new TreeSet<>(fromSchema);
        stale.removeAll(fromRecord);
        if (!undocumented.isEmpty()) {
            out.add(path + ": the record has " + undocumented + " that the schema does not declare");
        }
        if (!stale.isEmpty()) {
            out.add(path + ": the schema declares " + stale + " that the record does not have");
        }
        for (BeanPropertyDefinition p : props) {
            if (fromSchema.contains(p.getName())) {
                out.addAll(differences(doc, p.getPrimaryType(), schema.path("properties").path(p.getName()), path + "." + p.getName()));
            }
        }
        return out;
    }

    private static JsonNode resolve(JsonNode doc, JsonNode schema) {
        while (schema.has("$ref")) {
            String ref = schema.path("$ref").asText();
            schema = doc.at(ref.substring(1));
        }
        return schema;
    }
}
