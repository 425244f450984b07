package dev.sluice.local;

import dev.sluice.core.session.StatusData;
import dev.sluice.core.request.RequestFields;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.sluice.adapters.ControlPlane;
import dev.sluice.adapters.json.Json;
import dev.sluice.core.auth.Principal;
import dev.sluice.core.session.Session;
import dev.sluice.core.session.SessionStatus;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/** Every change is published on the bus, and what arrives matches infra/events/session-status-changed.schema.json. */
class EventsIT {

    @Test
    void publishedEventsValidateAgainstTheSchemaAndCarryTheSequence() throws Exception {
        LocalStack local = LocalStack.get();
        ControlPlane plane = local.controlPlane();
        String bus = local.stack.outputs().get("EventBusName");
        String owner = "events-" + UUID.randomUUID();

        try (SqsClient sqs = SqsClient.builder().build(); EventBridgeClient events = EventBridgeClient.builder().build()) {
            String queueUrl = sqs.createQueue(b -> b.queueName("events-it-" + UUID.randomUUID().toString().substring(0, 8))).queueUrl();
            String queueArn = sqs.getQueueAttributes(b -> b.queueUrl(queueUrl).attributeNames(QueueAttributeName.QUEUE_ARN))
                    .attributes().get(QueueAttributeName.QUEUE_ARN);
            String rule = "events-it-" + UUID.randomUUID().toString().substring(0, 8);
            events.putRule(b -> b.name(rule).eventBusName(bus)
                    .eventPattern(Json.write(Map.of("source", List.of("sluice.sessions"), "detail", Map.of("owner", List.of(owner))))));
            events.putTargets(b -> b.rule(rule).eventBusName(bus).targets(t -> t.id("queue").arn(queueArn)));

            plane.groupStore().put(dev.sluice.core.group.ResourceGroup.fromDefinition("events-it", RequestFields.of(Map.of()), Instant.now(), Instant.now()));
            Session s = plane.sessions().create(new Principal(owner, owner, Set.of("users")), RequestFields.of(Map.of("image", "python:3.12",
                    "resource_group", "events-it", "type", "batch", "startup_command", "true",
                    "resource_slots", Map.of("cpu", 1, "mem", "1g"))), Optional.empty()).session();
            plane.sessions().transition(s.id(), SessionStatus.SCHEDULED, "scheduled", StatusData.NONE);
            plane.sessions().transition(s.id(), SessionStatus.CANCELLED, "user-requested", StatusData.NONE);

            List<JsonNode> received = new ArrayList<>();
            Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
            while (received.size() < 3 && Instant.now().isBefore(deadline)) {
                for (Message m : sqs.receiveMessage(b -> b.queueUrl(queueUrl).maxNumberOfMessages(10).waitTimeSeconds(1)).messages()) {
                    received.add(Json.MAPPER.readTree(m.body()));
                }
            }
            assertThat(received).hasSize(3);

            JsonSchema schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(
                    Files.readString(LocalStack.ROOT.resolve("infra/events/session-status-changed.schema.json")));
            for (JsonNode event : received) {
                Set<ValidationMessage> errors = schema.validate(event);
                assertThat(errors).as(event.toString()).isEmpty();
            }
            received.sort((a, b) -> Long.compare(a.path("detail").path("sequence").asLong(), b.path("detail").path("sequence").asLong()));
            assertThat(received).extracting(e -> e.path("detail").path("sequence").asLong()).containsExactly(1L, 2L, 3L);
            assertThat(received).extracting(e -> e.path("detail").path("status").asText()).containsExactly("PENDING", "SCHEDULED", "CANCELLED");
            assertThat(received.get(0).path("detail").path("previous_status").isNull()).isTrue();
            assertThat(received.get(2).path("detail").path("previous_status").asText()).isEqualTo("SCHEDULED");
            assertThat(received).allSatisfy(e -> assertThat(e.path("detail").path("session_id").asText()).isEqualTo(s.id()));
        }
    }

