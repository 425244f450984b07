package dev.sluice.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.agent.Assignment;
import dev.sluice.agent.command.Command;
import dev.sluice.agent.command.CommandResult;
import dev.sluice.agent.command.ProcessCommandRunner;
import dev.sluice.agent.runtime.DockerCommands;
import dev.sluice.agent.runtime.DockerRuntime;
import dev.sluice.agent.runtime.SessionRuntime;
import dev.sluice.protocol.SessionRuntimeFacts;
import dev.sluice.protocol.SessionRuntimeFacts.ServicePort;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Images people use, against the real engine: a locally built image with Backend.AI's {@code ai.backend.service-ports}
 * label and a {@code USER} runs as that user, and its services and user are the session's runtime facts; a malformed
 * label ends the start with a reason naming the label, and nothing is created. Without an engine or the test image the
 * test fails, saying what to run, unless {@code -Dsluice.docker.optOut=true}.
 */
class DockerImageFactsIT {
    private static final Duration COMMAND = Duration.ofSeconds(60);
    private static String image;
    private final ProcessCommandRunner cli = new ProcessCommandRunner();
    private final List<String> images = new ArrayList<>();
    private final List<String> sessions = new ArrayList<>();

    @TempDir
    Path work;

    @BeforeAll
    static void needsAnEngineAndTheTestImage() {
        image = DockerTestImage.require();
    }

    @AfterEach
    void removeWhatWasMade() {
        sessions.forEach(s -> cli.run(Command.of(COMMAND, List.of("docker", "rm", "-f", DockerCommands.containerName(s)))));
        images.forEach(i -> cli.run(Command.of(COMMAND, List.of("docker", "rmi", "-f", i))));
    }

    /** Builds {@code FROM} the test image with these Dockerfile lines; returns its tag. */
    private String build(String... lines) throws Exception {
        String tag = "sluice-test/labelled:" + UUID.randomUUID().toString().substring(0, 8);
        Path context = Files.createDirectories(work.resolve(tag.replace('/', '_').replace(':', '_')));
        Files.writeString(context.resolve("Dockerfile"), "FROM " + image + "\n" + String.join("\n", lines) + "\n");
        CommandResult built = cli.run(Command.of(Duration.ofMinutes(2), List.of("docker", "build", "-q", "-t", tag, context.toString())));
        assertThat(built.succeeded()).as(built.failureDescription("docker build")).isTrue();
        images.add(tag);
        return tag;
    }

    static final class Heard implements SessionRuntime.Listener {
        final List<String> steps = Collections.synchronizedList(new ArrayList<>());
        volatile SessionRuntimeFacts facts = SessionRuntimeFacts.EMPTY;
        final CountDownLatch ended = new CountDownLatch(1);

        @Override public void pulling() { steps.add("pulling"); }
        @Override public void preparing() { steps.add("preparing"); }
        @Override public void running(String containerId, Map<String, Object> devices) { steps.add("running"); }
        @Override public void exited(int exitCode) { steps.add("exited " + exitCode); ended.countDown(); }
        @Override public void failed(String message) { steps.add("failed " + message); ended.countDown(); }
        @Override public void facts(SessionRuntimeFacts f) { facts = f; }
    }

    private Heard run(DockerRuntime runtime, String session, String img, String command) throws InterruptedException {
        sessions.add(session);
        Heard heard = new Heard();
        runtime.start(new Assignment(session, "k-" + session, "batch", img, Map.of("cpu", "1"), List.of(), Map.of(), List.of(),
                Optional.of(command), "main", 0, Optional.empty()), heard);
        assertThat(heard.ended.await(2, TimeUnit.MINUTES)).as("ended within 2 minutes").isTrue();
        return heard;
    }

    @Test
    void anImageWithServicePortsAndAUserRunsAsThatUserAndReportsBoth() throws Exception {
        String labelled = build("LABEL ai.backend.service-ports=\"jupyter:http:8888,tensorboard:http:6006,sshd:tcp:2200\"",
                "USER 1234:2345");
        DockerRuntime runtime = DockerRuntime.onThisHost(work);
        String session = "img-" + UUID.randomUUID().toString().substring(0, 8);

        Heard heard = run(runtime, session, labelled, "echo uid=$(id -u) gid=$(id -g)");

        assertThat(heard.steps).containsExactly("pulling", "preparing", "running", "exited 0");
        assertThat(runtime.logs(session, 10)).get().asString().contains("uid=1234 gid=2345");
        assertThat(heard.facts.user()).isEqualTo("1234:2345");
        assertThat(heard.facts.servicePorts()).containsExactly(new ServicePort("jupyter", "http", List.of(8888)),
                new ServicePort("tensorboard", "http", List.of(6006)), new ServicePort("sshd", "tcp", List.of(2200)));
        CommandResult user = cli.run(Command.of(COMMAND, List.of("docker", "inspect", "--format", "{{.Config.User}}",
                DockerCommands.containerName(session))));
        assertThat(user.stdout().trim()).as("the container's user, given explicitly").isEqualTo("1234:2345");
        runtime.remove(session);
    }

    @Test
    void anImageWithoutLabelsOrUserRunsAsDockersDefaultAndReportsNothingOfIt() throws Exception {
        DockerRuntime runtime = DockerRuntime.onThisHost(work);
        String session = "img-" + UUID.randomUUID().toString().substring(0, 8);
        Heard heard = run(runtime, session, image, "echo uid=$(id -u)");
        assertThat(heard.steps).containsExactly("pulling", "preparing", "running", "exited 0");
        assertThat(runtime.logs(session, 10)).get().asString().contains("uid=0");
        assertThat(heard.facts).isEqualTo(SessionRuntimeFacts.EMPTY);
        runtime.remove(session);
    }

    @Test
    void aMalformedServicePortsLabelEndsTheStartWithAReasonNamingTheLabel() throws Exception {
        String bad = build("LABEL ai.backend.service-ports=\"jupyter:http:8888,sshd:ssh:22\"");
        DockerRuntime runtime = DockerRuntime.onThisHost(work);
        String session = "img-" + UUID.randomUUID().toString().substring(0, 8);

        Heard heard = run(runtime, session, bad, "true");

        assertThat(heard.steps).containsExactly("pulling", "failed the image " + bad + " cannot run: The image's label "
                + "ai.backend.service-ports is malformed: the service sshd has the protocol 'ssh'; it must be http, tcp or preopen.");
        assertThat(runtime.discover()).noneMatch(w -> w.sessionId().equals(session));
    }
}
