package dev.sluice.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.agent.Assignment;
import dev.sluice.agent.command.Command;
import dev.sluice.agent.command.CommandResult;
import dev.sluice.agent.command.CommandRunner;
import dev.sluice.agent.command.ProcessCommandRunner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Docker runtime against a real engine, with the {@code FROM scratch} busybox image that
 * {@code ./infra/local/sluice-local test} builds locally (no registry is reachable here) and names in
 * {@code SLUICE_TEST_DOCKER_IMAGE}.
 *
 * <p>Without an engine or that image the test fails, saying what to run; it is skipped only when
 * {@code -Dsluice.docker.optOut=true} is given on purpose (the test command never sets it).
 */
class DockerRuntimeIT {

    private static final Duration END = Duration.ofMinutes(2);
    private static final Duration COMMAND = Duration.ofSeconds(60);

    private static String image;

    @TempDir
    Path work;

    private Path envDir;
    private final List<List<String>> ran = Collections.synchronizedList(new ArrayList<>());
    /** The env file's permissions and text at the moment docker create reads it. */
    private volatile String envFileSeen;
    private final List<String> sessions = new ArrayList<>();
    private final CommandRunner cli = new ProcessCommandRunner();
    /** Extra names given to the test image (removed after; the image itself stays). */
    private final List<String> tags = new ArrayList<>();

    @BeforeAll
    static void needsAnEngineAndTheTestImage() {
        image = DockerTestImage.require();
    }

    @BeforeEach
    void setUp() {
        envDir = work.resolve("env");
    }

    @AfterEach
    void noContainerOrEnvFileLeftBehind() throws IOException {
        List<String> networksLeft = new ArrayList<>();
        for (String session : sessions) {
            cli.run(Command.of(COMMAND, List.of("docker", "rm", "-f", DockerCommands.containerName(session))));
            String networks = cli.run(Command.of(COMMAND, new DockerCommands().networksOf(session))).stdout().trim();
            if (!networks.isEmpty()) {
                networksLeft.add(session);
                cli.run(Command.of(COMMAND, List.of("docker", "network", "rm", DockerCommands.networkName(session))));
            }
        }
        for (String tag : tags) {
            cli.run(Command.of(COMMAND, List.of("docker", "image", "rm", tag)));
        }
        assertThat(networksLeft).as("session networks left behind").isEmpty();
        if (Files.isDirectory(envDir)) {
            try (var left = Files.list(envDir)) {
                assertThat(left).as("env files left behind").isEmpty();
            }
        }
    }

