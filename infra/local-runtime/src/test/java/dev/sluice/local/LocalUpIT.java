package dev.sluice.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Command 1 as a researcher runs it on a workstation: {@code sluice-local up --detach}, work, {@code sluice-local down},
 * {@code up} again — the folders with their files, the finished sessions and the webhooks are still there; a hard kill
 * loses at most the last snapshot interval; a stop leaves nothing running (the runtime, the agents it hosts, the
 * emulator). {@code up} starts no agent: the test launches an instance of the elastic group into the script's emulator
 * (RunInstances with the group tag, as the fleet does), and the runtime boots its agent. The script runs as a process, with its own
 * state directory and ports (the build is the one this test run made).
 */
class LocalUpIT {
    private static final Path SCRIPT = LocalStack.ROOT.resolve("infra/local/sluice-local");
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static Path state;
    private static int emulatorPort;
    private static int runtimePort;

    @BeforeAll
    static void ports() throws IOException {
        state = Files.createTempDirectory("sluice-local-up-");
        emulatorPort = freePort();
        runtimePort = freePort();
    }

    @AfterAll
    static void stop() throws Exception {
        run(List.of("down"), Duration.ofSeconds(60));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    record Result(int exit, String output, Duration took) {
    }

    private static Result run(List<String> args, Duration timeout) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(SCRIPT.toString()));
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.remove("AWS_ENDPOINT_URL"); // the script starts its own emulator, as on a workstation
        env.put("SLUICE_LOCAL_STATE", state.toString());
        env.put("SLUICE_EMULATOR_PORT", Integer.toString(emulatorPort));
        env.put("SLUICE_RUNTIME_PORT", Integer.toString(runtimePort));
        env.put("SLUICE_LOCAL_SKIP_BUILD", "1");
        env.put("SLUICE_LOCAL_NO_DEMO", "1");
        Path out = Files.createTempFile(state, "run-", ".log");
        pb.redirectOutput(out.toFile());
        Instant started = Instant.now();
        Process p = pb.start();
        if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("sluice-local " + args + " did not return within " + timeout + ":\n" + Files.readString(out));
        }
        return new Result(p.exitValue(), Files.readString(out), Duration.between(started, Instant.now()));
    }

    /** The API URL and tokens 'up' prints. */
    private static Map<String, String> up() throws Exception {
        Result r = run(List.of("up", "--detach"), Duration.ofMinutes(6));
        assertThat(r.exit()).as(r.output()).isZero();
        Map<String, String> exports = new HashMap<>();
        Matcher m = Pattern.compile("export (SLUICE_[A-Z_]+)=(\\S+)").matcher(r.output());
        while (m.find()) {
            exports.put(m.group(1), m.group(2));
        }
        assertThat(exports).as(r.output()).containsKeys("SLUICE_API", "SLUICE_TOKEN", "SLUICE_ADMIN_TOKEN");
        return exports;
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException closed) {
            return false;
        }
    }

    /**
     * Waits until the emulator's snapshot on disk (its state directory) holds {@code text}, instead of sleeping past
     * the snapshot interval and hoping one ran; fails the test when none has within {@code within}.
     */
    private static void awaitSnapshotHolding(String text, Duration within) throws Exception {
        Path dir = state.resolve("emulator/state");
        Instant deadline = Instant.now().plus(within);
        while (true) {
            if (Files.isDirectory(dir)) {
                try (var files = Files.walk(dir)) {
                    boolean held = files.filter(Files::isRegularFile).anyMatch(f -> {
                        try {
                            return Files.readString(f, java.nio.charset.StandardCharsets.ISO_8859_1).contains(text);
                        } catch (java.io.IOException replacedMeanwhile) {
                            return false;
                        }
                    });
                    if (held) {
                        return;
                    }
                } catch (java.io.UncheckedIOException replacedMeanwhile) {
                    // a file replaced while listed: look again
                }
            }
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("no snapshot in " + dir + " held '" + text + "' within " + within);
            }
            Thread.sleep(250);
        }
    }

    /** Processes of this 'up': the runtime (its --state on the command line) and the agents (their work directories). */
    private static List<Long> leftovers() {
        return ProcessHandle.allProcesses().filter(ph -> {
            String cmd = ph.info().commandLine().orElse("");
            String env = "";
            try {
                env = new String(Files.readAllBytes(Path.of("/proc/" + ph.pid() + "/environ")), StandardCharsets.UTF_8);
            } catch (IOException | RuntimeException gone) {
                // ended meanwhile, or not ours to read
            }
            return cmd.contains(state.toString()) || env.contains(state.toString());
        }).map(ProcessHandle::pid).toList();
    }

    private static void down() throws Exception {
        Result r = run(List.of("down"), Duration.ofSeconds(60));
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.took()).as("a stop takes a few seconds: " + r.output()).isLessThan(Duration.ofSeconds(20));
        assertThat(listening(emulatorPort)).as("the emulator stopped").isFalse();
        assertThat(listening(runtimePort)).as("the runtime stopped").isFalse();
        assertThat(leftovers()).as("nothing of this 'up' runs: runtime, agent, emulator, script").isEmpty();
    }

    private static JsonNode ok(ApiClient.Reply r, int status) {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        return r.json();
    }

    private static byte[] download(ApiClient api, String token, String folder, String path) throws Exception {
        JsonNode url = ok(api.get("/folders/" + folder + "/download?path=" + path, token), 200);
        HttpResponse<byte[]> got = HTTP.send(HttpRequest.newBuilder(URI.create(url.path("url").asText())).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(got.statusCode()).isEqualTo(200);
        return got.body();
    }

    /** An instance of the group launched into the script's emulator, as the fleet would (its agent is booted by `up`). */
    private static String launchInstance(String group) {
        try (software.amazon.awssdk.services.ec2.Ec2Client ec2 = software.amazon.awssdk.services.ec2.Ec2Client.builder()
                .endpointOverride(URI.create("http://127.0.0.1:" + emulatorPort))
                .httpClient(dev.sluice.adapters.aws.AwsClients.httpClient()).build()) {
            return ec2.runInstances(b -> b.imageId("ami-00000000").instanceType("g5.xlarge").minCount(1).maxCount(1)
                    .tagSpecifications(t -> t.resourceType(software.amazon.awssdk.services.ec2.model.ResourceType.INSTANCE)
                            .tags(x -> x.key(LocalHypervisor.GROUP_TAG).value(group))))
                    .instances().get(0).instanceId();
        }
    }

    @Test
    void whatARestartedLocalStackHeldIsStillThereAndAStopLeavesNothingRunning() throws Exception {
        Map<String, String> first = up();
        ApiClient api = new ApiClient(first.get("SLUICE_API"));
        String user = first.get("SLUICE_TOKEN");
        String admin = first.get("SLUICE_ADMIN_TOKEN");
        assertThat(ok(api.get("/resource-groups/gpu-a100", admin), 200).path("scheduler_options")
                .path("allowed_session_types")).as("up made the elastic group").hasSize(2);
        assertThat(ok(api.get("/resource-groups/gpu-a100/fleet", admin), 200).path("instance_types")).as("with its catalog").hasSize(2);
        assertThat(ok(api.get("/agents?resource_group=gpu-a100", admin), 200).path("items")).as("and no agent").isEmpty();
        String instance = launchInstance("gpu-a100");
        Instant booted = Instant.now().plusSeconds(60);
        while (!ok(api.get("/agents?resource_group=gpu-a100", admin), 200).path("items").toString().contains(instance)) {
            assertThat(Instant.now()).as("the agent of the launched instance " + instance + " joins").isBefore(booted);
            Thread.sleep(250);
        }

        byte[] data = new byte[300_000];
        new Random(12).nextBytes(data);
        ok(api.post("/folders", user, "{\"name\":\"kept\"}"), 201);
        JsonNode upload = ok(api.post("/folders/kept/uploads", user, "{\"path\":\"data/blob.bin\",\"size\":" + data.length + "}"), 200);
        assertThat(HTTP.send(HttpRequest.newBuilder(URI.create(upload.path("url").asText())).PUT(HttpRequest.BodyPublishers.ofByteArray(data))
                .build(), HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(200);
        String session = ok(api.post("/sessions", user, "{\"type\":\"batch\",\"image\":\"python:3.12\",\"resource_group\":\"gpu-a100\","
                + "\"startup_command\":\"echo kept across restarts\",\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\"}}"), 201).path("id").asText();
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (!ok(api.get("/sessions/" + session, user), 200).path("status").asText().equals("TERMINATED")) {
            assertThat(Instant.now()).as("the batch session ends on the instance's agent").isBefore(deadline);
            Thread.sleep(250);
        }
        String webhook = ok(api.post("/webhooks", user, "{\"url\":\"http://127.0.0.1:9/kept\"}"), 201).path("id").asText();

        down();

        Map<String, String> second = up();
        assertThat(second.get("SLUICE_API")).as("the same stack, not a new one").isEqualTo(first.get("SLUICE_API"));
        // The instance kept running in the emulator across the restart, so the new runtime boots its agent again.
        Instant rebooted = Instant.now().plusSeconds(30);
        while (!Files.readString(state.resolve("runtime.log")).contains("instance " + instance + " (g5.xlarge, group gpu-a100) booted")) {
            assertThat(Instant.now()).as("the restarted runtime hosts " + instance + " again").isBefore(rebooted);
            Thread.sleep(250);
        }
        api = new ApiClient(second.get("SLUICE_API"));
        user = second.get("SLUICE_TOKEN");
        assertThat(download(api, user, "kept", "data/blob.bin")).as("the file, byte for byte").isEqualTo(data);
        JsonNode s = ok(api.get("/sessions/" + session, user), 200);
        assertThat(s.path("status").asText()).isEqualTo("TERMINATED");
        assertThat(s.path("result").asText()).isEqualTo("SUCCESS");
        assertThat(ok(api.get("/sessions/" + session + "/logs", user), 200).path("text").asText()).contains("kept across restarts");
        assertThat(ok(api.get("/webhooks/" + webhook, user), 200).path("url").asText()).isEqualTo("http://127.0.0.1:9/kept");
        String oldToken = first.get("SLUICE_TOKEN");
        assertThat(api.get("/folders/kept", oldToken).status()).as("a token from before the restart still works").isEqualTo(200);

        // A hard kill of everything (the script, the runtime, the agents, the emulator): what was written more than a
        // snapshot interval (5 s) before it survives.
        ok(api.post("/folders", user, "{\"name\":\"before-the-crash\"}"), 201);
        awaitSnapshotHolding("before-the-crash", Duration.ofSeconds(30));
        long upPid = Long.parseLong(Files.readString(state.resolve("up.pid")).trim());
        for (long pid : leftovers()) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
        ProcessHandle.of(upPid).ifPresent(ProcessHandle::destroyForcibly);
        Instant gone = Instant.now().plusSeconds(10);
        while ((listening(emulatorPort) || listening(runtimePort)) && Instant.now().isBefore(gone)) {
            Thread.sleep(100);
        }
        Map<String, String> third = up();
        api = new ApiClient(third.get("SLUICE_API"));
        assertThat(api.get("/folders/before-the-crash", third.get("SLUICE_TOKEN")).status()).as("kept through a hard kill").isEqualTo(200);
        assertThat(download(api, third.get("SLUICE_TOKEN"), "kept", "data/blob.bin")).isEqualTo(data);

        // `sluice-local interrupt`: the instance (still running after the hard kill) is terminated at its deadline,
        // and the runtime stops its agent.
        Instant hosted = Instant.now().plusSeconds(30);
        while (!Files.readString(state.resolve("runtime.log")).contains("instance " + instance + " (g5.xlarge, group gpu-a100) booted")) {
            assertThat(Instant.now()).as("the runtime hosts " + instance + " after the hard kill").isBefore(hosted);
            Thread.sleep(250);
        }
        Result interrupted = run(List.of("interrupt", instance, "--in", "2"), Duration.ofSeconds(60));
        assertThat(interrupted.exit()).as(interrupted.output()).isZero();
        assertThat(interrupted.output()).contains("\"instance_id\":\"" + instance + "\"").contains("\"deadline\":");
        Instant stopped = Instant.now().plusSeconds(15);
        while (!Files.readString(state.resolve("runtime.log")).contains("instance " + instance + " is gone: its agent")) {
            assertThat(Instant.now()).as("the interrupted instance's agent stops").isBefore(stopped);
            Thread.sleep(250);
        }
        Result unknown = run(List.of("interrupt", "i-0fffffffffffffff0"), Duration.ofSeconds(60));
        assertThat(unknown.exit()).isEqualTo(1);
        assertThat(unknown.output()).contains("There is no instance i-0fffffffffffffff0 in the emulator");

        down();
    }
}
