package dev.sluice.local.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.adapters.FolderPlane;
import dev.sluice.adapters.json.Json;
import dev.sluice.core.port.FolderStorage;
import dev.sluice.local.LocalDeployer;
import dev.sluice.local.LocalRuntime;
import dev.sluice.local.LocalUsers;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Folder clone through the whole path (API, Step Functions, the copy-page Lambda task, progress on the task, events on
 * the bus, the server-sent-events stream), against a plain loop of the same S3 copies with the same concurrency,
 * measured in the same run; and the delay from a page's progress write to its event reaching an SSE client.
 */
public final class CloneBenchmark {
    static final int OBJECTS = 10_000;
    static final int CONCURRENCY = 32;
    static final long BIG = 20L * 1024 * 1024;

    private CloneBenchmark() {
    }

    public record Report(int objects, long bytes, double cloneSeconds, double loopBefore, double loopAfter, Stats eventDelay, int executions,
                         int pageSize, int pagesPerExecution, long threshold, String load) {
        String markdown() {
            double mb = bytes / 1e6;
            double loopSeconds = (loopBefore + loopAfter) / 2;
            return String.join("\n",
                    String.format("A folder of %,d objects (%,.1f MB: 1 B to 32 KiB each, and one of %d MiB, above the %d MiB multipart-copy "
                                    + "threshold), pages of %d, %d pages per execution, %d copies at a time in both rows.",
                            objects, mb, BIG >> 20, threshold >> 20, pageSize, pagesPerExecution, CONCURRENCY),
                    "",
                    "| | time | objects/s | MB/s |",
                    "|---|---|---|---|",
                    String.format("| **clone** (`POST /folders/{name}/clone` until the SSE client reads `done`: Step Functions, a Lambda task a page, "
                                    + "progress write and event a page, verification) | %.2f s | %,.0f | %.1f |",
                            cloneSeconds, objects / cloneSeconds, mb / cloneSeconds),
                    String.format("| baseline: a plain loop of the same S3 copies (list, CopyObject / UploadPartCopy), same concurrency, same emulator; "
                                    + "mean of one run before the clone (%.2f s) and one after (%.2f s) | %.2f s | %,.0f | %.1f |",
                            loopBefore, loopAfter, loopSeconds, objects / loopSeconds, mb / loopSeconds),
                    String.format("| **clone / baseline** — goal at least 80%% | %.0f%% | | |", 100 * loopSeconds / cloneSeconds),
                    "",
                    "| a page's progress write (task `updated_at`) to its event read by the SSE client (bus -> SQS -> runtime stream) | p50 | p90 | p99 | max |",
                    "|---|---|---|---|---|",
                    eventDelay.row("progress event delay, " + eventDelay.count() + " pages — goal p50 < 1 s"),
                    "",
                    String.format("The copy ran in %d Step Functions execution(s). The clone's own work per page beyond the copies is one "
                            + "ListObjectsV2, one conditional UpdateItem and one PutEvents; the Lambda task and the state transitions add "
                            + "the rest. Machine load (1-minute load average) at the start and the end of this benchmark: %s; "
                            + "the machine is shared, so the two baseline runs are reported to show the spread.", executions, load));
        }
    }

    public static Report run(LocalRuntime runtime, LocalDeployer.DeployedStack stack) throws Exception {
        String loadBefore = loadAverage();
        Map<String, String> env = runtime.host().bindings().values().iterator().next().environment();
        FolderPlane plane = FolderPlane.fromEnvironment(env);
        String bucket = env.get("FOLDER_BUCKET");
        String api = LocalRuntime.apiUrl(stack);
        String token = LocalUsers.of(stack).token("bench-clone", List.of("users"));
        HttpClient http = HttpClient.newHttpClient();
        String source = "bench-" + UUID.randomUUID().toString().substring(0, 8);
        JsonNode folder = call(http, "POST", api + "/folders", token, "{\"name\":\"" + source + "\",\"cloneable\":true}");
        String prefix = "folders/" + folder.path("id").asText() + "/";

        long bytes = 0;
        ExecutorService pool = Executors.newFixedThreadPool(CONCURRENCY, r -> {
            Thread t = new Thread(r, "bench-clone-copier");
            t.setDaemon(true); // a failed run must not leave the JVM waiting on it
            return t;
        });
        try (S3Client s3 = S3Client.builder().forcePathStyle(true).build()) {
            Random random = new Random(42);
            List<Future<?>> puts = new ArrayList<>();
            for (int i = 0; i < OBJECTS; i++) {
                byte[] data = new byte[i == 0 ? (int) BIG : random.nextInt(32 * 1024)];
                random.nextBytes(data);
                bytes += data.length;
                String key = prefix + "d" + (i % 10) + "/f" + i;
                puts.add(pool.submit(() -> s3.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(data))));
            }
            for (Future<?> f : puts) {
                f.get();
            }
        }

