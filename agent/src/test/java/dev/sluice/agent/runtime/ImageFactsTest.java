package dev.sluice.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.agent.command.CommandResult;
import dev.sluice.agent.command.FakeCommandRunner;
import dev.sluice.protocol.SessionRuntimeFacts;
import dev.sluice.protocol.SessionRuntimeFacts.ServicePort;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The image's default user and its ai.backend.service-ports label, as Backend.AI reads them; and what the runtime does with them. */
class ImageFactsTest {
    @TempDir
    Path work;

    @Test
    void goodLabelsAreTypedServicesInTheirOrder() {
        assertThat(ImageFacts.servicePorts("jupyter:http:8888,tensorboard:http:6006,sshd:tcp:2200")).containsExactly(
                new ServicePort("jupyter", "http", List.of(8888)), new ServicePort("tensorboard", "http", List.of(6006)),
                new ServicePort("sshd", "tcp", List.of(2200)));
        assertThat(ImageFacts.servicePorts("vscode:http:[8180,8181],ttyd:pty:7681,my-app:preopen:9000")).as("pty is skipped")
                .containsExactly(new ServicePort("vscode", "http", List.of(8180, 8181)), new ServicePort("my-app", "preopen", List.of(9000)));
        assertThat(ImageFacts.servicePorts("  ")).isEmpty();
    }

    @Test
    void badLabelsAreRefusedNamingTheLabelAndWhatIsWrong() {
        Map<String, String> bad = Map.of(
                "jupyter:http", "the entry 'jupyter:http' is not name:protocol:port",
                "jupyter:http:8888,,x:tcp:9000", "separated by single commas",
                "jupyter:http:8888,", "separated by single commas",
                "jupyter:ftp:8888", "the service jupyter has the protocol 'ftp'; it must be http, tcp or preopen",
                "a:http:8888,a:tcp:8889", "the service name a is used twice",
                "a:http:8888,b:tcp:8888", "the port 8888 is used by two services",
                "web:http:80", "the service web has the port 80; ports must be from 1025 to 65534",
                "web:http:65535", "the port 65535",
                "web:http:[8080,]", "the entry 'web:http:[8080' is not name:protocol:port",
                "web http 8080", "the entry 'web http 8080' is not");
        bad.forEach((label, why) -> assertThatThrownBy(() -> ImageFacts.servicePorts(label)).as(label)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("The image's label ai.backend.service-ports is malformed: ")
                .hasMessageContaining(why)
                .hasMessageEndingWith("."));
        StringBuilder many = new StringBuilder();
        for (int i = 0; i <= ImageFacts.MAX_SERVICES; i++) {
            many.append(i == 0 ? "" : ",").append("s").append(i).append(":tcp:").append(10000 + i);
        }
        assertThatThrownBy(() -> ImageFacts.servicePorts(many.toString())).hasMessageContaining("more than 32 services");
        StringBuilder ports = new StringBuilder("all:tcp:[");
        for (int i = 0; i <= ImageFacts.MAX_PORTS; i++) {
            ports.append(i == 0 ? "" : ",").append(10000 + i);
        }
        assertThatThrownBy(() -> ImageFacts.servicePorts(ports + "]")).hasMessageContaining("more than 64 ports");
    }

    @Test
    void theConfigGivesTheUserAndTheServicesAndTheFactsStayWithinTheirLimit() {
        ImageFacts f = ImageFacts.fromConfig("{\"User\":\"work\",\"Labels\":{\"ai.backend.service-ports\":\"jupyter:http:8888\","
                + "\"other\":\"x\"},\"Cmd\":[\"sh\"]}");
        assertThat(f).isEqualTo(new ImageFacts("work", List.of(new ServicePort("jupyter", "http", List.of(8888)))));
        assertThat(ImageFacts.fromConfig("{\"User\":\"\",\"Labels\":null}")).isEqualTo(new ImageFacts("", List.of()));
        // The most a label may name still fits the facts' limit, so the control plane never refuses them.
        StringBuilder most = new StringBuilder();
        for (int i = 0; i < ImageFacts.MAX_SERVICES; i++) {
            most.append(i == 0 ? "" : ",").append("a-service-name-of-sixty-four-characters-".repeat(2), 0, 60)
                    .append(i).append(":preopen:[").append(10000 + 2 * i).append(",").append(10001 + 2 * i).append("]");
        }
        SessionRuntimeFacts facts = SessionRuntimeFacts.EMPTY.withPull(new SessionRuntimeFacts.PullProgress(Long.MAX_VALUE,
                Long.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE)).withImage("u".repeat(256), ImageFacts.servicePorts(most.toString()));
        assertThat(SessionRuntimeFacts.fromWire(facts.toWire())).isEqualTo(facts);
    }

