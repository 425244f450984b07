package dev.sluice.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.agent.Assignment;
import dev.sluice.agent.runtime.DockerCommands;
import dev.sluice.agent.runtime.DockerRuntime;
import dev.sluice.agent.runtime.SessionRuntime;
import dev.sluice.protocol.SessionRuntimeFacts;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Docker runtime's pull progress against the real engine: an image pulled from a registry on 127.0.0.1
 * ({@link TestRegistry}, made from the test image) reports increasing bytes and layers while PULLING, ending at the
 * totals, then runs. Without an engine or the test image the test fails, saying what to run, unless
 * {@code -Dsluice.docker.optOut=true}.
 */
class DockerPullProgressIT {
    private static String image;

    @TempDir
    Path work;

    @BeforeAll
    static void needsAnEngineAndTheTestImage() {
        image = DockerTestImage.require();
    }

    /** What the agent loop would hear. */
    static final class Heard implements SessionRuntime.Listener {
        final List<String> steps = Collections.synchronizedList(new ArrayList<>());
        final List<SessionRuntimeFacts.PullProgress> pulls = Collections.synchronizedList(new ArrayList<>());
        /** The steps heard before each progress: all PULLING (none after preparing). */
        final List<Integer> stepsAtProgress = Collections.synchronizedList(new ArrayList<>());
        final CountDownLatch ended = new CountDownLatch(1);

        @Override public void pulling() { steps.add("pulling"); }
        @Override public void preparing() { steps.add("preparing"); }
        @Override public void running(String containerId, Map<String, Object> devices) { steps.add("running"); }
        @Override public void exited(int exitCode) { steps.add("exited " + exitCode); ended.countDown(); }
        @Override public void failed(String message) { steps.add("failed " + message); ended.countDown(); }

        @Override
        public void facts(SessionRuntimeFacts facts) {
            stepsAtProgress.add(steps.size());
            pulls.add(facts.pull());
        }
    }

    @Test
    void aPullFromARegistryReportsIncreasingBytesAndLayersEndingAtTheTotals() throws Exception {
        String session = "pull-" + UUID.randomUUID().toString().substring(0, 8);
        DockerRuntime runtime = DockerRuntime.onThisHost(work);
        // The test image's layer and 3 new ones of 1.5 MB, at 2 MB/s each: the engine reports a layer's bytes every 512 KiB.
        try (TestRegistry registry = TestRegistry.serving(work.resolve("registry"), image, 3, 1_500_000, 2_000_000)) {
            Heard heard = new Heard();
            long start = System.nanoTime();
            runtime.start(new Assignment(session, "k-" + session, "batch", registry.reference(), Map.of("cpu", "1"), List.of(),
                    Map.of(), List.of(), Optional.of("test -s /data/layer3.bin"), "main", 0, Optional.empty()), heard);
            try {
                assertThat(heard.ended.await(2, TimeUnit.MINUTES)).as("the session ended within 2 minutes").isTrue();
                long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                assertThat(heard.steps).as("pulled, then run: the new layers are in the container")
                        .containsExactly("pulling", "preparing", "running", "exited 0");
                List<SessionRuntimeFacts.PullProgress> pulls = List.copyOf(heard.pulls);
                assertThat(heard.stepsAtProgress).as("every progress while PULLING").allMatch(n -> n == 1);
                SessionRuntimeFacts.PullProgress last = pulls.get(pulls.size() - 1);
                assertThat(last).as("ends at the totals: the bytes of every layer downloaded, every layer done")
                        .isEqualTo(new SessionRuntimeFacts.PullProgress(registry.servedLayerBytes(), registry.servedLayerBytes(),
                                registry.layers(), registry.layers()));
                for (int i = 1; i < pulls.size(); i++) {
                    assertThat(pulls.get(i).bytesDone()).isGreaterThanOrEqualTo(pulls.get(i - 1).bytesDone());
                    assertThat(pulls.get(i).layersDone()).isGreaterThanOrEqualTo(pulls.get(i - 1).layersDone());
                }
                assertThat(pulls).as("seen part way: bytes and layers increase")
                        .anyMatch(p -> p.bytesDone() > 0 && p.bytesDone() < last.bytesTotal())
                        .anyMatch(p -> p.layersDone() > 0 && p.layersDone() < last.layersTotal());
                assertThat(registry.requests).as("pulled from the test registry").anyMatch(r -> r.startsWith("GET /v2/sluice-test/pullme/blobs/"));
                System.out.println("{\"pull_progress_reports\":" + pulls.size() + ",\"bytes\":" + last.bytesTotal()
                        + ",\"layers\":" + last.layersTotal() + ",\"millis\":" + millis + "}");
            } finally {
                runtime.remove(session);
            }
        }
        assertThat(new dev.sluice.agent.command.ProcessCommandRunner().run(dev.sluice.agent.command.Command.of(
                java.time.Duration.ofSeconds(30), List.of("docker", "ps", "-a", "-q", "--filter", "name=" + DockerCommands.containerName(session))))
                .stdout()).as("no container left").isBlank();
    }
}
