package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The folder and task commands against an API served in this JVM. */
class FolderCommandTest {
    private FakeApi api;
    private CliRun cli;

    @BeforeEach
    void start() throws IOException {
        api = new FakeApi();
        cli = new CliRun(Map.of("SLUICE_API", api.url(), "SLUICE_TOKEN", "tok-alice"));
    }

    @AfterEach
    void stop() {
        api.close();
    }

    static String folder(String name, String status) {
        return """
                {"id":"f-1","name":"%s","host":"s3","owner":"alice","usage_mode":"model","permission":"rw","cloneable":true,
                 "status":"%s","created_at":"2026-03-01T11:59:00Z","status_history":[]}""".formatted(name, status);
    }

    static String task(String status, long done, long total, String error) {
        return """
                {"id":"t-1","kind":"folder-clone","owner":"alice","status":"%s","progress":{"phase":"transferring",
                 "objects_done":%d,"objects_total":%d,"bytes_done":%d,"bytes_total":%d,"message":"m"},
                 "created_at":"2026-03-01T11:59:00Z","updated_at":"2026-03-01T11:59:00Z","finished_at":null,"result":{},
                 "error":%s,"sequence":%d}""".formatted(status, done, total, done * 10, total * 10,
                error == null ? "null" : "\"" + error + "\"", done + 1).replace("\n", "");
    }

    static String event(String type, String task) {
        return "id: " + task.hashCode() + "\nevent: " + type + "\ndata: " + task + "\n\n";
    }

    @Test
    void createSendsTheFolderAsAsked() throws Exception {
        api.on("POST", "/folders", 201, folder("data", "ready"));
        CliRun.Result r = cli.run("folder", "create", "data", "--usage-mode", "model", "--cloneable");
        assertThat(r.exit()).as(r.toString()).isZero();
        JsonNode body = Json.MAPPER.readTree(api.only().body());
        assertThat(body.path("name").asText()).isEqualTo("data");
        assertThat(body.path("usage_mode").asText()).isEqualTo("model");
        assertThat(body.path("cloneable").asBoolean()).isTrue();
        assertThat(r.out()).contains("Status:").contains("ready");
        assertThat(cli.run("folder", "create", "x", "--usage-mode", "weights").exit()).isEqualTo(2);
    }

    @Test
    void cloneWatchFollowsTheStreamAcrossReconnectsAndDrawsTheProgress() {
        api.on("POST", "/folders/src/clone", 202, "{\"task_id\":\"t-1\",\"task\":" + task("started", 0, 0, null)
                + ",\"target\":" + folder("dst", "cloning") + "}");
        // Through a buffering gateway each connection brings one state: the command reconnects until the final one.
        api.on("GET", "/tasks/t-1/events", 200,
                "retry: 500\n\n" + event("progress", task("started", 1, 4, null)),
                event("progress", task("started", 1, 4, null)) + event("progress", task("started", 3, 4, null)),
                event("done", task("done", 4, 4, null)));
        CliRun.Result r = cli.run("folder", "clone", "src", "dst", "--watch");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("t-1").contains("done: 4 objects");
        assertThat(r.err()).contains("3/4 objects").contains("4/4 objects").contains("ETA");
        assertThat(cli.pauses).contains(Duration.ofMillis(500));
        assertThat(api.requests.stream().filter(q -> q.path().endsWith("/events")).skip(1).findFirst().orElseThrow().header("Last-Event-ID"))
                .as("a reconnect resumes after the last event").isNotNull();
    }

