package dev.sluice.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.agent.command.Command;
import dev.sluice.agent.command.CommandResult;
import dev.sluice.agent.command.CommandRunner;
import dev.sluice.agent.command.FakeCommandRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DockerRuntimeTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String CONTAINER = "4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f";

    @TempDir
    Path work;

    private final DockerCommands docker = new DockerCommands();

    private DockerRuntime runtime(CommandRunner runner) {
        return new DockerRuntime(runner, docker, work, Duration.ofMinutes(5));
    }

    private static CommandResult ok(String stdout) {
        return CommandResult.exited(0, stdout, "");
    }

    @Test
    void aNormalRunGoesPullCreateStartWaitAndReportsTheExitCode() throws Exception {
        AtomicReference<String> envSeenByCreate = new AtomicReference<>();
        AtomicReference<String> envPermissions = new AtomicReference<>();
        FakeCommandRunner runner = new FakeCommandRunner()
                .on(List.of("docker", "pull"), ok("sha256:abc\n"))
                .on(List.of("docker", "network", "create"), ok("f00d\n"))
                .when(argv -> argv.get(1).equals("create"), null, ok(CONTAINER + "\n"))
                .on(List.of("docker", "start"), ok("sluice-s1\n"))
                .on(List.of("docker", "wait"), ok("3\n"));
        CommandRunner capturing = command -> {
                if (command.argv().get(1).equals("create")) {
                    Path env = Path.of(command.argv().get(command.argv().indexOf("--env-file") + 1));
                    try {
                        envSeenByCreate.set(Files.readString(env));
                        envPermissions.set(PosixFilePermissions.toString(Files.getPosixFilePermissions(env)));
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }
                return runner.run(command);
        };
        RecordingListener listener = new RecordingListener();

        runtime(capturing).start(Assignments.gpuSession(), listener);

        assertThat(listener.awaitEnd(WAIT)).containsExactly("pulling", "preparing", "running", "exited(3)");
        assertThat(listener.containerId).isEqualTo(CONTAINER);
        assertThat(listener.devices).isEqualTo(Map.of("cuda.device",
                List.of("GPU-a4c123b1-612d-d272-d137-1c17149d4395", "GPU-36b3216f-daee-b975-729f-ae923d5a4fd1")));
        assertThat(runner.argvs()).extracting(argv -> argv.get(1))
                .containsExactly("image", "pull", "image", "network", "create", "start", "wait");
        assertThat(runner.argvs().get(3)).isEqualTo(docker.networkCreate("s1"));
        assertThat(runner.argvs().get(4)).containsSequence("--network", "sluice-s1");
        assertThat(runner.commands().get(6).timeout()).isEmpty();
        assertThat(envSeenByCreate.get()).isEqualTo("HF_TOKEN=hf_secret_value\nMODE=train with spaces\n"
                + "SLUICE_CLUSTER_INDEX=0\nSLUICE_CLUSTER_ROLE=main\nSLUICE_DEADLINE_FILE=/run/sluice/deadline\nSLUICE_KERNEL_ID=k1\n"
                + "SLUICE_MOUNT_DATA=/home/work/data\nSLUICE_MOUNT_OUT=/home/work/out\nSLUICE_SESSION_ID=s1\n");
        // The deadline file's directory is mounted read-only where SLUICE_DEADLINE_FILE says (spot interruptions).
        assertThat(runner.argvs().get(4)).containsSequence("-v", work.resolve("signal").resolve("s1").toAbsolutePath() + ":/run/sluice:ro");
        assertThat(envPermissions.get()).isEqualTo("rw-------");
        try (var left = Files.list(work)) {
            assertThat(left).as("the env file is deleted once the container is created (the deadline file's directory stays, "
                    + "mounted into it)").containsExactly(work.resolve("signal"));
        }
    }

    @Test
    void aRefusedPullOfAnImageNotOnTheHostFailsWithDockersMessage() throws Exception {
        FakeCommandRunner runner = new FakeCommandRunner()
                .on(List.of("docker", "pull"), CommandResult.exited(1, "",
                        "Error response from daemon: pull access denied for nosuch/image, repository does not exist "
                                + "or may require 'docker login': denied: requested access to the resource is denied\n"))
                .on(List.of("docker", "image", "inspect"), CommandResult.exited(1, "",
                        "Error response from daemon: No such image: nosuch/image:latest\n"));
        RecordingListener listener = new RecordingListener();

        runtime(runner).start(Assignments.batch("s1", "nosuch/image", "true"), listener);

        assertThat(listener.awaitEnd(WAIT)).containsExactly("pulling", "failed");
        assertThat(listener.failure).isEqualTo("the image nosuch/image is not on this host and could not be pulled: "
                + "docker pull nosuch/image exited 1: Error response from daemon: pull "
                + "access denied for nosuch/image, repository does not exist or may require 'docker login': denied: "
                + "requested access to the resource is denied");
        assertThat(runner.argvs()).noneMatch(argv -> argv.get(1).equals("create"));
    }

    @Test
    void anImageAlreadyOnTheHostIsNotPulled() throws Exception {
        FakeCommandRunner runner = new FakeCommandRunner()
                .on(List.of("docker", "pull"), CommandResult.exited(1, "", "dial tcp: lookup registry-1.docker.io: no such host"))
                .on(List.of("docker", "image", "inspect"), ok("sha256:abc\n"))
                .on(List.of("docker", "network", "create"), ok("f00d\n"))
                .when(argv -> argv.get(1).equals("create"), null, ok(CONTAINER))
                .on(List.of("docker", "start"), ok(""))
                .on(List.of("docker", "wait"), ok("0\n"));
        RecordingListener listener = new RecordingListener();

        runtime(runner).start(Assignments.batch("s1", "alpine:3.20", "true"), listener);

        assertThat(listener.awaitEnd(WAIT)).containsExactly("pulling", "preparing", "running", "exited(0)");
        assertThat(listener.devices).isEmpty();
        assertThat(runner.argvs()).noneMatch(argv -> argv.get(1).equals("pull"));
    }

    @Test
    void aLatestImageOnTheHostIsPulledAgainAndWhenNoRegistryAnswersTheCopyOnTheHostRunsWithAWarning() throws Exception {
        FakeCommandRunner runner = new FakeCommandRunner()
                .on(List.of("docker", "pull"), CommandResult.exited(1, "", "Error response from daemon: Get "
                        + "\"https://registry-1.docker.io/v2/\": dial tcp: lookup registry-1.docker.io: no such host\n"))
                .on(List.of("docker", "image", "inspect"), ok("sha256:abc\n"))
                .on(List.of("docker", "network"), ok(""))
                .when(argv -> argv.get(1).equals("create"), null, ok(CONTAINER))
                .on(List.of("docker", "start"), ok(""))
                .on(List.of("docker", "wait"), ok("0\n"));
        List<String> log = new java.util.concurrent.CopyOnWriteArrayList<>();
        RecordingListener listener = new RecordingListener();

        new DockerRuntime(runner, docker, work, Duration.ofMinutes(5), PullPolicy.MUTABLE, log::add)
                .start(Assignments.batch("s1", "team/trainer:latest", "true"), listener);

        assertThat(listener.awaitEnd(WAIT)).containsExactly("pulling", "preparing", "running", "exited(0)");
        assertThat(runner.argvs()).contains(List.of("docker", "pull", "--quiet", "team/trainer:latest"));
        assertThat(log).singleElement().satisfies(line -> assertThat(line)
                .startsWith("{\"level\":\"WARN\",\"event\":\"image-pull-failed\",\"session\":\"s1\",")
                .contains("the image team/trainer:latest could not be pulled again, so the copy already on this host is"
                        + " used (image.pull=mutable): docker pull team/trainer:latest exited 1:")
                .contains("no such host"));
    }

    @Test
    void thePullPolicyDecidesWhetherAnImageOnTheHostIsPulledAgain() throws Exception {
        record Case(PullPolicy policy, String image, boolean pulled) {
        }
        for (Case c : List.of(new Case(PullPolicy.MUTABLE, "alpine:3.20", false), new Case(PullPolicy.MUTABLE, "alpine", true),
                new Case(PullPolicy.MISSING, "alpine:latest", false), new Case(PullPolicy.ALWAYS, "alpine:3.20", true))) {
            FakeCommandRunner runner = new FakeCommandRunner()
                    .on(List.of("docker", "pull"), ok("sha256:new\n"))
                    .on(List.of("docker", "image", "inspect"), ok("sha256:abc\n"))
                    .on(List.of("docker", "network"), ok(""))
                    .when(argv -> argv.get(1).equals("create"), null, ok(CONTAINER))
                    .on(List.of("docker", "start"), ok(""))
                    .on(List.of("docker", "wait"), ok("0\n"));
            List<String> log = new java.util.concurrent.CopyOnWriteArrayList<>();
            RecordingListener listener = new RecordingListener();

            new DockerRuntime(runner, docker, work, Duration.ofMinutes(5), c.policy(), log::add)
                    .start(Assignments.batch("s1", c.image(), "true"), listener);

            assertThat(listener.awaitEnd(WAIT)).as(c.toString()).endsWith("exited(0)");
            assertThat(runner.argvs().stream().anyMatch(argv -> argv.get(1).equals("pull"))).as(c.toString())
                    .isEqualTo(c.pulled());
            assertThat(log).as(c.toString()).isEmpty();
        }
    }

    @Test
    void withNetworkNoneTheContainerHasNoNetworkAndNoneIsCreated() throws Exception {
        FakeCommandRunner runner = new FakeCommandRunner()
                .on(List.of("docker", "image", "inspect"), ok("sha256:abc\n"))
                .when(argv -> argv.get(1).equals("create"), null, ok(CONTAINER))
                .on(List.of("docker", "start"), ok(""))
                .on(List.of("docker", "wait"), ok("0\n"));
        RecordingListener listener = new RecordingListener();
        DockerCommands offline = new DockerCommands("docker",
                new DockerIsolation(DockerIsolation.Network.NONE, DockerIsolation.MINIMUM_CAPABILITIES, 4096));

        new DockerRuntime(runner, offline, work, Duration.ofMinutes(5)).start(Assignments.batch("s1", "alpine:3.20", "true"),
                listener);

        assertThat(listener.awaitEnd(WAIT)).containsExactly("pulling", "preparing", "running", "exited(0)");
        assertThat(runner.argvs()).extracting(argv -> argv.get(1)).containsExactly("image", "image", "create", "start", "wait");
        assertThat(runner.argvs().get(2)).containsSequence("--network", "none");
    }

    @Test
    void aNetworkLeftByAnEarlierTryIsUsedAgain() throws Exception {
        FakeCommandRunner runner = new FakeCommandRunner()
                .on(List.of("docker", "image", "inspect"), ok("sha256:abc\n"))
                .on(List.of("docker", "network", "create"), CommandResult.exited(1, "",
                        "Error response from daemon: network with name sluice-s1 already exists\n"))
                .when(argv -> argv.get(1).equals("create"), null, ok(CONTAINER))
                .on(List.of("docker", "start"), ok(""))
                .on(List.of("docker", "wait"), ok("0\n"));
        RecordingListener listener = new RecordingListener();

        runtime(runner).start(Assignments.batch("s1", "alpine:3.20", "true"), listener);

        assertThat(listener.awaitEnd(WAIT)).containsExactly("pulling", "preparing", "running", "exited(0)");
    }

    @Test
    void aNetworkRemovedBeforeTheContainerWasCreatedIsMadeAgainOnce() throws Exception {
        FakeCommandRunner runner = new FakeCommandRunner()
                .on(List.of("docker", "image", "inspect"), ok("sha256:abc\n"))
                .on(List.of("docker", "network", "create"), ok("f00d\n"))
                .when(argv -> argv.get(1).equals("create"), null, ok(CONTAINER))
                .on(List.of("docker", "start"), CommandResult.exited(1, "", "Error response from daemon: network "
                        + "sluice-s1 not found\nError: failed to start containers: sluice-s1\n"), ok(""))
                .on(List.of("docker", "wait"), ok("0\n"));
        RecordingListener listener = new RecordingListener();

        runtime(runner).start(Assignments.batch("s1", "alpine:3.20", "true"), listener);

        assertThat(listener.awaitEnd(WAIT)).containsExactly("pulling", "preparing", "running", "exited(0)");
        assertThat(runner.argvs()).extracting(argv -> argv.get(1))
                .containsExactly("image", "image", "network", "create", "start", "network", "start", "wait");
    }

    @Test
    void aNetworkThatCannotBeCreatedFailsTheStartBeforeAnyContainer() throws Exception {
        FakeCommandRunner runner = new FakeCommandRunner()
                .on(List.of("docker", "image", "inspect"), ok("sha256:abc\n"))
                .on(List.of("docker", "network", "create"), CommandResult.exited(1, "", "Error response from daemon: could "
                        + "not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network\n"));
        RecordingListener listener = new RecordingListener();

        runtime(runner).start(Assignments.batch("s1", "alpine:3.20", "true"), listener);

        assertThat(listener.awaitEnd(WAIT)).containsExactly("pulling", "preparing", "failed");
        assertThat(listener.failure).startsWith("docker network create exited 1:").contains("address pool");
        assertThat(runner.argvs()).noneMatch(argv -> argv.get(1).equals("create"));
    }

    @Test
    void aStopReturnsWhenDockerStopDoesSoWhatFollowsNeverCutsTheGraceShort() throws Exception {
        CountDownLatch dockerStopRunning = new CountDownLatch(1);
        CountDownLatch containerEnded = new CountDownLatch(1);
        FakeCommandRunner runner = new FakeCommandRunner()
                .onBlocking(List.of("docker", "stop"), containerEnded, ok("sluice-s1"));
        CommandRunner signalling = command -> {
            if (command.argv().get(1).equals("stop")) {
                dockerStopRunning.countDown();
            }
            return runner.run(command);
        };
        DockerRuntime docker = runtime(signalling);
        Thread stopper = new Thread(() -> docker.stop("s1", Duration.ofSeconds(10)));
        stopper.start();

        assertThat(dockerStopRunning.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(stopper.isAlive()).as("still in docker stop").isTrue();
        containerEnded.countDown();
        stopper.join(10_000);

        assertThat(stopper.isAlive()).isFalse();
        assertThat(runner.argvs()).containsExactly(List.of("docker", "stop", "-t", "10", "sluice-s1"));
    }

    @Test
    void aCreateErrorFailsWithDockersMessageAndLeavesNoEnvFile() throws Exception {
        FakeCommandRunner runner = new FakeCommandRunner()
                .on(List.of("docker", "pull"), ok(""))
                .on(List.of("docker", "network", "create"), ok("f00d\n"))
                .on(List.of("docker", "network", "ls"), ok("f00d\n"))
                .on(List.of("docker", "network", "rm"), ok("f00d\n"))
                .when(argv -> argv.get(1).equals("create"), null, CommandResult.exited(125, "",
                        "docker: Error response from daemon: could not select device driver \"\" with capabilities: [[gpu]].\n"));
        RecordingListener listener = new RecordingListener();

        runtime(runner).start(Assignments.gpuSession(), listener);

        assertThat(listener.awaitEnd(WAIT)).containsExactly("pulling", "preparing", "failed");
        assertThat(listener.failure).isEqualTo("docker create exited 125: docker: Error response from daemon: could not "
                + "select device driver \"\" with capabilities: [[gpu]].");
        assertThat(runner.argvs()).noneMatch(argv -> argv.get(1).equals("start"));
        assertThat(runner.argvs()).as("the session's network goes with the failed start")
                .last().isEqualTo(List.of("docker", "network", "rm", "f00d"));
        try (var left = Files.list(work)) {
            assertThat(left).isEmpty();
        }
    }

    @Test
    void aStartThatBreaksUnexpectedlyFailsTheSessionAndRemovesItsNetwork() throws Exception {
        FakeCommandRunner runner = new FakeCommandRunner()
                .on(List.of("docker", "pull"), ok(""))
                .on(List.of("docker", "rm"), ok(""))
                .on(List.of("docker", "network", "create"), ok("f00d\n"))
                .on(List.of("docker", "network", "ls"), ok("f00d\n"))
                .on(List.of("docker", "network", "rm"), ok("f00d\n"));
        CommandRunner breaking = command -> {
            if (command.argv().get(1).equals("create")) {
                runner.run(command);
                throw new IllegalStateException("a bug in the create path");
            }
            return runner.run(command);
        };
        RecordingListener listener = new RecordingListener();

        runtime(breaking).start(Assignments.gpuSession(), listener);

        assertThat(listener.awaitEnd(WAIT)).as("the session ends failed, not left PREPARING")
                .containsExactly("pulling", "preparing", "failed");
        assertThat(listener.failure).contains("broke unexpectedly").contains("a bug in the create path");
        assertThat(runner.argvs()).noneMatch(argv -> argv.get(1).equals("start"));
        assertThat(runner.argvs().subList(runner.argvs().size() - 3, runner.argvs().size())).containsExactly(
                List.of("docker", "rm", "-f", "sluice-s1"), docker.networksOf("s1"), List.of("docker", "network", "rm", "f00d"));
        try (var left = Files.list(work)) {
            assertThat(left).as("the env file is deleted all the same").isEmpty();
        }
    }

    @Test
    void anEnvironmentDockerCannotCarryFailsBeforeCreate() throws Exception {
        FakeCommandRunner runner = new FakeCommandRunner().on(List.of("docker", "pull"), ok(""))
                .on(List.of("docker", "network"), ok(""));
        var a = Assignments.batch("s1", "alpine:3.20", "true");
        a = new dev.sluice.agent.Assignment(a.sessionId(), a.kernelId(), a.type(), a.image(), a.slots(), a.gpus(),
                Map.of("CERT", "line1\nline2"), a.mounts(), a.startupCommand(), a.clusterRole(), a.clusterIndex(),
                a.batchTimeout());
        RecordingListener listener = new RecordingListener();

        runtime(runner).start(a, listener);

        assertThat(listener.awaitEnd(WAIT)).containsExactly("pulling", "preparing", "failed");
        assertThat(listener.failure).contains("CERT").contains("line break");
        assertThat(runner.argvs()).noneMatch(argv -> argv.get(1).equals("create"));
    }

    @Test
    void aStartErrorFailsAndRemovesTheCreatedContainer() throws Exception {
        FakeCommandRunner runner = new FakeCommandRunner()
                .on(List.of("docker", "pull"), ok(""))
                .when(argv -> argv.get(1).equals("create"), null, ok(CONTAINER))
                .on(List.of("docker", "start"), CommandResult.exited(1, "", "Error response from daemon: failed to create "
                        + "task for container: exec: \"sh\": executable file not found in $PATH: unknown\n"))
                .on(List.of("docker", "rm"), ok(""))
                .on(List.of("docker", "network", "create"), ok("f00d\n"))
                .on(List.of("docker", "network", "ls"), ok("f00d\n"))
                .on(List.of("docker", "network", "rm"), ok("f00d\n"));
        RecordingListener listener = new RecordingListener();

        runtime(runner).start(Assignments.batch("s1", "scratch-image", "true"), listener);

        assertThat(listener.awaitEnd(WAIT)).containsExactly("pulling", "preparing", "failed");
        assertThat(listener.failure).startsWith("docker start exited 1: Error response from daemon").contains("\"sh\"");
        assertThat(runner.argvs().subList(runner.argvs().size() - 3, runner.argvs().size())).containsExactly(
                List.of("docker", "rm", "-f", "sluice-s1"), docker.networksOf("s1"), List.of("docker", "network", "rm", "f00d"));
    }

    @Test
    void stopSendsDockerStopWithTheGraceAndTheWaitReportsTheExit() throws Exception {
        CountDownLatch stopped = new CountDownLatch(1);
        FakeCommandRunner runner = new FakeCommandRunner()
                .on(List.of("docker", "pull"), ok(""))
                .when(argv -> argv.get(1).equals("create"), null, ok(CONTAINER))
                .on(List.of("docker", "start"), ok(""))
                .on(List.of("docker", "network"), ok(""))
                .onBlocking(List.of("docker", "wait"), stopped, ok("143\n"))
                .when(argv -> argv.get(1).equals("stop") && stopped.getCount() == 1, null, ok("sluice-s1"));
        CommandRunner releasingOnStop = command -> {
            CommandResult result = runner.run(command);
            if (command.argv().get(1).equals("stop")) {
                stopped.countDown();
            }
            return result;
        };
        RecordingListener listener = new RecordingListener();
        DockerRuntime docker = runtime(releasingOnStop);
        docker.start(Assignments.batch("s1", "alpine:3.20", "sleep 3600"), listener);
        listener.awaitRunning(WAIT);

        docker.stop("s1", Duration.ofSeconds(10));

        assertThat(listener.awaitEnd(WAIT)).containsExactly("pulling", "preparing", "running", "exited(143)");
        Command stop = runner.commands().stream().filter(c -> c.argv().get(1).equals("stop")).findFirst().orElseThrow();
        assertThat(stop.argv()).containsExactly("docker", "stop", "-t", "10", "sluice-s1");
        assertThat(stop.timeout()).contains(Duration.ofSeconds(40));
    }

    @Test
    void aStopWhileThePullRunsEndsTheStartBeforeAnyContainerExists() throws Exception {
        CountDownLatch pullGate = new CountDownLatch(1);
        FakeCommandRunner runner = new FakeCommandRunner()
                .onBlocking(List.of("docker", "pull"), pullGate, ok(""))
                .on(List.of("docker", "stop"), CommandResult.exited(1, "", "Error response from daemon: No such container: sluice-s1"));
        CommandRunner releasingOnStop = command -> {
            CommandResult result = runner.run(command);
            if (command.argv().get(1).equals("stop")) {
                pullGate.countDown();
            }
            return result;
        };
        RecordingListener listener = new RecordingListener();
        DockerRuntime docker = runtime(releasingOnStop);

        docker.start(Assignments.batch("s1", "huge/image:latest", "true"), listener);
        docker.stop("s1", Duration.ofSeconds(5));

        assertThat(listener.awaitEnd(WAIT)).containsExactly("pulling", "failed");
        assertThat(listener.failure).isEqualTo("stopped before its container started");
        assertThat(runner.argvs()).noneMatch(argv -> argv.get(1).equals("create"));
    }

    @Test
    void whenDockerWaitBreaksTheExitCodeComesFromInspect() throws Exception {
        FakeCommandRunner runner = new FakeCommandRunner()
                .on(List.of("docker", "wait"), CommandResult.exited(1, "", "error during connect: EOF"))
                .on(List.of("docker", "inspect"), ok(CONTAINER + " exited 137\n"));
        RecordingListener listener = new RecordingListener();

        runtime(runner).reattach("s1", listener);

        assertThat(listener.awaitEnd(WAIT)).containsExactly("exited(137)");
    }

    @Test
    void aContainerThatVanishedIsReportedAsFailedNotAsAnExitCode() throws Exception {
        FakeCommandRunner runner = new FakeCommandRunner()
                .on(List.of("docker", "wait"), CommandResult.exited(1, "", "Error response from daemon: No such container: sluice-s1"))
                .on(List.of("docker", "inspect"), CommandResult.exited(1, "", "Error: No such object: sluice-s1"));
        RecordingListener listener = new RecordingListener();

        runtime(runner).reattach("s1", listener);

        assertThat(listener.awaitEnd(WAIT)).containsExactly("failed");
        assertThat(listener.failure).contains("lost track of the container").contains("No such container");
    }

    @Test
    void discoverFindsLabelledContainersWithTheirStateAndExitCode() {
        String ps = """
                {"Command":"\\"sh -c 'python train.py'\\"","CreatedAt":"2026-11-25 10:01:02 +0000 UTC","ID":"aaa111","Image":"pytorch/pytorch","Labels":"sluice.kernel=k1,sluice.session=s1","Names":"sluice-s1","State":"running","Status":"Up 5 minutes"}
                {"Command":"\\"sh -c 'exit 3'\\"","CreatedAt":"2026-11-25 09:01:02 +0000 UTC","ID":"bbb222","Image":"alpine:3.20","Labels":"sluice.session=s2,sluice.kernel=k2","Names":"sluice-s2","State":"exited","Status":"Exited (3) 20 minutes ago"}
                {"Command":"\\"true\\"","CreatedAt":"2026-11-25 09:01:02 +0000 UTC","ID":"ccc333","Image":"alpine:3.20","Labels":"sluice.session=s3,sluice.kernel=k3","Names":"sluice-s3","State":"created","Status":"Created"}
                """;
        FakeCommandRunner runner = new FakeCommandRunner()
                .on(docker.list(), ok(ps))
                .on(List.of("docker", "inspect"), ok("aaa111 running 0\nbbb222 exited 3\nccc333 created 0\n"))
                .on(docker.sessionNetworks(), ok("net1 s1\nnet9 s9\n"))
                .on(List.of("docker", "network", "rm"), ok("net9\n"));

        List<SessionRuntime.Workload> found = runtime(runner).discover();

        assertThat(found).containsExactly(
                new SessionRuntime.Workload("s1", true, OptionalInt.empty(), Optional.of("aaa111")),
                new SessionRuntime.Workload("s2", false, OptionalInt.of(3), Optional.of("bbb222")),
                new SessionRuntime.Workload("s3", false, OptionalInt.empty(), Optional.of("ccc333")));
        assertThat(runner.argvs().get(3)).endsWith("aaa111", "bbb222", "ccc333");
        assertThat(runner.argvs().get(2)).as("the network of a session with no container is a left-over")
                .isEqualTo(List.of("docker", "network", "rm", "net9"));
    }

    @Test
    void discoverWithNothingLabelledAsksNothingMore() {
        FakeCommandRunner runner = new FakeCommandRunner().on(docker.list(), ok("")).on(docker.sessionNetworks(), ok(""));

        assertThat(runtime(runner).discover()).isEmpty();
        assertThat(runner.argvs()).containsExactly(docker.list(), docker.sessionNetworks());
    }

    @Test
    void logsAreTheMergedTailAndEmptyForAnUnknownSession() {
        FakeCommandRunner runner = new FakeCommandRunner()
                .on(docker.logs("s1", 50), ok("hi\nerr line\n"))
                .on(docker.logs("gone", 50), CommandResult.exited(1, "", "Error response from daemon: No such container: sluice-gone"));
        DockerRuntime docker = runtime(runner);

        assertThat(docker.logs("s1", 50)).contains("hi\nerr line\n");
        assertThat(runner.commands().get(0).mergeStderr()).isTrue();
        assertThat(docker.logs("gone", 50)).isEmpty();
    }

    @Test
    void removeForcesAndToleratesAContainerAlreadyGone() {
        FakeCommandRunner runner = new FakeCommandRunner()
                .on(List.of("docker", "rm"), CommandResult.exited(1, "", "Error response from daemon: No such container: sluice-s1"))
                .on(docker.networksOf("s1"), ok("f00d\n"))
                .on(List.of("docker", "network", "rm"), ok("f00d\n"));

        runtime(runner).remove("s1");

        assertThat(runner.argvs()).containsExactly(List.of("docker", "rm", "-f", "sluice-s1"), docker.networksOf("s1"),
                List.of("docker", "network", "rm", "f00d"));
    }

    @Test
    void anUnusableSessionIdFailsAtOnce() {
        RecordingListener listener = new RecordingListener();

        runtime(new FakeCommandRunner()).start(Assignments.batch("bad id", "alpine", "true"), listener);

        assertThat(listener.steps()).containsExactly("failed");
        assertThat(listener.failure).contains("cannot name a container");
    }
}
