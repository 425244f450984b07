package dev.sluice.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.agent.Assignment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real child processes: exit codes, environment, output, stop with a grace period, and finding them after a restart. */
class ProcessRuntimeTest {
    @TempDir
    Path work;

    static Assignment assignment(String id, String command) {
        return new Assignment(id, id + "-0", "batch", "none", Map.of("cpu", "1"), List.of("GPU-a"), Map.of("GREETING", "hi there"),
                List.of(), Optional.ofNullable(command), "main", 0, Optional.empty());
    }

    static final class Recorder implements SessionRuntime.Listener {
        final List<String> steps = new CopyOnWriteArrayList<>();
        final CompletableFuture<Integer> exit = new CompletableFuture<>();

        @Override public void preparing() { steps.add("preparing"); }
        @Override public void running(String containerId, Map<String, Object> devices) { steps.add("running " + devices); }
        @Override public void exited(int exitCode) { steps.add("exited " + exitCode); exit.complete(exitCode); }
        @Override public void failed(String message) { steps.add("failed"); exit.complete(-1); }
    }

    @Test
    void aCommandRunsWithItsEnvironmentAndItsExitCodeAndOutputAreKept() throws Exception {
        ProcessRuntime runtime = new ProcessRuntime(work);
        Recorder r = new Recorder();
        runtime.start(assignment("s-1", "echo \"$GREETING from $SLUICE_SESSION_ID on $CUDA_VISIBLE_DEVICES\"; exit 7"), r);
        assertThat(r.exit.get(10, TimeUnit.SECONDS)).isEqualTo(7);
        assertThat(r.steps).containsExactly("preparing", "running {cuda.device=GPU-a}", "exited 7");
        assertThat(runtime.logs("s-1", 10)).contains("hi there from s-1 on GPU-a\n");
        assertThat(runtime.discover()).singleElement().satisfies(w -> {
            assertThat(w.running()).isFalse();
            assertThat(w.exitCode().getAsInt()).isEqualTo(7);
        });
        runtime.remove("s-1");
        assertThat(runtime.discover()).isEmpty();
    }

    @Test
    void stopAsksFirstAndForcesAfterTheGracePeriod() throws Exception {
        ProcessRuntime runtime = new ProcessRuntime(work);
        Recorder polite = new Recorder();
        runtime.start(assignment("s-1", "trap 'echo bye; exit 0' TERM; echo trapped; while :; do sleep 0.1; done"), polite);
        awaitRunning(polite, "s-1");
        runtime.stop("s-1", Duration.ofSeconds(5));
        assertThat(polite.exit.get(10, TimeUnit.SECONDS)).isZero();

        Recorder stubborn = new Recorder();
        runtime.start(assignment("s-2", "trap '' TERM; echo trapped; while :; do sleep 0.1; done"), stubborn);
        awaitRunning(stubborn, "s-2");
        long started = System.nanoTime();
        runtime.stop("s-2", Duration.ofMillis(500));
        assertThat(stubborn.exit.get(10, TimeUnit.SECONDS)).isNotZero();
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void aRestartedRuntimeFindsARunningSessionAndSeesItEnd() throws Exception {
        ProcessRuntime first = new ProcessRuntime(work);
        Recorder r = new Recorder();
        first.start(assignment("s-1", "echo trapped; sleep 1; exit 4"), r);
        awaitRunning(r, "s-1");
        ProcessRuntime second = new ProcessRuntime(work);
        assertThat(second.discover()).singleElement().satisfies(w -> assertThat(w.running()).isTrue());
        Recorder after = new Recorder();
        second.reattach("s-1", after);
        assertThat(after.exit.get(10, TimeUnit.SECONDS)).as("the exit code the wrapper wrote").isEqualTo(4);
    }

    @Test
    void theTailOfALongOutputIsItsLastLines() throws Exception {
        Path f = work.resolve("out");
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 5000; i++) {
            b.append("line ").append(i).append('\n');
        }
        Files.writeString(f, b);
        assertThat(ProcessRuntime.tail(f, 2, 1024)).isEqualTo("line 4998\nline 4999\n");
        assertThat(ProcessRuntime.tail(f, 10_000, 1024).length()).isLessThanOrEqualTo(1024);
    }

    /**
     * Waits until the session is reported running and its command has said it is under way ("trapped": its signal
     * handling is set up), instead of guessing how long a shell takes; fails the test when that does not come in 4 s.
     */
    private void awaitRunning(Recorder r, String sessionId) throws Exception {
        Path output = work.resolve("sessions/" + sessionId + "/output.log");
        for (int i = 0; i < 200; i++) {
            if (r.steps.stream().anyMatch(s -> s.startsWith("running")) && Files.exists(output)
                    && Files.readString(output).contains("trapped")) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("session " + sessionId + " did not start within 4 s: " + r.steps);
    }
}
