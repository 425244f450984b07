package dev.sluice.agent.runtime;

import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * The Docker tests' one precondition: an engine that answers and the test image the README's test command builds
 * ({@code SLUICE_TEST_DOCKER_IMAGE}). Without them a test fails with the command to run, never skips, unless a
 * developer opts out on purpose with {@code -Dsluice.docker.optOut=true} (the test command never does).
 */
final class DockerTestImage {
    static final String OPT_OUT = "sluice.docker.optOut";

    private DockerTestImage() {
    }

    /** The test image's name, once the engine answers; otherwise fails (or, opted out, aborts) the calling test class. */
    static String require() {
        String image = System.getenv("SLUICE_TEST_DOCKER_IMAGE");
        Optional<String> engine = DockerRuntime.onThisHost(Path.of(System.getProperty("java.io.tmpdir"))).engineProblem();
        String problem = engine.map(p -> "no Docker engine answers on this host (" + p + ")")
                .orElse(image == null || image.isBlank() ? "SLUICE_TEST_DOCKER_IMAGE does not name the test image" : null);
        if (problem != null) {
            Assumptions.assumeFalse(Boolean.getBoolean(OPT_OUT), () -> "opted out (-D" + OPT_OUT + "=true): " + problem);
            Assertions.fail(problem + ". Run ./infra/local/sluice-local test (as root it installs docker.io and "
                    + "busybox-static, starts dockerd and builds the test image), or opt out on purpose with -D"
                    + OPT_OUT + "=true");
        }
        return image;
    }
}