    @Test
    void aResourceGroupChangeIsPublishedInItsSchema() throws Exception {
        LocalStack local = LocalStack.get();
        ControlPlane plane = local.controlPlane();
        String bus = local.stack.outputs().get("EventBusName");
        String group = "evg-" + UUID.randomUUID().toString().substring(0, 8);
        try (SqsClient sqs = SqsClient.builder().build(); EventBridgeClient events = EventBridgeClient.builder().build()) {
            String queueUrl = sqs.createQueue(b -> b.queueName("groups-it-" + UUID.randomUUID().toString().substring(0, 8))).queueUrl();
            String queueArn = sqs.getQueueAttributes(b -> b.queueUrl(queueUrl).attributeNames(QueueAttributeName.QUEUE_ARN))
                    .attributes().get(QueueAttributeName.QUEUE_ARN);
            String rule = "groups-it-" + UUID.randomUUID().toString().substring(0, 8);
            events.putRule(b -> b.name(rule).eventBusName(bus).eventPattern(Json.write(Map.of("source", List.of("sluice.resource-groups"),
                    "detail", Map.of("resource_group", List.of(group))))));
            events.putTargets(b -> b.rule(rule).eventBusName(bus).targets(t -> t.id("queue").arn(queueArn)));
            plane.resourceGroups().put(new Principal("root", "root", Set.of("admin")), group, RequestFields.of(Map.of()));
            List<JsonNode> received = new ArrayList<>();
            Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
            while (received.isEmpty() && Instant.now().isBefore(deadline)) {
                for (Message m : sqs.receiveMessage(b -> b.queueUrl(queueUrl).maxNumberOfMessages(10).waitTimeSeconds(1)).messages()) {
                    received.add(Json.MAPPER.readTree(m.body()));
                }
            }
            assertThat(received).hasSize(1);
            JsonSchema schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(
                    Files.readString(LocalStack.ROOT.resolve("infra/events/resource-group-changed.schema.json")));
            assertThat(schema.validate(received.get(0))).isEmpty();
            assertThat(received.get(0).path("detail").path("resource_group").asText()).isEqualTo(group);
        }
    }

    @Test
    void agentChangesArePublishedInTheirSchemaWithTheirReason() throws Exception {
        LocalStack local = LocalStack.get();
        ControlPlane plane = local.controlPlane();
        String bus = local.stack.outputs().get("EventBusName");
        String agent = "i-ev-" + UUID.randomUUID().toString().substring(0, 8);
        try (SqsClient sqs = SqsClient.builder().build(); EventBridgeClient events = EventBridgeClient.builder().build()) {
            String queueUrl = sqs.createQueue(b -> b.queueName("agents-it-" + UUID.randomUUID().toString().substring(0, 8))).queueUrl();
            String queueArn = sqs.getQueueAttributes(b -> b.queueUrl(queueUrl).attributeNames(QueueAttributeName.QUEUE_ARN))
                    .attributes().get(QueueAttributeName.QUEUE_ARN);
            String rule = "agents-it-" + UUID.randomUUID().toString().substring(0, 8);
            events.putRule(b -> b.name(rule).eventBusName(bus).eventPattern(Json.write(Map.of("source", List.of("sluice.agents"),
                    "detail", Map.of("agent_id", List.of(agent))))));
            events.putTargets(b -> b.rule(rule).eventBusName(bus).targets(t -> t.id("queue").arn(queueArn)));
            plane.groupStore().put(dev.sluice.core.group.ResourceGroup.fromDefinition("events-agents", RequestFields.of(Map.of()),
                    java.time.Instant.now(), java.time.Instant.now())); // an agent joins only a group that exists
            Map<String, Object> heartbeat = Map.of("resource_group", "events-agents", "available_slots", Map.of("cpu", "4", "mem", "8g"));
            plane.agentWork().heartbeat(agent, RequestFields.of(heartbeat));
            plane.agentWork().heartbeat(agent, RequestFields.of(heartbeat));
            plane.agentWork().heartbeat(agent, RequestFields.of(Map.of("resource_group", "events-agents", "available_slots", Map.of("cpu", "8", "mem", "8g"))));
            plane.agentWork().setSchedulable(new Principal("root", "root", Set.of("admin")), agent, RequestFields.of(Map.of("schedulable", false)));
            List<JsonNode> received = new ArrayList<>();
            Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
            while (received.size() < 3 && Instant.now().isBefore(deadline)) {
                for (Message m : sqs.receiveMessage(b -> b.queueUrl(queueUrl).maxNumberOfMessages(10).waitTimeSeconds(1)).messages()) {
                    received.add(Json.MAPPER.readTree(m.body()));
                }
            }
            JsonSchema schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(
                    Files.readString(LocalStack.ROOT.resolve("infra/events/agent-capacity-changed.schema.json")));
            assertThat(received).allSatisfy(e -> assertThat(schema.validate(e)).as(e.toString()).isEmpty());
            assertThat(received).extracting(e -> e.path("detail").path("reason").asText())
                    .as("a heartbeat that changes nothing publishes nothing")
                    .containsExactlyInAnyOrder("registered", "capacity-changed", "drained");
        }
    }

    @Test
    void theSchemaRejectsAnEventThatBreaksIt() throws Exception {
        JsonSchema schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(
                Files.readString(LocalStack.ROOT.resolve("infra/events/session-status-changed.schema.json")));
        JsonNode bad = Json.MAPPER.readTree("{\"source\":\"sluice.sessions\",\"detail-type\":\"Session Status Changed\","
                + "\"detail\":{\"version\":\"1\",\"session_id\":\"x\",\"owner\":\"o\",\"resource_group\":\"g\",\"session_type\":\"batch\","
                + "\"previous_status\":null,\"status\":\"SLEEPING\",\"status_info\":\"\",\"occurred_at\":\"2026-01-01T00:00:00Z\",\"sequence\":0}}");
        assertThat(schema.validate(bad)).hasSizeGreaterThanOrEqualTo(2);
    }
}