    @Test
    void watchingAFailedCloneExitsNonZeroWithItsError() {
        api.on("GET", "/tasks/t-1/events", 200, event("failed", task("failed", 2, 4, "the source changed")));
        CliRun.Result r = cli.run("task", "watch", "t-1");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).endsWith("\nerror: The task t-1 failed: the source changed.\n");
    }

    @Test
    void watchingAnUnknownTaskIsTheApisRefusal() {
        CliRun.Result r = cli.run("task", "watch", "nope");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("no such route");
    }

    @Test
    void uploadSendsEveryFileOfADirectoryToItsPresignedUrl(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("sub"));
        Files.writeString(dir.resolve("a.txt"), "alpha");
        Files.writeString(dir.resolve("sub/b.txt"), "beta!");
        api.on("POST", "/folders/data/uploads", 200, "{\"path\":\"x\",\"method\":\"PUT\",\"url\":\"" + api.url() + "/s3/put\",\"expires_in\":3600}");
        api.on("PUT", "/s3/put", 200, "");
        CliRun.Result r = cli.run("folder", "upload", "data", dir.toString(), "--to", "in");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(api.requests.stream().filter(q -> q.method().equals("POST")).map(q -> q.body().replaceAll(".*\"path\":\"([^\"]*)\".*", "$1")))
                .containsExactly("in/a.txt", "in/sub/b.txt");
        assertThat(api.requests.stream().filter(q -> q.method().equals("PUT")).map(FakeApi.Request::body)).containsExactly("alpha", "beta!");
        assertThat(api.requests.stream().filter(q -> q.method().equals("PUT")).map(q -> q.header("Authorization")))
                .as("presigned URLs carry no token").containsOnlyNulls();
        assertThat(r.err()).contains("2/2 objects");
        assertThat(r.out()).contains("uploaded 2 file(s), 10 B to data");
    }

    @Test
    void aFileGivenByARelativePathIsUploadedUnderItsName() throws Exception {
        Path file = Files.createTempFile(Path.of("target"), "relative-", ".bin");
        try {
            Files.writeString(file, "relative");
            Path relative = Path.of("").toAbsolutePath().relativize(file.toAbsolutePath());
            assertThat(relative.isAbsolute()).isFalse();
            api.on("POST", "/folders/data/uploads", 200, "{\"path\":\"x\",\"method\":\"PUT\",\"url\":\"" + api.url() + "/s3/put\",\"expires_in\":3600}");
            api.on("PUT", "/s3/put", 200, "");
            CliRun.Result r = cli.run("folder", "upload", "data", relative.toString());
            assertThat(r.exit()).as(r.toString()).isZero();
            assertThat(api.requests.stream().filter(q -> q.method().equals("POST")).map(q -> q.body().replaceAll(".*\"path\":\"([^\"]*)\".*", "$1")))
                    .containsExactly(file.getFileName().toString());
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @Test
    void aMultipartUploadAsksForItsPartUrlsPageByPageAndCompletesWithEveryPart(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("big.bin"), "aaaabbbbcc");
        String url = api.url() + "/s3/part";
        api.on("POST", "/folders/data/uploads", 200,
                "{\"path\":\"big.bin\",\"method\":\"multipart\",\"expires_in\":3600,\"upload_id\":\"u-1\",\"part_size\":4,"
                        + "\"part_count\":3,\"parts\":[{\"number\":1,\"url\":\"" + url + "\"},{\"number\":2,\"url\":\"" + url + "\"}],\"next_part\":3}",
                "{\"path\":\"big.bin\",\"method\":\"multipart\",\"expires_in\":3600,\"upload_id\":\"u-1\",\"part_size\":4,"
                        + "\"part_count\":3,\"parts\":[{\"number\":3,\"url\":\"" + url + "\"}],\"next_part\":null}");
        api.on("PUT", "/s3/part", 200, "");
        api.on("POST", "/folders/data/uploads/complete", 200, "{\"path\":\"big.bin\",\"status\":\"complete\"}");
        CliRun.Result r = cli.run("folder", "upload", "data", dir.resolve("big.bin").toString());
        assertThat(r.exit()).as(r.toString()).isZero();
        java.util.List<FakeApi.Request> asks = api.requests.stream().filter(q -> q.path().equals("/folders/data/uploads")).toList();
        assertThat(asks).hasSize(2);
        JsonNode second = Json.MAPPER.readTree(asks.get(1).body());
        assertThat(second.path("upload_id").asText()).isEqualTo("u-1");
        assertThat(second.path("first_part").asInt()).isEqualTo(3);
        assertThat(second.path("size").asLong()).isEqualTo(10);
        assertThat(api.requests.stream().filter(q -> q.method().equals("PUT")).map(FakeApi.Request::body)).containsExactly("aaaa", "bbbb", "cc");
        JsonNode done = Json.MAPPER.readTree(api.requests.stream().filter(q -> q.path().endsWith("/complete")).findFirst().orElseThrow().body());
        assertThat(done.path("upload_id").asText()).isEqualTo("u-1");
        assertThat(done.path("parts").findValues("number")).extracting(JsonNode::asInt).containsExactly(1, 2, 3);
    }

    @Test
    void downloadWritesEveryFileUnderTheDirectory(@TempDir Path dir) throws Exception {
        api.on("GET", "/folders/data/files", 200, "{\"items\":[{\"path\":\"a.txt\",\"size\":5},{\"path\":\"d/b.txt\",\"size\":5}],\"next_cursor\":null}");
        api.on("GET", "/folders/data/download", 200, "{\"path\":\"x\",\"method\":\"GET\",\"url\":\"" + api.url() + "/s3/get\",\"expires_in\":3600}");
        api.on("GET", "/s3/get", 200, "bytes");
        CliRun.Result r = cli.run("folder", "download", "data", dir.toString());
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(Files.readString(dir.resolve("d/b.txt"), StandardCharsets.UTF_8)).isEqualTo("bytes");
        assertThat(Files.readString(dir.resolve("a.txt"), StandardCharsets.UTF_8)).isEqualTo("bytes");
    }

    /** Issue #14 item 7: a file that cannot be written locally stops the download with the reason and what was written. */
    @Test
    void aFileThatCannotBeWrittenStopsTheDownloadSayingWhyAndWhatWasWritten(@TempDir Path dir) throws Exception {
        api.on("GET", "/folders/data/files", 200, "{\"items\":[{\"path\":\"a\",\"size\":5},{\"path\":\"a/b\",\"size\":5},"
                + "{\"path\":\"c\",\"size\":5}],\"next_cursor\":null}");
        api.on("GET", "/folders/data/download", 200, "{\"path\":\"x\",\"method\":\"GET\",\"url\":\"" + api.url() + "/s3/get\",\"expires_in\":3600}");
        api.on("GET", "/s3/get", 200, "bytes");
        CliRun.Result r = cli.run("folder", "download", "data", dir.toString());
        assertThat(r.exit()).as(r.toString()).isNotZero();
        Path root = dir.toAbsolutePath().normalize();
        String[] lines = r.err().split("\\R");
        // On its own line, not after the progress bar's carriage return.
        assertThat(lines[lines.length - 1]).isEqualTo("error: Cannot write " + root.resolve("a/b") + ": " + root.resolve("a")
                + " is a file where a directory is needed (the folder holds a file and a directory of the same path, which no"
                + " local directory can). Wrote 1 of 3 file(s) (5 B) into " + root + " before it; the file and the 1 after it"
                + " were not written.");
        assertThat(Files.readString(root.resolve("a"))).isEqualTo("bytes");
        assertThat(Files.exists(root.resolve("c"))).isFalse();
    }

    @Test
    void aDirectoryWhereAFileGoesIsNamedToo(@TempDir Path dir) throws Exception {
        api.on("GET", "/folders/data/files", 200, "{\"items\":[{\"path\":\"d/e\",\"size\":5},{\"path\":\"d\",\"size\":5}],\"next_cursor\":null}");
        api.on("GET", "/folders/data/download", 200, "{\"path\":\"x\",\"method\":\"GET\",\"url\":\"" + api.url() + "/s3/get\",\"expires_in\":3600}");
        api.on("GET", "/s3/get", 200, "bytes");
        CliRun.Result r = cli.run("folder", "download", "data", dir.toString());
        assertThat(r.exit()).as(r.toString()).isNotZero();
        String[] lines = r.err().split("\\R");
        assertThat(lines[lines.length - 1]).startsWith("error: Cannot write " + dir.toAbsolutePath().normalize().resolve("d") + ": ")
                .contains("is a directory where a file is needed").endsWith("Wrote 1 of 2 file(s) (5 B) into "
                        + dir.toAbsolutePath().normalize() + " before it; the file and the 0 after it were not written.");
    }

    @Test
    void theProgressLineShowsCountsRateAndTimeLeft() {
        String line = ProgressBar.line(500, 2000, 50L << 20, 200L << 20, Duration.ofSeconds(10), "transferring");
        assertThat(line).startsWith("[######..................]  25%")
                .contains("500/2,000 objects").contains("50.0 MiB/200.0 MiB").contains("50 obj/s").contains("5.0 MiB/s").contains("ETA 30s");
    }

    @Test
    void deleteShowsTheFolderAndWhenItGoesOnInTheBackgroundTheTaskToFollow() {
        api.on("DELETE", "/folders/small", 200, folder("small", "delete-complete"));
        CliRun.Result small = cli.run("folder", "delete", "small");
        assertThat(small.exit()).as(small.toString()).isZero();
        assertThat(small.out()).contains("delete-complete").doesNotContain("Task:");

        String removing = task("started", 1000, 0, null).replace("folder-clone", "folder-delete").replace("transferring", "removing");
        api.on("DELETE", "/folders/huge", 202, "{\"task_id\":\"t-1\",\"task\":" + removing + ",\"folder\":" + folder("huge", "delete-ongoing") + "}");
        api.on("GET", "/tasks/t-1/events", 200, event("done", task("done", 2300, 0, null).replace("transferring", "removing")));
        CliRun.Result huge = cli.run("folder", "delete", "huge");
        assertThat(huge.exit()).as(huge.toString()).isZero();
        assertThat(huge.out()).contains("delete-ongoing").contains("Task:          t-1").contains("sluice task watch t-1");

        CliRun.Result watched = cli.run("folder", "delete", "huge", "--watch");
        assertThat(watched.exit()).as(watched.toString()).isZero();
        assertThat(watched.out()).contains("done: 2300 objects");
    }
}