        // Baseline: the same copies, in a plain loop with the same concurrency (measured before and after the clone).
        FolderStorage storage = plane.storage();
        double loopBefore = plainLoop(storage, prefix, pool);

        // The clone, followed by an SSE client on the runtime's stream.
        long t = System.nanoTime();
        JsonNode started = call(http, "POST", api + "/folders/" + source + "/clone", token, "{\"target_name\":\"" + source + "-copy\"}");
        String taskId = started.path("task_id").asText();
        List<Long> delays = new ArrayList<>();
        JsonNode last = null;
        HttpResponse<InputStream> stream = http.send(HttpRequest.newBuilder(URI.create(runtime.taskEventsUrl(taskId)))
                .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofInputStream());
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
            String line;
            String event = "";
            while ((line = lines.readLine()) != null) {
                if (line.startsWith("event:")) {
                    event = line.substring(6).strip();
                } else if (line.startsWith("data:")) {
                    Instant received = Instant.now();
                    last = Json.MAPPER.readTree(line.substring(5));
                    if (event.equals("progress") && last.path("progress").path("message").asText().startsWith("copied page")) {
                        delays.add(java.time.Duration.between(Instant.parse(last.path("updated_at").asText()), received).toNanos());
                    }
                    if (!event.equals("progress")) {
                        break;
                    }
                }
            }
        }
        double cloneSeconds = (System.nanoTime() - t) / 1e9;
        double loopAfter = plainLoop(storage, prefix, pool);
        pool.shutdown();
        if (last == null || !last.path("status").asText().equals("done")) {
            throw new IllegalStateException("the benchmark clone did not finish: " + last);
        }
        if (delays.isEmpty()) {
            throw new IllegalStateException("no page progress event reached the stream");
        }
        int pageSize = Integer.parseInt(env.get("CLONE_PAGE_SIZE"));
        int pagesPerExecution = Integer.parseInt(env.get("CLONE_PAGES_PER_EXECUTION"));
        int pages = (OBJECTS + pageSize - 1) / pageSize;
        return new Report(OBJECTS, bytes, cloneSeconds, loopBefore, loopAfter, Stats.of(delays), (pages + pagesPerExecution - 1) / pagesPerExecution,
                pageSize, pagesPerExecution, Long.parseLong(env.get("CLONE_MULTIPART_THRESHOLD")), loadBefore + " and " + loadAverage());
    }

    private static String loadAverage() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ")[0];
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }

    /** Copies every object under the prefix to a scratch prefix with the pool, then removes the copies; seconds. */
    private static double plainLoop(FolderStorage storage, String prefix, ExecutorService pool) throws Exception {
        String scratch = "bench-baseline/" + UUID.randomUUID() + "/";
        long t = System.nanoTime();
        Optional<String> token = Optional.empty();
        List<Future<Long>> copies = new ArrayList<>();
        do {
            FolderStorage.ListPage page = storage.list(prefix, token, 1000);
            for (FolderStorage.StoredObject o : page.objects()) {
                copies.add(pool.submit(() -> storage.copy(o.key(), scratch + o.key().substring(prefix.length()), o.size(), java.time.Instant.MAX)));
            }
            token = page.nextToken();
        } while (token.isPresent());
        for (Future<Long> f : copies) {
            f.get();
        }
        double seconds = (System.nanoTime() - t) / 1e9;
        storage.deletePrefix(scratch);
        return seconds;
    }

    private static JsonNode call(HttpClient http, String method, String url, String token, String body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 != 2) {
            throw new IllegalStateException(method + " " + url + " answered " + r.statusCode() + ": " + r.body());
        }
        return Json.MAPPER.readTree(r.body());
    }

    /** Runs only this benchmark (against the emulator named by AWS_ENDPOINT_URL) and writes its section. */
    public static void main(String[] args) throws Exception {
        java.nio.file.Path root = java.nio.file.Path.of(args.length > 0 ? args[0] : ".").toAbsolutePath().normalize();
        try (LocalRuntime runtime = LocalRuntime.start(0)) {
            LocalDeployer.DeployedStack stack = runtime.deployAndServe(root, "sluice", LocalRuntime.endpoint());
            Benchmarks.write(root, "folder-clone", "Folder clone (issue #6)", run(runtime, stack).markdown());
        }
    }
}