    @Test
    void createRunsAsTheImagesUserGivenBeforeTheImage() {
        var a = Assignments.batch("s1", "img:1", "id -u");
        List<String> argv = new DockerCommands().create(a, Path.of("/tmp/env"), "1234:1234");
        int image = argv.indexOf("img:1");
        assertThat(argv.subList(image - 1, argv.size())).containsExactly("--user=1234:1234", "img:1", "sh", "-c", "id -u");
        assertThat(new DockerCommands().create(a, Path.of("/tmp/env"), ""))
                .as("no user in the image: none given").noneMatch(arg -> arg.startsWith("--user"));
        assertThat(new DockerCommands().create(a, Path.of("/tmp/env"), null)).isEqualTo(new DockerCommands().create(a, Path.of("/tmp/env")));
        var noCommand = new dev.sluice.agent.Assignment("s2", "k", "interactive", "img:2", Map.of(), List.of(), Map.of(), List.of(),
                java.util.Optional.empty(), "main", 0, java.util.Optional.empty());
        assertThat(new DockerCommands().create(noCommand, Path.of("/tmp/env"), "work")).endsWith("--user=work", "img:2");
        // The image's name as a startup command's word too: the user still goes right before the image.
        var echoed = Assignments.batch("s3", "img:3", "echo img:3");
        List<String> echoedArgv = new DockerCommands().create(echoed, Path.of("/tmp/env"), "work");
        assertThat(echoedArgv.subList(echoedArgv.indexOf("img:3") - 1, echoedArgv.size()))
                .containsExactly("--user=work", "img:3", "sh", "-c", "echo img:3");
    }

    /** What the runtime heard: the steps and each facts. */
    static final class Heard implements SessionRuntime.Listener {
        final List<String> steps = Collections.synchronizedList(new ArrayList<>());
        final List<SessionRuntimeFacts> facts = Collections.synchronizedList(new ArrayList<>());
        final CountDownLatch ended = new CountDownLatch(1);

        @Override public void pulling() { steps.add("pulling"); }
        @Override public void preparing() { steps.add("preparing"); }
        @Override public void running(String containerId, Map<String, Object> devices) { steps.add("running"); }
        @Override public void exited(int exitCode) { steps.add("exited " + exitCode); ended.countDown(); }
        @Override public void failed(String message) { steps.add("failed " + message); ended.countDown(); }
        @Override public void facts(SessionRuntimeFacts f) { steps.add("facts"); facts.add(f); }
    }

    @Test
    void theRuntimeReportsTheImagesFactsBeforePreparingAndRunsAsItsUser() throws Exception {
        FakeCommandRunner runner = new FakeCommandRunner()
                .on(List.of("docker", "image", "inspect", "--format", "{{.Id}}"), CommandResult.exited(0, "sha256:abc\n", ""))
                .on(List.of("docker", "image", "inspect", "--format", "{{json .Config}}"), CommandResult.exited(0,
                        "{\"User\":\"work\",\"Labels\":{\"ai.backend.service-ports\":\"jupyter:http:8888\"}}\n", ""))
                .on(List.of("docker", "network", "create"), CommandResult.exited(0, "n1\n", ""))
                .when(argv -> argv.get(1).equals("create"), null, CommandResult.exited(0, "c1\n", ""))
                .on(List.of("docker", "start"), CommandResult.exited(0, "", ""))
                .on(List.of("docker", "wait"), CommandResult.exited(0, "0\n", ""));
        Heard heard = new Heard();
        new DockerRuntime(runner, new DockerCommands(), work, Duration.ofMinutes(1)).start(Assignments.batch("s1", "img:1", "true"), heard);
        assertThat(heard.ended.await(10, TimeUnit.SECONDS)).isTrue();

        assertThat(heard.steps).containsExactly("pulling", "facts", "preparing", "running", "exited 0");
        assertThat(heard.facts).containsExactly(SessionRuntimeFacts.EMPTY.withImage("work",
                List.of(new ServicePort("jupyter", "http", List.of(8888)))));
        List<String> create = runner.argvs().stream().filter(argv -> argv.get(1).equals("create")).findFirst().orElseThrow();
        assertThat(create.get(create.indexOf("img:1") - 1)).isEqualTo("--user=work");
    }

    @Test
    void aMalformedLabelEndsTheStartWithAReasonNamingTheLabelAndCreatesNothing() throws Exception {
        FakeCommandRunner runner = new FakeCommandRunner()
                .on(List.of("docker", "image", "inspect", "--format", "{{.Id}}"), CommandResult.exited(0, "sha256:abc\n", ""))
                .on(List.of("docker", "image", "inspect", "--format", "{{json .Config}}"), CommandResult.exited(0,
                        "{\"User\":\"\",\"Labels\":{\"ai.backend.service-ports\":\"jupyter:http:80\"}}\n", ""));
        Heard heard = new Heard();
        new DockerRuntime(runner, new DockerCommands(), work, Duration.ofMinutes(1)).start(Assignments.batch("s1", "img:1", "true"), heard);
        assertThat(heard.ended.await(10, TimeUnit.SECONDS)).isTrue();

        assertThat(heard.steps).containsExactly("pulling", "failed the image img:1 cannot run: The image's label "
                + "ai.backend.service-ports is malformed: the service jupyter has the port 80; ports must be from 1025 to 65534, "
                + "so that a workload without root can listen on them.");
        assertThat(runner.argvs()).noneMatch(argv -> argv.get(1).equals("create"));
    }
}
