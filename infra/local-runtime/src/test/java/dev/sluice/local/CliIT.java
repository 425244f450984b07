package dev.sluice.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.adapters.json.Json;
import dev.sluice.cli.Sluice;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The sluice command against the stack in the emulator, as a user and an admin would run it. */
class CliIT {
    private static LocalStack local;
    private static String alice;
    private static String bob;
    private static String admin;

    record Run(int exit, String out, String err) {
        JsonNode json() {
            try {
                return Json.MAPPER.readTree(out);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + out, e);
            }
        }

        @Override
        public String toString() {
            return "exit " + exit + "\n--- out\n" + out + "--- err\n" + err;
        }
    }

    @BeforeAll
    static void stack() throws Exception {
        local = LocalStack.get();
        alice = local.token("cli-alice");
        bob = local.token("cli-bob");
        admin = local.adminToken();
        Run created = sluice(admin, "resource-group", "create", "cli-gpu", "--description", "GPU hosts for the CLI",
                "--scheduler", "fifo", "--allow", "interactive,batch", "--pending-timeout", "30m");
        assertThat(created.exit()).as(created.toString()).isZero();
        assertThat(created.out()).contains("cli-gpu").contains("interactive,batch");
    }

    private static Run sluiceAt(String endpoint, String token, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Sluice.run(args, Map.of("SLUICE_API", endpoint, "SLUICE_TOKEN", token),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        Run run = new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        assertThat(run.out() + run.err()).as("the emulator ran no real function").doesNotContain("Mock response");
        return run;
    }

    private static Run sluice(String token, String... args) {
        return sluiceAt(local.apiUrl, token, args);
    }

    /** A pending batch session of Alice's in cli-gpu; returns its id. */
    private static String pendingSession() {
        Run created = sluice(alice, "session", "create", "--image", "python:3.12", "--name", "cli-" + UUID.randomUUID().toString().substring(0, 8),
                "--type", "batch", "--group", "cli-gpu", "--slot", "cpu=2", "--slot", "mem=8g", "--slot", "cuda.device=1",
                "--command", "python train.py", "--json");
        assertThat(created.exit()).as(created.toString()).isZero();
        return created.json().path("id").asText();
    }

    @Test
    void anAdminsResourceGroupIsListedForUsers() {
        Run listed = sluice(alice, "resource-group", "list");
        assertThat(listed.exit()).as(listed.toString()).isZero();
        assertThat(listed.out().lines().findFirst().orElseThrow()).startsWith("NAME").contains("PENDING-TIMEOUT");
        assertThat(listed.out().lines().filter(l -> l.startsWith("cli-gpu ")))
                .singleElement().asString().contains("yes").contains("fifo").contains("interactive,batch").contains("30m");
    }

    @Test
    void aUserCreatesABatchSessionWithSlotsThatStartsPending() {
        Run created = sluice(alice, "session", "create", "--image", "python:3.12", "--type", "batch", "--group", "cli-gpu",
                "--slot", "cpu=2", "--slot", "mem=8g", "--slot", "cuda.device=1", "--command", "python train.py",
                "--batch-timeout", "2h", "--tag", "exp-7");
        assertThat(created.exit()).as(created.toString()).isZero();
        assertThat(created.out()).contains("Status:").contains("PENDING (waiting to be scheduled)")
                .contains("cpu=2 mem=8G cuda.device=1").contains("cli-gpu").contains("7200s");
    }

    @Test
    void psListsAPendingSessionWithItsReason() {
        String id = pendingSession();
        Run ps = sluice(alice, "ps", "--group", "cli-gpu");
        assertThat(ps.exit()).as(ps.toString()).isZero();
        assertThat(ps.out().lines().findFirst().orElseThrow())
                .matches("ID\\s+NAME\\s+TYPE\\s+STATUS\\s+GROUP\\s+SLOTS\\s+CREATED\\s+REASON");
        assertThat(ps.out().lines().filter(l -> l.startsWith(id.substring(0, 8))))
                .singleElement().asString()
                .contains("batch").contains("PENDING").contains("cli-gpu").contains("cpu=2 mem=8G cuda.device=1")
                .contains("ago").containsAnyOf("waiting to be scheduled", "no live agent in the group");
    }

    @Test
    void psJsonIsTheSessionsTheApiReturned() {
        String id = pendingSession();
        Run ps = sluice(alice, "ps", "--json");
        assertThat(ps.exit()).as(ps.toString()).isZero();
        JsonNode items = ps.json();
        assertThat(items.isArray()).isTrue();
        JsonNode mine = null;
        for (JsonNode s : items) {
            if (s.path("id").asText().equals(id)) {
                mine = s;
            }
        }
        assertThat(mine).as("session %s in %s", id, ps.out()).isNotNull();
        assertThat(mine.path("status").asText()).isEqualTo("PENDING");
        assertThat(mine.path("resource_slots").path("mem").asText()).isEqualTo("8589934592");
    }

    @Test
    void sessionGetShowsTheSession() {
        String id = pendingSession();
        Run got = sluice(alice, "session", "get", id);
        assertThat(got.exit()).as(got.toString()).isZero();
        assertThat(got.out()).contains(id).contains("PENDING").contains("python:3.12").contains("python train.py");
        assertThat(sluice(alice, "session", "get", id, "--json").json().path("id").asText()).isEqualTo(id);
    }

    @Test
    void sessionHistoryShowsItWasPending() {
        String id = pendingSession();
        Run history = sluice(alice, "session", "history", id);
        assertThat(history.exit()).as(history.toString()).isZero();
        assertThat(history.out().lines()).hasSize(2);
        assertThat(history.out().lines().skip(1).findFirst().orElseThrow()).startsWith("PENDING").contains("ago");
    }

    @Test
    void destroyCancelsAPendingSessionAndASecondDestroyIsRefused() {
        String id = pendingSession();
        Run destroyed = sluice(alice, "session", "destroy", id);
        assertThat(destroyed.exit()).as(destroyed.toString()).isZero();
        assertThat(destroyed.out()).contains("CANCELLED");
        assertThat(sluice(alice, "session", "get", id, "--json").json().path("status").asText()).isEqualTo("CANCELLED");
        assertThat(sluice(alice, "session", "history", id).out()).contains("PENDING").contains("CANCELLED");

        Run again = sluice(alice, "session", "destroy", id);
        assertThat(again.exit()).as(again.toString()).isEqualTo(1);
        assertThat(again.err()).startsWith("error: ").contains("already ended");
    }

    @Test
    void anotherUsersSessionIsNotFound() {
        String id = pendingSession();
        Run asBob = sluice(bob, "session", "get", id);
        assertThat(asBob.exit()).as(asBob.toString()).isEqualTo(1);
        assertThat(asBob.err()).startsWith("error: ").contains("no session '" + id + "'");
        assertThat(asBob.out()).isEmpty();
    }

    @Test
    void aUserCannotCreateAResourceGroup() {
        Run refused = sluice(alice, "resource-group", "create", "cli-mine");
        assertThat(refused.exit()).as(refused.toString()).isEqualTo(1);
        assertThat(refused.err()).startsWith("error: ").contains("admin");
        assertThat(sluice(admin, "resource-group", "get", "cli-mine").exit()).isEqualTo(1);
    }

    /** Issue 17, item 1: an admin sets a group's instance catalog from a file and reads it back; a user may not read it. */
    @Test
    void anAdminSetsAndShowsAGroupsInstanceCatalog(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws IOException {
        java.nio.file.Path file = dir.resolve("fleet.json");
        java.nio.file.Files.writeString(file, FleetApiIT.CATALOG);
        Run set = sluice(admin, "resource-group", "fleet", "set", "cli-gpu", "--file", file.toString());
        assertThat(set.exit()).as(set.toString()).isZero();
        assertThat(set.out()).contains("0 to 6").contains("g5.xlarge").contains("32.7726");
        Run shown = sluice(admin, "resource-group", "fleet", "show", "cli-gpu", "--json");
        assertThat(shown.exit()).as(shown.toString()).isZero();
        assertThat(shown.json().path("instance_types").get(0).path("spot_price").asText()).isEqualTo("0.4");
        Run refused = sluice(alice, "resource-group", "fleet", "show", "cli-gpu");
        assertThat(refused.exit()).as(refused.toString()).isEqualTo(1);
        assertThat(refused.err()).startsWith("error: ").contains("admin");
    }

    @Test
    void aBadRequestNamesTheFieldAtFault() {
        Run refused = sluice(alice, "session", "create", "--image", "python:3.12", "--type", "batch", "--group", "cli-gpu",
                "--slot", "cpu=2", "--slot", "mem=8g");
        assertThat(refused.exit()).as(refused.toString()).isEqualTo(1);
        assertThat(refused.err()).as("the message is a sentence naming its field, printed on its own")
                .isEqualTo("error: startup_command is required for a batch session.\n");
    }

    /** Issue 14, item 3: both would be SLUICE_MOUNT_X_Y in the workload's environment, pointing at one of them. */
    @Test
    void mountsWhoseEnvironmentVariablesWouldCollideAreRefusedNamingTheSecond() {
        Run refused = sluice(alice, "session", "create", "--image", "python:3.12", "--type", "batch", "--group", "cli-gpu",
                "--slot", "cpu=1", "--slot", "mem=1g", "--command", "true", "--mount", "x.y", "--mount", "x-y");
        assertThat(refused.exit()).as(refused.toString()).isEqualTo(1);
        assertThat(refused.err()).startsWith("error: mounts[1] ").contains("SLUICE_MOUNT_X_Y").contains("'x.y'").contains("'x-y'")
                .as("the message names its field, so the CLI adds no '(field: ...)'").doesNotContain("(field:");
    }

    @Test
    void anUnreachableEndpointIsExitTwo() throws IOException {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        String url = "http://127.0.0.1:" + closed + "/_aws/execute-api/none/v1";
        Run run = sluiceAt(url, alice, "ps");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("Cannot reach the Sluice API at " + url).contains("connection refused");
    }

    @Test
    void aBadTokenIsNotAuthenticated() {
        Run run = sluice("not.a.token", "ps");
        assertThat(run.exit()).as(run.toString()).isIn(1, 2);
        assertThat(run.err()).startsWith("not authenticated: ").contains("sluice configure --token");
    }

    @Test
    void aFolderIsUploadedClonedWithLiveProgressAndDownloadedByteForByte(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        String source = "cli-src-" + UUID.randomUUID().toString().substring(0, 8);
        java.nio.file.Path up = dir.resolve("up");
        java.nio.file.Files.createDirectories(up.resolve("nested"));
        java.nio.file.Files.writeString(up.resolve("readme.txt"), "hello folders");
        byte[] big = new byte[(int) LocalStack.CLONE_MULTIPART_THRESHOLD + 1_000_000];
        new java.util.Random(3).nextBytes(big);
        java.nio.file.Files.write(up.resolve("nested/weights.bin"), big);
        for (int i = 0; i < 250; i++) {
            java.nio.file.Files.writeString(up.resolve("nested/part-" + i + ".txt"), "part " + i);
        }
        Run created = sluice(alice, "folder", "create", source, "--usage-mode", "model", "--cloneable");
        assertThat(created.exit()).as(created.toString()).isZero();
        Run uploaded = sluice(alice, "folder", "upload", source, up.toString());
        assertThat(uploaded.exit()).as(uploaded.toString()).isZero();
        assertThat(uploaded.out()).contains("uploaded 252 file(s)");

        // Followed through the runtime's streaming endpoint, as on AWS through the streaming function.
        String target = source + "-copy";
        Run cloned = sluice(alice, "folder", "clone", source, target, "--watch", "--events-url", "http://127.0.0.1:" + local.runtime.port());
        assertThat(cloned.exit()).as(cloned.toString()).isZero();
        assertThat(cloned.out()).contains("done: 252 objects");
        assertThat(cloned.err()).contains("252/252 objects").contains("ETA");

        // Followed through the API Gateway, which buffers: one state per connection, reconnecting.
        Run again = sluice(alice, "folder", "clone", source, source + "-again", "--watch");
        assertThat(again.exit()).as(again.toString()).isZero();
        assertThat(again.out()).contains("done: 252 objects");

        java.nio.file.Path down = dir.resolve("down");
        Run downloaded = sluice(alice, "folder", "download", target, down.toString());
        assertThat(downloaded.exit()).as(downloaded.toString()).isZero();
        assertThat(java.nio.file.Files.readString(down.resolve("readme.txt"))).isEqualTo("hello folders");
        assertThat(java.nio.file.Files.readAllBytes(down.resolve("nested/weights.bin"))).isEqualTo(big);
        assertThat(java.nio.file.Files.readString(down.resolve("nested/part-249.txt"))).isEqualTo("part 249");
        assertThat(sluice(alice, "folder", "ls", target).out()).contains("nested/weights.bin");

        Run failed = sluice(alice, "folder", "clone", source + "-nope", "x", "--watch");
        assertThat(failed.exit()).isEqualTo(1);
        assertThat(failed.err()).contains("no folder named");
        Run tasks = sluice(alice, "task", "ls");
        assertThat(tasks.out()).contains("folder-clone").contains("done");
    }

    /**
     * Issue #14 item 7: a folder holding a file and a directory of one path (made before uploads refused it) downloads
     * until the file that cannot be written, and the CLI says why and what it wrote, on a line of its own.
     */
    @Test
    void aDownloadThatCannotWriteAFileSaysWhyAndWhatItWrote(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        String name = "clash-" + UUID.randomUUID().toString().substring(0, 8);
        assertThat(sluice(alice, "folder", "create", name).exit()).isZero();
        String id = new ApiClient(local.apiUrl).get("/folders/" + name, alice).json().path("id").asText();
        String bucket = local.functionEnvironment().get("FOLDER_BUCKET");
        try (software.amazon.awssdk.services.s3.S3Client s3 = software.amazon.awssdk.services.s3.S3Client.builder().forcePathStyle(true).build()) {
            for (String path : java.util.List.of("a", "a/b", "c")) {
                s3.putObject(b -> b.bucket(bucket).key("folders/" + id + "/" + path),
                        software.amazon.awssdk.core.sync.RequestBody.fromString("bytes"));
            }
        }
        java.nio.file.Path root = dir.toAbsolutePath().normalize();
        Run r = sluice(alice, "folder", "download", name, root.toString());
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        String[] lines = r.err().split("\\R");
        assertThat(lines[lines.length - 1]).isEqualTo("error: Cannot write " + root.resolve("a/b") + ": " + root.resolve("a")
                + " is a file where a directory is needed (the folder holds a file and a directory of the same path, which no"
                + " local directory can). Wrote 1 of 3 file(s) (5 B) into " + root + " before it; the file and the 1 after it"
                + " were not written.");
    }
}
