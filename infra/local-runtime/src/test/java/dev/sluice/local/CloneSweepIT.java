package dev.sluice.local;

import dev.sluice.core.json.JsonValue;
import dev.sluice.core.json.JsonObject;
import dev.sluice.core.request.RequestFields;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.adapters.FolderPlane;
import dev.sluice.adapters.json.Json;
import dev.sluice.core.folder.Folder;
import dev.sluice.core.folder.FolderSpec;
import dev.sluice.core.folder.FolderStatus;
import dev.sluice.core.port.FolderStore;
import dev.sluice.core.task.BackgroundTask;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The clone sweep (a scheduled function, invoked here through Lambda): a clone whose execution never started is
 * started, one whose execution is gone is cleaned up — no folder stays cloning or performing.
 */
class CloneSweepIT {
    private static LocalStack local;
    private static ApiClient api;
    private static String token;
    private static String owner;
    private static FolderPlane plane;

    @BeforeAll
    static void stack() throws Exception {
        local = LocalStack.get();
        api = new ApiClient(local.apiUrl);
        token = local.token("sweep-user");
        owner = Json.readObjectUnchecked(new String(Base64.getUrlDecoder().decode(token.split("\\.")[1]))).get("sub").toString();
        plane = dev.sluice.adapters.Wiring.fromEnvironment(local.functionEnvironment()).folders();
    }

    /** A clone written three minutes ago as the API writes it, but never started; its task id and target. */
    private static String[] orphanClone(String source, int objects) {
        JsonNode folder = api.post("/folders", token, "{\"name\":\"" + source + "\",\"cloneable\":true}").json();
        try (S3Client s3 = S3Client.builder().forcePathStyle(true).build()) {
            for (int i = 0; i < objects; i++) {
                int n = i;
                s3.putObject(b -> b.bucket(local.functionEnvironment().get("FOLDER_BUCKET"))
                        .key("folders/" + folder.get("id").asText() + "/o" + n), RequestBody.fromString("object " + n));
            }
        }
        Instant then = Instant.now().minus(Duration.ofMinutes(3));
        Folder src = plane.folderStore().find(owner, source).orElseThrow();
        String targetId = UUID.randomUUID().toString();
        Folder target = Folder.create(targetId, owner, FolderSpec.parse(RequestFields.of(Map.of("name", source + "-copy"))), FolderStatus.CLONING,
                "cloning", then);
        String taskId = UUID.randomUUID().toString();
        BackgroundTask task = BackgroundTask.started(taskId, BackgroundTask.KIND_CLONE, owner, (JsonObject) JsonValue.of(Map.of("source_id", src.id(),
                "source_name", source, "target_id", targetId, "target_name", source + "-copy")), then);
        assertThat(plane.folderStore().startClone(src, target, task)).isEqualTo(FolderStore.CloneStart.STARTED);
        return new String[] {taskId, targetId};
    }

    private static void sweep() {
        try (LambdaClient lambda = LambdaClient.builder().build()) {
            String reply = lambda.invoke(b -> b.functionName(local.functionNamed("CloneSweep")).payload(SdkBytes.fromUtf8String("{}")))
                    .payload().asUtf8String();
            assertThat(reply).doesNotContain("Mock response").contains("checked");
        }
    }

    private static JsonNode awaitEnd(String taskId) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        JsonNode t = api.get("/tasks/" + taskId, token).json();
        while (t.get("status").asText().equals("started") && Instant.now().isBefore(deadline)) {
            Thread.sleep(100);
            t = api.get("/tasks/" + taskId, token).json();
        }
        if (t.get("status").asText().equals("started")) {
            throw new AssertionError("task " + taskId + " did not end within 60 s: " + t);
        }
        return t;
    }

    @Test
    void aCloneWhoseExecutionNeverStartedIsStartedByTheSweep() throws Exception {
        String source = "sweep-" + UUID.randomUUID().toString().substring(0, 8);
        String[] orphan = orphanClone(source, 30);
        assertThat(api.get("/folders/" + source + "-copy", token).json().get("status").asText()).isEqualTo("cloning");
        sweep();
        JsonNode t = awaitEnd(orphan[0]);
        assertThat(t.get("status").asText()).isEqualTo("done");
        assertThat(t.get("progress").get("objects_done").asLong()).isEqualTo(30);
        assertThat(api.get("/folders/" + source + "-copy", token).json().get("status").asText()).isEqualTo("ready");
        assertThat(api.get("/folders/" + source, token).json().get("status").asText()).isEqualTo("ready");
    }

    @Test
    void aCloneWhoseExecutionIsGoneIsCleanedUpByTheSweep() throws Exception {
        String source = "sweep-" + UUID.randomUUID().toString().substring(0, 8);
        String[] orphan = orphanClone(source, 5);
        // As after an emulator restart: the task names an execution that no longer exists, with some data copied.
        plane.taskStore().setExecution(orphan[0], local.stack.outputs().get("FolderCloneStateMachineArn")
                .replace(":stateMachine:", ":execution:") + ":clone-" + orphan[0] + "-lost");
        try (S3Client s3 = S3Client.builder().forcePathStyle(true).build()) {
            s3.putObject(b -> b.bucket(local.functionEnvironment().get("FOLDER_BUCKET")).key("folders/" + orphan[1] + "/partial"),
                    RequestBody.fromString("partial"));
            sweep();
            JsonNode t = awaitEnd(orphan[0]);
            assertThat(t.get("status").asText()).isEqualTo("failed");
            assertThat(t.get("error").asText()).contains("ended without finishing");
            assertThat(api.get("/folders/" + source + "-copy", token).json().get("status").asText()).isEqualTo("error");
            assertThat(api.get("/folders/" + source, token).json().get("status").asText()).isEqualTo("ready");
            assertThat(s3.listObjectsV2(b -> b.bucket(local.functionEnvironment().get("FOLDER_BUCKET")).prefix("folders/" + orphan[1] + "/"))
                    .keyCount()).as("no partial data").isZero();
        }
    }
}
