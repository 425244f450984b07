package dev.sluice.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.agent.Assignment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DockerCommandsTest {

    private final DockerCommands docker = new DockerCommands();
    private final Path envFile = Path.of("/var/lib/sluice/work/sluice-env-1.list");

    @Test
    void createCarriesNameLabelsGpusLimitsEnvFileMountsAndTheCommand() {
        List<String> argv = docker.create(Assignments.gpuSession(), envFile);

        assertThat(argv).containsExactly("docker", "create",
                "--name", "sluice-s1",
                "--label", "sluice.session=s1",
                "--label", "sluice.kernel=k1",
                "--network", "sluice-s1",
                "--security-opt", "no-new-privileges",
                "--cap-drop", "ALL",
                "--cap-add", "CHOWN", "--cap-add", "DAC_OVERRIDE", "--cap-add", "FOWNER", "--cap-add", "SETUID",
                "--cap-add", "SETGID", "--cap-add", "KILL", "--cap-add", "NET_BIND_SERVICE",
                "--pids-limit", "4096",
                "--gpus", "\"device=GPU-a4c123b1-612d-d272-d137-1c17149d4395,GPU-36b3216f-daee-b975-729f-ae923d5a4fd1\"",
                "--cpus", "4",
                "--memory", "17179869184",
                "--env-file", "/var/lib/sluice/work/sluice-env-1.list",
                "-v", "/var/lib/sluice/mounts/s1/data:/home/work/data:ro",
                "-v", "/var/lib/sluice/mounts/s1/out:/home/work/out:rw",
                "pytorch/pytorch:2.3.0-cuda12.1-cudnn8-runtime",
                "sh", "-c", "python train.py --epochs 3");
    }

    @Test
    void secretsAreNeverOnTheCommandLine() {
        List<String> argv = docker.create(Assignments.gpuSession(), envFile);

        assertThat(String.join(" ", argv)).doesNotContain("hf_secret_value").doesNotContain("HF_TOKEN");
    }

    @Test
    void withoutGpusSlotsOrCommandTheImageDefaultsApply() {
        Assignment plain = new Assignment("s2", "k2", "interactive", "alpine:3.20", Map.of(), List.of(), Map.of(),
                List.of(), Optional.empty(), "main", 0, Optional.empty());

        assertThat(docker.create(plain, envFile)).containsExactly("docker", "create", "--name", "sluice-s2",
                "--label", "sluice.session=s2", "--label", "sluice.kernel=k2",
                "--network", "sluice-s2", "--security-opt", "no-new-privileges", "--cap-drop", "ALL",
                "--cap-add", "CHOWN", "--cap-add", "DAC_OVERRIDE", "--cap-add", "FOWNER", "--cap-add", "SETUID",
                "--cap-add", "SETGID", "--cap-add", "KILL", "--cap-add", "NET_BIND_SERVICE", "--pids-limit", "4096",
                "--env-file", envFile.toString(), "alpine:3.20");
    }

    @Test
    void fractionalCpusAreKeptAndTinyMemoryIsNoLimit() {
        Assignment a = new Assignment("s3", "k3", "batch", "alpine:3.20", Map.of("cpu", "0.500", "mem", "1024"),
                List.of(), Map.of(), List.of(), Optional.of("true"), "main", 0, Optional.empty());

        List<String> argv = docker.create(a, envFile);
        assertThat(argv).containsSequence("--cpus", "0.5").doesNotContain("--memory");
    }

    @Test
    void theEnvFileHoldsOneSortedVariableALineVerbatim() {
        assertThat(DockerCommands.envFile(Map.of("MODE", "train with spaces", "HF_TOKEN", "hf_x=\"y\"'z")))
                .isEqualTo("HF_TOKEN=hf_x=\"y\"'z\nMODE=train with spaces\n");
    }

    @Test
    void theEnvFileRefusesWhatItCannotCarry() {
        assertThatThrownBy(() -> DockerCommands.envFile(Map.of("KEY", "two\nlines")))
                .hasMessageContaining("KEY").hasMessageContaining("line break");
        assertThatThrownBy(() -> DockerCommands.envFile(Map.of("1BAD", "v")))
                .hasMessageContaining("'1BAD' is not valid");
        assertThatThrownBy(() -> DockerCommands.envFile(Map.of("A=B", "v")))
                .hasMessageContaining("'A=B' is not valid");
    }

    @Test
    void mountPathsMustBeAbsoluteAndColonFree() {
        Assignment a = new Assignment("s4", "k4", "batch", "alpine:3.20", Map.of(), List.of(), Map.of(),
                List.of(new Assignment.Mount("x", "/data/a:b", "rw", "/mnt")), Optional.of("true"), "main", 0,
                Optional.empty());

        assertThatThrownBy(() -> docker.create(a, envFile)).hasMessageContaining("mount x")
                .hasMessageContaining("'/data/a:b'");
    }

    @Test
    void sessionIdsThatCannotNameAContainerAreRefused() {
        assertThat(DockerCommands.containerName("3f2a9c1e-5b7d-4e0a-9c3f-1d2e3f4a5b6c"))
                .isEqualTo("sluice-3f2a9c1e-5b7d-4e0a-9c3f-1d2e3f4a5b6c");
        assertThatThrownBy(() -> DockerCommands.containerName("a b")).hasMessageContaining("cannot name a container");
        assertThatThrownBy(() -> DockerCommands.containerName("--rm")).hasMessageContaining("cannot name a container");
    }

    @Test
    void theIsolationIsConfigurableAndNothingIsEverPublishedOnTheHost() {
        DockerCommands offline = new DockerCommands("docker",
                new DockerIsolation(DockerIsolation.Network.NONE, List.of("KILL"), 128));

        List<String> argv = offline.create(Assignments.gpuSession(), envFile);

        assertThat(argv).containsSequence("--network", "none", "--security-opt", "no-new-privileges", "--cap-drop", "ALL",
                "--cap-add", "KILL", "--pids-limit", "128");
        assertThat(argv).filteredOn("--cap-add"::equals).hasSize(1);
        for (List<String> created : List.of(argv, docker.create(Assignments.gpuSession(), envFile))) {
            assertThat(created).noneMatch(a -> a.equals("-p") || a.equals("-P") || a.startsWith("--publish")
                    || a.equals("--privileged") || a.startsWith("--network=host") || a.equals("host"));
        }
    }

    @Test
    void theSessionsNetworkIsABridgeLabelledWithItsIdWhosePublishedPortsWouldStayOnLoopback() {
        assertThat(docker.networkCreate("s1")).containsExactly("docker", "network", "create", "--driver", "bridge",
                "--label", "sluice.session=s1", "--opt", "com.docker.network.bridge.host_binding_ipv4=127.0.0.1",
                "sluice-s1");
        assertThat(docker.networksOf("s1")).containsExactly("docker", "network", "ls", "--no-trunc", "--filter",
                "label=sluice.session=s1", "--format", "{{.ID}}");
        assertThat(docker.sessionNetworks()).containsExactly("docker", "network", "ls", "--no-trunc", "--filter",
                "label=sluice.session", "--format", "{{.ID}} {{.Label \"sluice.session\"}}");
        assertThat(docker.networkRemove(List.of("a", "b"))).containsExactly("docker", "network", "rm", "a", "b");
        assertThatThrownBy(() -> docker.networkCreate("--internal")).hasMessageContaining("cannot name a container");
    }

    @Test
    void capabilityNamesAreReadLenientlyAndALLIsRefused() {
        assertThat(DockerIsolation.capabilities(" cap_chown,KILL , ,kill")).containsExactly("CHOWN", "KILL");
        assertThat(DockerIsolation.capabilities("")).isEmpty();
        assertThatThrownBy(() -> new DockerIsolation(DockerIsolation.Network.SESSION, List.of("ALL"), 4096))
                .hasMessageContaining("not ALL");
        assertThatThrownBy(() -> new DockerIsolation(DockerIsolation.Network.SESSION, List.of("SYS ADMIN"), 4096))
                .hasMessageContaining("'SYS ADMIN'");
    }

    @Test
    void aTagThatMovesIsLatestOrNoneAndADigestNeverMoves() {
        assertThat(PullPolicy.mutableTag("alpine")).isTrue();
        assertThat(PullPolicy.mutableTag("alpine:latest")).isTrue();
        assertThat(PullPolicy.mutableTag("registry.example.com:5000/team/image")).isTrue();
        assertThat(PullPolicy.mutableTag("registry.example.com:5000/team/image:latest")).isTrue();
        assertThat(PullPolicy.mutableTag("registry.example.com:5000/team/image:2.3")).isFalse();
        assertThat(PullPolicy.mutableTag("pytorch/pytorch:2.3.0-cuda12.1-cudnn8-runtime")).isFalse();
        assertThat(PullPolicy.mutableTag("alpine@sha256:0123456789abcdef")).isFalse();
        assertThat(PullPolicy.mutableTag("alpine:latest@sha256:0123456789abcdef")).isFalse();

        assertThat(PullPolicy.MUTABLE.pulls("alpine:3.20", true)).isFalse();
        assertThat(PullPolicy.MUTABLE.pulls("alpine:latest", true)).isTrue();
        assertThat(PullPolicy.MUTABLE.pulls("alpine:3.20", false)).isTrue();
        assertThat(PullPolicy.MISSING.pulls("alpine:latest", true)).isFalse();
        assertThat(PullPolicy.MISSING.pulls("alpine:latest", false)).isTrue();
        assertThat(PullPolicy.ALWAYS.pulls("alpine:3.20", true)).isTrue();
    }

    @Test
    void lifecycleCommands() {
        assertThat(docker.pull("alpine:3.20")).containsExactly("docker", "pull", "--quiet", "alpine:3.20");
        assertThat(docker.start("s1")).containsExactly("docker", "start", "sluice-s1");
        assertThat(docker.waitFor("s1")).containsExactly("docker", "wait", "sluice-s1");
        assertThat(docker.stop("s1", Duration.ofMillis(10_500))).containsExactly("docker", "stop", "-t", "11", "sluice-s1");
        assertThat(docker.stop("s1", Duration.ZERO)).containsExactly("docker", "stop", "-t", "0", "sluice-s1");
        assertThat(docker.remove("s1")).containsExactly("docker", "rm", "-f", "sluice-s1");
        assertThat(docker.logs("s1", 100)).containsExactly("docker", "logs", "--tail", "100", "sluice-s1");
        assertThat(docker.list()).containsExactly("docker", "ps", "-a", "--no-trunc", "--filter", "label=sluice.session",
                "--format", "{{json .}}");
        assertThat(docker.inspectStates(List.of("abc", "def"))).containsExactly("docker", "inspect", "--format",
                "{{.Id}} {{.State.Status}} {{.State.ExitCode}}", "abc", "def");
        assertThat(new DockerCommands("/usr/bin/docker").info()).startsWith("/usr/bin/docker", "info");
    }
}
