package dev.sluice.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.sluice.core.event.BusEvent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The bus contract, one definition: every event Sluice publishes is a {@link BusEvent} with its schema, and every rule
 * of template.yaml matches only events that exist, on detail fields their schemas have, with values their schemas
 * allow. (The end-to-end proofs with the real producers are in WebhooksIT, SchedulerIT, FoldersIT and FolderEventsIT.)
 */
class BusEventContractTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode schema(BusEvent event) throws IOException {
        return JSON.readTree(Files.readString(LocalStack.ROOT.resolve(event.schemaPath())));
    }

    @Test
    void everyEventHasOneSchemaNamingItsSourceAndDetailType() throws IOException {
        for (BusEvent event : BusEvent.values()) {
            JsonNode schema = schema(event);
            assertThat(schema.at("/properties/source/const").asText()).as(event.schemaPath()).isEqualTo(event.source());
            assertThat(schema.at("/properties/detail-type/const").asText()).as(event.schemaPath()).isEqualTo(event.detailType());
        }
        List<String> schemas;
        try (Stream<Path> files = Files.list(LocalStack.ROOT.resolve("infra/events"))) {
            schemas = files.map(p -> "infra/events/" + p.getFileName()).filter(p -> p.endsWith(".schema.json")).sorted().toList();
        }
        List<String> declared = new ArrayList<>(Arrays.stream(BusEvent.values()).map(BusEvent::schemaPath).toList());
        declared.add("infra/events/webhook-delivery.schema.json"); // what receivers get, not a bus event
        assertThat(schemas).as("no schema without an event, no event without its schema").containsExactlyInAnyOrderElementsOf(declared);
    }

    /** Every event pattern of the template: AWS::Events::Rule EventPattern and SAM EventBridgeRule events' Pattern. */
    static Map<String, JsonNode> templatePatterns() throws IOException {
        JsonNode template = new YAMLMapper().readTree(Files.readString(LocalStack.ROOT.resolve("template.yaml")));
        Map<String, JsonNode> patterns = new java.util.TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = template.path("Resources").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> r = it.next();
            JsonNode props = r.getValue().path("Properties");
            if (props.has("EventPattern")) {
                patterns.put(r.getKey(), props.get("EventPattern"));
            }
            for (Iterator<Map.Entry<String, JsonNode>> ev = props.path("Events").fields(); ev.hasNext(); ) {
                Map.Entry<String, JsonNode> e = ev.next();
                if (e.getValue().path("Type").asText().equals("EventBridgeRule")) {
                    patterns.put(r.getKey() + "." + e.getKey(), e.getValue().path("Properties").path("Pattern"));
                }
            }
        }
        return patterns;
    }

    /** A pattern's sources; an {@code !If [condition, sources, sources]} (read as a list) gives both branches. */
    private static List<JsonNode> sources(JsonNode source) {
        List<JsonNode> out = new ArrayList<>();
        if (source.size() == 3 && source.get(0).isTextual() && source.get(1).isArray() && source.get(2).isArray()) {
            source.get(1).forEach(out::add);
            source.get(2).forEach(out::add);
        } else {
            source.forEach(out::add);
        }
        return out;
    }

    /** What is wrong with one pattern: events nobody publishes, detail fields they lack, values they never have. */
    static List<String> violations(String rule, JsonNode pattern) throws IOException {
        List<String> found = new ArrayList<>();
        if (!pattern.path("source").isArray() || !pattern.path("detail-type").isArray()) {
            found.add(rule + " does not name its events by source and detail-type");
            return found;
        }
        for (JsonNode source : sources(pattern.get("source"))) {
            if (source.asText().startsWith("aws.") || source.asText().equals(LocalHypervisor.LOCAL_SOURCE)) {
                // AWS's own events (EC2's spot interruption warnings on the default bus): AWS publishes them, in its shape;
                // locally the runtime puts the same events under its own source (the emulator keeps aws.* to AWS).
                continue;
            }
            for (JsonNode detailType : pattern.get("detail-type")) {
                BusEvent event = BusEvent.of(source.asText(), detailType.asText()).orElse(null);
                if (event == null) {
                    found.add(rule + " matches " + source + " / " + detailType + ", which nothing publishes");
                    continue;
                }
                JsonNode detail = schema(event).at("/properties/detail/properties");
                for (Iterator<Map.Entry<String, JsonNode>> f = pattern.path("detail").fields(); f.hasNext(); ) {
                    Map.Entry<String, JsonNode> field = f.next();
                    JsonNode property = detail.path(field.getKey());
                    if (property.isMissingNode()) {
                        found.add(rule + " matches detail." + field.getKey() + ", which " + event.detailType() + " does not carry");
                        continue;
                    }
                    for (JsonNode value : field.getValue()) {
                        String type = property.path("type").asText();
                        boolean fits = switch (type) {
                            case "integer" -> value.isIntegralNumber();
                            case "boolean" -> value.isBoolean();
                            case "string" -> value.isTextual();
                            default -> true;
                        };
                        boolean allowed = (!property.has("enum") || contains(property.get("enum"), value))
                                && (!property.has("const") || property.get("const").equals(value));
                        if (!fits || !allowed) {
                            found.add(rule + " matches detail." + field.getKey() + " = " + value + ", which " + event.detailType()
                                    + " never carries");
                        }
                    }
                }
            }
        }
        return found;
    }

    private static boolean contains(JsonNode array, JsonNode value) {
        for (JsonNode v : array) {
            if (v.equals(value)) {
                return true;
            }
        }
        return false;
    }

    @Test
    void everyRuleOfTheTemplateMatchesEventsThatArePublishedOnFieldsTheyCarry() throws IOException {
        Map<String, JsonNode> patterns = templatePatterns();
        assertThat(patterns.keySet()).as("the nudge's three rules, the folder-deletion trigger and the callback rule at least")
                .contains("SchedulerNudgeFunction.SessionQueueChanged", "FolderDeletionFunction.DeletionStarted", "SessionCallbackRule");
        List<String> found = new ArrayList<>();
        for (Map.Entry<String, JsonNode> p : patterns.entrySet()) {
            found.addAll(violations(p.getKey(), p.getValue()));
        }
        assertThat(found).isEmpty();
    }

    @Test
    void theCheckCatchesRulesOnEventsOrFieldsNobodyPublishes() throws IOException {
        // The defect this contract exists for: a consumer matching "Background Task Updated" while tasks are "Task Updated".
        assertThat(violations("old", JSON.readTree("{\"source\":[\"sluice.tasks\"],\"detail-type\":[\"Background Task Updated\"]}")))
                .containsExactly("old matches \"sluice.tasks\" / \"Background Task Updated\", which nothing publishes");
        assertThat(violations("r", JSON.readTree("{\"source\":[\"sluice.tasks\"],\"detail-type\":[\"Task Updated\"],"
                + "\"detail\":{\"kind\":[\"folder-delete\"],\"phase\":[\"x\"],\"status\":[\"RUNNING\"],\"sequence\":[\"2\"]}}")))
                .containsExactlyInAnyOrder("r matches detail.phase, which Task Updated does not carry",
                        "r matches detail.status = \"RUNNING\", which Task Updated never carries",
                        "r matches detail.sequence = \"2\", which Task Updated never carries");
    }
}
