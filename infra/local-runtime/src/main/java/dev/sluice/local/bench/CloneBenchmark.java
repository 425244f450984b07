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
    /** Rounds of the baseline and of the clone, alternating. */
    static final int ROUNDS = 3;

    private CloneBenchmark() {
    }

    /** One clone round: its time, its page progress delays, and what Step Functions ran for it (counted from the service). */
    public record CloneRound(double seconds, List<Long> delays, int executions, int transitions) {
    }

    public record Report(int objects, long bytes, List<CloneRound> clones, List<Double> loops, int pageSize, int pagesPerExecution, long threshold,
                         List<String> load) {
        String markdown() {
            double mb = bytes / 1e6;
            List<Double> cloneSeconds = clones.stream().map(CloneRound::seconds).toList();
            double clone = median(cloneSeconds);
            double loop = median(loops);
            List<Long> delays = new ArrayList<>();
            clones.forEach(c -> delays.addAll(c.delays()));
            Stats eventDelay = Stats.of(delays);
            List<String> ratios = new ArrayList<>();
            for (int i = 0; i < clones.size(); i++) {
                ratios.add(String.format("%.0f%%", 100 * loops.get(i) / cloneSeconds.get(i)));
            }
            return String.join("\n",
                    String.format("A folder of %,d objects (%,.1f MB: 1 B to 32 KiB each, and one of %d MiB, above the %d MiB multipart-copy "
                                    + "threshold), pages of %d, %d pages per execution, %d copies at a time in both rows. %d rounds of the "
                                    + "baseline and %d of the clone, alternating (baseline first), each clone into a new folder.",
                            objects, mb, BIG >> 20, threshold >> 20, pageSize, pagesPerExecution, CONCURRENCY, loops.size(), clones.size()),
                    "",
                    "| | median time | objects/s | MB/s | every round |",
                    "|---|---|---|---|---|",
                    String.format("| **clone** (`POST /folders/{name}/clone` until the SSE client reads `done`: Step Functions, a Lambda task a page, "
                                    + "progress write and event a page, verification) | %.2f s | %,.0f | %.1f | %s |",
                            clone, objects / clone, mb / clone, seconds(cloneSeconds)),
                    String.format("| baseline: a plain loop of the same S3 copies (list, CopyObject / UploadPartCopy), same concurrency, same emulator "
                                    + "| %.2f s | %,.0f | %.1f | %s |", loop, objects / loop, mb / loop, seconds(loops)),
                    String.format("| **clone / baseline** (median baseline time / median clone time) — goal at least 80%% | %.0f%% | | | "
                            + "each round against the baseline run just before it: %s |", 100 * loop / clone, String.join(", ", ratios)),
                    "",
                    "| a page's progress write (task `updated_at`) to its event read by the SSE client (bus -> SQS -> runtime stream) | p50 | p90 | p99 | max |",
                    "|---|---|---|---|---|",
                    eventDelay.row("progress event delay, " + eventDelay.count() + " pages over all clone rounds — goal p50 < 1 s"),
                    "",
                    String.format("Counted from Step Functions for each clone (ListExecutions of the clone state machine, the executions named for "
                                    + "the clone's task, and GetExecutionHistory of each): %s. The clone's own work per page beyond the copies is one "
                                    + "ListObjectsV2, one conditional UpdateItem and one PutEvents; the Lambda task and the state transitions add "
                                    + "the rest. Machine load (1-minute load average) before each round: %s.",
                            clones.stream().map(c -> c.executions() + " execution(s), " + c.transitions() + " state transitions (StateEntered events)")
                                    .collect(java.util.stream.Collectors.joining("; ")), String.join(", ", load)));
        }
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private static String seconds(List<Double> values) {
        return values.stream().map(v -> String.format("%.2f", v)).collect(java.util.stream.Collectors.joining(", ")) + " s";
    }

    public static Report run(LocalRuntime runtime, LocalDeployer.DeployedStack stack) throws Exception {
        Map<String, String> env = runtime.host().bindings().values().iterator().next().environment();
        FolderPlane plane = dev.sluice.adapters.Wiring.fromEnvironment(env).folders();
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

        // Rounds: the baseline (a plain loop of the same copies with the same concurrency), then a clone, alternating.
        FolderStorage storage = plane.storage();
        String stateMachine = env.get("CLONE_STATE_MACHINE_ARN");
        List<CloneRound> clones = new ArrayList<>();
        List<Double> loops = new ArrayList<>();
        List<String> load = new ArrayList<>();
        try (software.amazon.awssdk.services.sfn.SfnClient sfn = software.amazon.awssdk.services.sfn.SfnClient.builder()
                .httpClient(dev.sluice.adapters.aws.AwsClients.httpClient()).build()) {
            for (int round = 0; round < ROUNDS; round++) {
                load.add(loadAverage());
                loops.add(plainLoop(storage, prefix, pool));
                clones.add(clone(runtime, http, api, token, source, source + "-copy" + round, sfn, stateMachine));
            }
        } finally {
            pool.shutdown();
        }
        return new Report(OBJECTS, bytes, clones, loops, Integer.parseInt(env.get("CLONE_PAGE_SIZE")),
                Integer.parseInt(env.get("CLONE_PAGES_PER_EXECUTION")), Long.parseLong(env.get("CLONE_MULTIPART_THRESHOLD")), load);
    }

    /** One clone through the API, followed by an SSE client on the runtime's stream until its final event. */
    private static CloneRound clone(LocalRuntime runtime, HttpClient http, String api, String token, String source, String target,
                                    software.amazon.awssdk.services.sfn.SfnClient sfn, String stateMachine) throws Exception {
        long t = System.nanoTime();
        JsonNode started = call(http, "POST", api + "/folders/" + source + "/clone", token, "{\"target_name\":\"" + target + "\"}");
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
        double seconds = (System.nanoTime() - t) / 1e9;
        if (last == null || !last.path("status").asText().equals("done")) {
            throw new IllegalStateException("the benchmark clone did not finish: " + last);
        }
        if (delays.isEmpty()) {
            throw new IllegalStateException("no page progress event reached the stream");
        }
        // What Step Functions ran for this clone: its executions are named for its task (CloneJob.executionName).
        List<String> executions = new ArrayList<>();
        for (var page : sfn.listExecutionsPaginator(b -> b.stateMachineArn(stateMachine))) {
            page.executions().stream().filter(e -> e.name().startsWith("clone-" + taskId + "-")).forEach(e -> executions.add(e.executionArn()));
        }
        int events = 0;
        for (String arn : executions) {
            for (var page : sfn.getExecutionHistoryPaginator(b -> b.executionArn(arn))) {
                events += (int) page.events().stream().filter(e -> e.typeAsString().endsWith("StateEntered")).count();
            }
        }
        if (executions.isEmpty()) {
            throw new IllegalStateException("Step Functions lists no execution for the clone task " + taskId);
        }
        return new CloneRound(seconds, delays, executions.size(), events);
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
