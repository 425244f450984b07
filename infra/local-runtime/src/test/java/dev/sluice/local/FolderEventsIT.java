package dev.sluice.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import dev.sluice.adapters.json.Json;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/** A clone's folder and task events arrive on the bus in their schemas (infra/events/). */
class FolderEventsIT {

    @Test
    void aClonePublishesFolderAndTaskEventsInTheirSchemas() throws Exception {
        LocalStack local = LocalStack.get();
        ApiClient api = new ApiClient(local.apiUrl);
        String token = local.token("events-folder-user");
        String owner = Json.readObjectUnchecked(new String(Base64.getUrlDecoder().decode(token.split("\\.")[1]))).get("sub").toString();
        String bus = local.stack.outputs().get("EventBusName");
        String name = "ev-" + UUID.randomUUID().toString().substring(0, 8);
        try (SqsClient sqs = SqsClient.builder().build(); EventBridgeClient events = EventBridgeClient.builder().build();
             S3Client s3 = S3Client.builder().forcePathStyle(true).build()) {
            String queueUrl = sqs.createQueue(b -> b.queueName("folder-events-" + UUID.randomUUID().toString().substring(0, 8))).queueUrl();
            String queueArn = sqs.getQueueAttributes(b -> b.queueUrl(queueUrl).attributeNames(QueueAttributeName.QUEUE_ARN))
                    .attributes().get(QueueAttributeName.QUEUE_ARN);
            String rule = "folder-events-" + UUID.randomUUID().toString().substring(0, 8);
            events.putRule(b -> b.name(rule).eventBusName(bus).eventPattern(Json.write(Map.of(
                    "source", List.of("sluice.folders", "sluice.tasks"), "detail", Map.of("owner", List.of(owner))))));
            events.putTargets(b -> b.rule(rule).eventBusName(bus).targets(t -> t.id("queue").arn(queueArn)));

            JsonNode folder = api.post("/folders", token, "{\"name\":\"" + name + "\",\"cloneable\":true}").json();
            for (int i = 0; i < 150; i++) {
                int n = i;
                s3.putObject(b -> b.bucket(local.functionEnvironment().get("FOLDER_BUCKET"))
                        .key("folders/" + folder.get("id").asText() + "/f" + n), RequestBody.fromString("x" + n));
            }
            ApiClient.Reply started = api.post("/folders/" + name + "/clone", token, "{\"target_name\":\"" + name + "-c\"}");
            assertThat(started.status()).as(started.body()).isEqualTo(202);

            List<JsonNode> received = new ArrayList<>();
            Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
            // Until the task's last update and the target's last status change have both arrived (the bus may deliver
            // them in either order), not for a guessed second more.
            java.util.function.Predicate<List<JsonNode>> complete = got -> got.stream().anyMatch(e -> e.path("detail").path("event").asText().equals("done"))
                    && got.stream().anyMatch(e -> e.path("detail").path("name").asText().equals(name + "-c")
                            && e.path("detail").path("status").asText().equals("ready"));
            while (!complete.test(received)) {
                if (Instant.now().isAfter(deadline)) {
                    throw new AssertionError("the clone's last events did not arrive within 60 s: " + received);
                }
                for (Message m : sqs.receiveMessage(b -> b.queueUrl(queueUrl).maxNumberOfMessages(10).waitTimeSeconds(1)).messages()) {
                    received.add(Json.MAPPER.readTree(m.body()));
                }
            }
            JsonSchema folderSchema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(
                    Files.readString(LocalStack.ROOT.resolve("infra/events/folder-status-changed.schema.json")));
            JsonSchema taskSchema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(
                    Files.readString(LocalStack.ROOT.resolve("infra/events/task-updated.schema.json")));
            List<String> folderStatuses = new ArrayList<>();
            List<Long> taskSequences = new ArrayList<>();
            for (JsonNode e : received) {
                boolean isFolder = e.path("source").asText().equals("sluice.folders");
                assertThat((isFolder ? folderSchema : taskSchema).validate(e)).as(e.toString()).isEmpty();
                if (isFolder) {
                    folderStatuses.add(e.path("detail").path("name").asText() + ":" + e.path("detail").path("status").asText());
                } else {
                    taskSequences.add(e.path("detail").path("sequence").asLong());
                }
            }
            assertThat(folderStatuses).contains(name + ":ready", name + ":performing", name + "-c:cloning", name + "-c:ready");
            assertThat(taskSequences).as("one event per task update: start, estimate, two pages, verifying, done")
                    .hasSizeGreaterThanOrEqualTo(6).doesNotHaveDuplicates();
        }
    }
}
