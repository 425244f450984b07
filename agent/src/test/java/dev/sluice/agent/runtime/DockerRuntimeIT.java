package dev.sluice.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Docker runtime against a real engine: a container that prints and exits 3. Runs wherever {@code docker info}
 * answers; skipped only when no engine does (no docker CLI, or no daemon behind it), and says so.
 */
class DockerRuntimeIT {

    private static Optional<String> engineProblem;

    @TempDir
    static Path work;

    @BeforeAll
    static void checkEngine() {
        engineProblem = DockerRuntime.onThisHost(work).engineProblem();
        engineProblem.ifPresent(why -> System.out.println("DockerRuntimeIT skipped: no Docker engine answers on this "
                + "host (" + why + ")"));
    }

    @Test
    void aContainerRunsPrintsAndReportsItsExitCode() throws Exception {
        Assumptions.assumeTrue(engineProblem.isEmpty(),
                () -> "no Docker engine answers on this host: " + engineProblem.orElse(""));
        DockerRuntime docker = DockerRuntime.onThisHost(work);
        String sessionId = "it-" + UUID.randomUUID();
        RecordingListener listener = new RecordingListener();
        try {
            docker.start(Assignments.batch(sessionId, "alpine:3.20", "echo hi; exit 3"), listener);

            assertThat(listener.awaitEnd(Duration.ofMinutes(5)))
                    .containsExactly("pulling", "preparing", "running", "exited(3)");
            assertThat(listener.containerId).matches("[0-9a-f]{64}");
            assertThat(docker.logs(sessionId, 10)).hasValueSatisfying(log -> assertThat(log).contains("hi"));
            assertThat(docker.discover()).anySatisfy(w -> {
                assertThat(w.sessionId()).isEqualTo(sessionId);
                assertThat(w.running()).isFalse();
                assertThat(w.exitCode()).hasValue(3);
            });
        } finally {
            docker.remove(sessionId);
        }
        assertThat(docker.discover()).noneMatch(w -> w.sessionId().equals(sessionId));
    }
}