    /** The runtime an agent builds, with the docker commands it runs recorded (and the env file looked at). */
    private DockerRuntime runtime() {
        CommandRunner recording = command -> {
            ran.add(command.argv());
            if (command.argv().get(1).equals("create")) {
                Path env = Path.of(command.argv().get(command.argv().indexOf("--env-file") + 1));
                try {
                    envFileSeen = PosixFilePermissions.toString(Files.getPosixFilePermissions(env)) + " "
                            + Files.readString(env);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            return cli.run(command);
        };
        return new DockerRuntime(recording, new DockerCommands(), envDir, COMMAND);
    }

    private String session() {
        String id = "it-" + UUID.randomUUID().toString().substring(0, 13);
        sessions.add(id);
        return id;
    }

    private static Assignment assignment(String sessionId, String image, Map<String, String> slots, List<String> gpus,
            Map<String, String> env, List<Assignment.Mount> mounts, String command) {
        return new Assignment(sessionId, "k-" + sessionId, "batch", image, slots, gpus, env, mounts,
                Optional.of(command), "main", 0, Optional.empty());
    }

    private String docker(String... args) {
        List<String> argv = new ArrayList<>(List.of("docker"));
        argv.addAll(List.of(args));
        CommandResult result = cli.run(Command.of(COMMAND, argv));
        assertThat(result.succeeded()).as(result.failureDescription(String.join(" ", argv))).isTrue();
        return result.stdout().trim();
    }

    /** The ids of the networks labelled with the session's id. */
    private String networkOf(String sessionId) {
        List<String> ls = new DockerCommands().networksOf(sessionId);
        return docker(ls.subList(1, ls.size()).toArray(String[]::new));
    }

    private boolean containerExists(String sessionId) {
        return cli.run(Command.of(COMMAND, List.of("docker", "inspect", DockerCommands.containerName(sessionId))))
                .succeeded();
    }

    @Test
    void anImageOnTheHostRunsWithoutAPullItsOutputIsKeptAndItsExitCodeReported() throws Exception {
        DockerRuntime docker = runtime();
        String sessionId = session();
        RecordingListener listener = new RecordingListener();

        docker.start(assignment(sessionId, image, Map.of(), List.of(), Map.of(), List.of(),
                "echo hello from the container; echo and its stderr >&2; exit 3"), listener);

        assertThat(listener.awaitEnd(END)).containsExactly("pulling", "preparing", "running", "exited(3)");
        assertThat(listener.containerId).matches("[0-9a-f]{64}");
        assertThat(ran).as("no docker pull for an image already here").noneMatch(argv -> argv.get(1).equals("pull"));
        assertThat(docker.logs(sessionId, 10)).hasValueSatisfying(log -> assertThat(log)
                .contains("hello from the container").contains("and its stderr"));
        assertThat(docker.discover()).filteredOn(w -> w.sessionId().equals(sessionId)).singleElement()
                .satisfies(w -> {
                    assertThat(w.running()).isFalse();
                    assertThat(w.exitCode()).hasValue(3);
                    assertThat(w.containerId()).hasValue(listener.containerId);
                });

        docker.remove(sessionId);

        assertThat(containerExists(sessionId)).isFalse();
        assertThat(docker.discover()).noneMatch(w -> w.sessionId().equals(sessionId));
    }

    @Test
    void aLatestTagOnTheHostIsPulledAgainAndWithNoRegistryTheHostsCopyRunsAndTheAgentLogSaysSo() throws Exception {
        String latest = "sluice-test/pull-" + UUID.randomUUID().toString().substring(0, 8) + ":latest";
        docker("tag", image, latest);
        tags.add(latest);
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        DockerRuntime docker = new DockerRuntime(command -> {
            ran.add(command.argv());
            return cli.run(command);
        }, new DockerCommands(), envDir, COMMAND, PullPolicy.MUTABLE, log::add);
        String sessionId = session();
        RecordingListener listener = new RecordingListener();

        docker.start(assignment(sessionId, latest, Map.of(), List.of(), Map.of(), List.of(), "echo ran"), listener);

        assertThat(listener.awaitEnd(END)).containsExactly("pulling", "preparing", "running", "exited(0)");
        assertThat(ran).contains(List.of("docker", "pull", "--quiet", latest));
        assertThat(log).singleElement().satisfies(line -> assertThat(line).contains("\"event\":\"image-pull-failed\"")
                .contains("\"session\":\"" + sessionId + "\"")
                .contains("the image " + latest + " could not be pulled again, so the copy already on this host is used"));
        assertThat(docker.logs(sessionId, 10)).hasValueSatisfying(out -> assertThat(out).contains("ran"));
        docker.remove(sessionId);
        assertThat(containerExists(sessionId)).isFalse();
    }

    @Test
    void aMissingImageWithNoRegistryEndsFailedAfterPullingWithTheReason() throws Exception {
        DockerRuntime docker = runtime();
        String sessionId = session();
        RecordingListener listener = new RecordingListener();

        docker.start(assignment(sessionId, "sluice-test/absent:never", Map.of(), List.of(), Map.of(), List.of(),
                "true"), listener);

        assertThat(listener.awaitEnd(END)).containsExactly("pulling", "failed");
        assertThat(listener.failure)
                .startsWith("the image sluice-test/absent:never is not on this host and could not be pulled: "
                        + "docker pull sluice-test/absent:never exited 1: Error response from daemon:");
        assertThat(ran).anyMatch(argv -> argv.get(1).equals("pull"));
        assertThat(containerExists(sessionId)).isFalse();
    }

    @Test
    void slotsBecomeLimitsTheEnvironmentComesThroughA0600FileAndFoldersAreMounted() throws Exception {
        DockerRuntime docker = runtime();
        String sessionId = session();
        Path data = Files.createDirectories(work.resolve("data"));
        Path out = Files.createDirectories(work.resolve("out"));
        Files.writeString(data.resolve("in.txt"), "input\n");
        RecordingListener listener = new RecordingListener();
        String secret = "s3cret value with spaces";

        docker.start(assignment(sessionId, image, Map.of("cpu", "0.5", "mem", Long.toString(64L << 20)), List.of(),
                Map.of("SLUICE_IT_SECRET", secret), List.of(
                        new Assignment.Mount("data", data.toString(), "ro", "/home/work/data"),
                        new Assignment.Mount("out", out.toString(), "rw", "/home/work/out")),
                "echo \"$SLUICE_IT_SECRET\" > $SLUICE_MOUNT_OUT/env.txt; cp /home/work/data/in.txt /home/work/out/copy.txt;"
                        + " if touch /home/work/data/new 2>/dev/null; then echo writable; else echo read-only; fi"
                        + " > /home/work/out/data-mode.txt"), listener);

        assertThat(listener.awaitEnd(END)).containsExactly("pulling", "preparing", "running", "exited(0)");
        String limits = docker("inspect", "--format", "{{.HostConfig.NanoCpus}} {{.HostConfig.Memory}}",
                DockerCommands.containerName(sessionId));
        assertThat(limits).isEqualTo("500000000 " + (64L << 20));
        assertThat(envFileSeen).startsWith("rw------- SLUICE_CLUSTER_INDEX=0\n")
                .contains("\nSLUICE_IT_SECRET=" + secret + "\n").contains("\nSLUICE_MOUNT_DATA=/home/work/data\n")
                .contains("\nSLUICE_SESSION_ID=" + sessionId + "\n");
        assertThat(ran).filteredOn(argv -> argv.get(1).equals("create")).singleElement()
                .satisfies(argv -> assertThat(String.join(" ", argv)).doesNotContain(secret));
        assertThat(Files.readString(out.resolve("env.txt"))).isEqualTo(secret + "\n");
        assertThat(Files.readString(out.resolve("copy.txt"))).isEqualTo("input\n");
        assertThat(Files.readString(out.resolve("data-mode.txt"))).isEqualTo("read-only\n");
        assertThat(data.resolve("new")).doesNotExist();

        docker.remove(sessionId);
        assertThat(containerExists(sessionId)).isFalse();
    }

    @Test
    void theAllocatedGpusReachTheEngineAsDeviceRequestsAndAHostWithoutGpusFailsTheStart() throws Exception {
        List<String> gpus = List.of("GPU-a4c123b1-612d-d272-d137-1c17149d4395", "GPU-36b3216f-daee-b975-729f-ae923d5a4fd1");
        String created = session();
        Path envFile = Files.createDirectories(envDir).resolve("empty.list");
        Files.writeString(envFile, "");
        List<String> create = new DockerCommands().create(assignment(created, image, Map.of(), gpus, Map.of(),
                List.of(), "true"), envFile);
        List<String> network = new DockerCommands().networkCreate(created);
        docker(network.subList(1, network.size()).toArray(String[]::new));
        docker(create.subList(1, create.size()).toArray(String[]::new));
        Files.delete(envFile);

        String requests = docker("inspect", "--format", "{{json .HostConfig.DeviceRequests}}",
                DockerCommands.containerName(created));
        assertThat(requests).contains("\"DeviceIDs\":[\"" + gpus.get(0) + "\",\"" + gpus.get(1) + "\"]")
                .contains("\"Capabilities\":[[\"gpu\"]]");
        runtime().remove(created);

        DockerRuntime docker = runtime();
        String sessionId = session();
        RecordingListener listener = new RecordingListener();
        docker.start(assignment(sessionId, image, Map.of(), gpus, Map.of(), List.of(), "true"), listener);

        assertThat(listener.awaitEnd(END)).containsExactly("pulling", "preparing", "failed");
        assertThat(listener.failure).startsWith("docker start exited 1:").contains("gpu");
        assertThat(containerExists(sessionId)).as("a container that could not start is removed").isFalse();
    }

    @Test
    void aStopSendsSigtermAndTheWorkloadEndsOnItsOwn() throws Exception {
        DockerRuntime docker = runtime();
        String sessionId = session();
        RecordingListener listener = new RecordingListener();
        docker.start(assignment(sessionId, image, Map.of(), List.of(), Map.of(), List.of(),
                "trap 'echo got TERM; exit 7' TERM; echo ready; while true; do sleep 0.2; done"), listener);
        listener.awaitRunning(END);
        awaitLog(docker, sessionId, "ready");

        long before = System.nanoTime();
        docker.stop(sessionId, Duration.ofSeconds(20));

        assertThat(listener.awaitEnd(END)).containsExactly("pulling", "preparing", "running", "exited(7)");
        assertThat(Duration.ofNanos(System.nanoTime() - before)).isLessThan(Duration.ofSeconds(10));
        assertThat(docker.logs(sessionId, 10)).hasValueSatisfying(log -> assertThat(log).contains("got TERM"));
        docker.remove(sessionId);
    }

    @Test
    void aWorkloadThatIgnoresSigtermIsKilledAfterTheGrace() throws Exception {
        DockerRuntime docker = runtime();
        String sessionId = session();
        RecordingListener listener = new RecordingListener();
        // A batch past its timeout is stopped the same way; this one ignores TERM (PID 1 with no handler does).
        docker.start(assignment(sessionId, image, Map.of(), List.of(), Map.of(), List.of(),
                "trap '' TERM; echo ready; while true; do sleep 0.2; done"), listener);
        listener.awaitRunning(END);
        awaitLog(docker, sessionId, "ready");

        long before = System.nanoTime();
        docker.stop(sessionId, Duration.ofSeconds(2));

        assertThat(listener.awaitEnd(END)).containsExactly("pulling", "preparing", "running", "exited(137)");
        assertThat(Duration.ofNanos(System.nanoTime() - before))
                .isGreaterThanOrEqualTo(Duration.ofSeconds(2)).isLessThan(Duration.ofSeconds(15));
        docker.remove(sessionId);
    }

    @Test
    void aRestartedAgentFindsItsContainersByLabelFollowsTheRunningOneAndReadsTheEndedOnesCode() throws Exception {
        DockerRuntime before = runtime();
        String running = session();
        String ended = session();
        RecordingListener first = new RecordingListener();
        RecordingListener second = new RecordingListener();
        before.start(assignment(running, image, Map.of(), List.of(), Map.of(), List.of(),
                "trap 'exit 9' TERM; while true; do sleep 0.2; done"), first);
        before.start(assignment(ended, image, Map.of(), List.of(), Map.of(), List.of(), "exit 5"), second);
        first.awaitRunning(END);
        assertThat(second.awaitEnd(END)).endsWith("exited(5)");

        // The network of a session whose container is gone (an agent that stopped between removing the two).
        String stray = session();
        List<String> strayNetwork = new DockerCommands().networkCreate(stray);
        docker(strayNetwork.subList(1, strayNetwork.size()).toArray(String[]::new));

        DockerRuntime after = runtime(); // a new agent process: nothing in memory, only the engine's containers
        List<SessionRuntime.Workload> found = after.discover().stream()
                .filter(w -> w.sessionId().equals(running) || w.sessionId().equals(ended)).toList();

        assertThat(networkOf(stray)).as("a left-over network is removed at discovery").isEmpty();
        assertThat(networkOf(running)).as("the network of a container still there is kept").isNotEmpty();
        assertThat(networkOf(ended)).isNotEmpty();

        assertThat(found).hasSize(2);
        assertThat(found).filteredOn(w -> w.sessionId().equals(running)).singleElement().satisfies(w -> {
            assertThat(w.running()).isTrue();
            assertThat(w.exitCode()).isEmpty();
            assertThat(w.containerId()).hasValue(first.containerId);
        });
        assertThat(found).filteredOn(w -> w.sessionId().equals(ended)).singleElement().satisfies(w -> {
            assertThat(w.running()).isFalse();
            assertThat(w.exitCode()).hasValue(5);
        });

        RecordingListener followed = new RecordingListener();
        after.reattach(running, followed);
        after.stop(running, Duration.ofSeconds(20));
        assertThat(followed.awaitEnd(END)).containsExactly("exited(9)");

        RecordingListener endedAgain = new RecordingListener();
        after.reattach(ended, endedAgain);
        assertThat(endedAgain.awaitEnd(END)).containsExactly("exited(5)");

        after.remove(running);
        after.remove(ended);
        assertThat(after.discover()).noneMatch(w -> w.sessionId().equals(running) || w.sessionId().equals(ended));
        assertThat(networkOf(running)).isEmpty();
        assertThat(networkOf(ended)).isEmpty();
    }

    private static void awaitLog(DockerRuntime docker, String sessionId, String text) throws InterruptedException {
        long deadline = System.nanoTime() + END.toNanos();
        while (System.nanoTime() < deadline) {
            if (docker.logs(sessionId, 50).filter(log -> log.contains(text)).isPresent()) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the container never printed '" + text + "'");
    }
}
