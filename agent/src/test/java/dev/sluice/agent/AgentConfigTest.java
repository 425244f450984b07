package dev.sluice.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.agent.runtime.DockerIsolation;
import dev.sluice.agent.runtime.PullPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentConfigTest {
    @TempDir
    Path dir;

    @Test
    void theFileIsReadAndTheEnvironmentOverridesIt() throws Exception {
        Path file = dir.resolve("agent.properties");
        Files.writeString(file, "api.endpoint=https://abc.execute-api.us-east-1.amazonaws.com/v1/\nresource.group=gpu-a100\n"
                + "heartbeat.interval=20s\nslots=cuda.device=2, mem=64g\n");
        AgentConfig c = AgentConfig.load(Optional.of(file), Map.of("SLUICE_AGENT_HEARTBEAT_INTERVAL", "5s", "PATH", "/bin"));
        assertThat(c.apiEndpoint()).isEqualTo("https://abc.execute-api.us-east-1.amazonaws.com/v1");
        assertThat(c.heartbeatInterval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.auth()).isEqualTo("iam");
        assertThat(c.runtime()).isEqualTo("docker");
        assertThat(c.declaredSlots()).containsExactly(Map.entry("cuda.device", "2"), Map.entry("mem", "64g"));
        assertThat(c.stopGrace()).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void containersAreIsolatedByDefaultAndTheIsolationIsConfigurable() {
        AgentConfig defaults = AgentConfig.from(Map.of("api.endpoint", "https://x", "resource.group", "g"));
        assertThat(defaults.dockerIsolation().network()).isEqualTo(DockerIsolation.Network.SESSION);
        assertThat(defaults.dockerIsolation().capAdd())
                .containsExactly("CHOWN", "DAC_OVERRIDE", "FOWNER", "SETUID", "SETGID", "KILL", "NET_BIND_SERVICE");
        assertThat(defaults.dockerIsolation().pidsLimit()).isEqualTo(4096);
        assertThat(defaults.imagePull()).isEqualTo(PullPolicy.MUTABLE);

        AgentConfig set = AgentConfig.from(Map.of("api.endpoint", "https://x", "resource.group", "g",
                "docker.network", "none", "docker.cap.add", "cap_chown, KILL", "docker.pids.limit", "256",
                "image.pull", "missing"));
        assertThat(set.dockerIsolation()).isEqualTo(new DockerIsolation(DockerIsolation.Network.NONE,
                java.util.List.of("CHOWN", "KILL"), 256));
        assertThat(set.imagePull()).isEqualTo(PullPolicy.MISSING);
        assertThat(AgentConfig.from(Map.of("api.endpoint", "https://x", "resource.group", "g", "docker.cap.add", ""))
                .dockerIsolation().capAdd()).as("an empty list gives back no capability").isEmpty();

        Map<String, String> base = Map.of("api.endpoint", "https://x", "resource.group", "g");
        for (Map.Entry<String, String> bad : Map.of("docker.network", "host", "docker.cap.add", "ALL",
                "docker.pids.limit", "many", "image.pull", "never").entrySet()) {
            Map<String, String> v = new java.util.HashMap<>(base);
            v.put(bad.getKey(), bad.getValue());
            assertThatThrownBy(() -> AgentConfig.from(v)).as(bad.toString()).hasMessageContaining(bad.getKey());
        }
        for (String breaksIsolation : java.util.List.of("SYS_ADMIN", "cap_sys_module", "SYS_RAWIO", "SYS_BOOT", "SYS_TIME",
                "SYSLOG", "DAC_READ_SEARCH", "NET_ADMIN", "NET_RAW", "MAC_ADMIN", "MAC_OVERRIDE", "BPF", "PERFMON",
                "LINUX_IMMUTABLE", "AUDIT_CONTROL")) {
            Map<String, String> v = new java.util.HashMap<>(base);
            v.put("docker.cap.add", "CHOWN, " + breaksIsolation);
            String cap = breaksIsolation.toUpperCase(java.util.Locale.ROOT).replaceFirst("^CAP_", "");
            assertThatThrownBy(() -> AgentConfig.from(v)).as(breaksIsolation).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("docker.cap.add must not give back " + cap + ": it breaks the isolation");
        }
        Map<String, String> widened = new java.util.HashMap<>(base);
        widened.put("docker.cap.add", "CHOWN,SYS_PTRACE,MKNOD");
        assertThat(AgentConfig.from(widened).dockerIsolation().capAdd()).as("what stays inside the container may be added")
                .containsExactly("CHOWN", "SYS_PTRACE", "MKNOD");
        Map<String, String> tiny = new java.util.HashMap<>(base);
        tiny.put("docker.pids.limit", "3");
        assertThatThrownBy(() -> AgentConfig.from(tiny)).hasMessageContaining("docker.pids.limit must be at least 16");
    }

    @Test
    void mistakesAreRefusedWithTheKeyNamed() {
        assertThatThrownBy(() -> AgentConfig.from(Map.of("resource.group", "g"))).hasMessageContaining("api.endpoint");
        assertThatThrownBy(() -> AgentConfig.from(Map.of("api.endpoint", "http://example.com", "resource.group", "g")))
                .hasMessageContaining("https");
        assertThatThrownBy(() -> AgentConfig.from(Map.of("api.endpoint", "https://x", "resource.group", "g", "auth", "token")))
                .hasMessageContaining("auth.token.file");
        assertThatThrownBy(() -> AgentConfig.from(Map.of("api.endpoint", "https://x", "resource.group", "g", "runtime", "podman")))
                .hasMessageContaining("runtime");
        assertThatThrownBy(() -> AgentConfig.from(Map.of("api.endpoint", "https://x", "resource.group", "g", "heartbeat.interval", "soon")))
                .hasMessageContaining("heartbeat.interval");
        assertThatThrownBy(() -> AgentConfig.from(Map.of("api.endpoint", "https://x", "resource.group", "g", "slots", "gpu")))
                .hasMessageContaining("slots");
    }

    @Test
    void theProcessRuntimeRefusesToRunWorkloadsAsTheAgentUnlessToldTheMachineIsSingleTenant() throws Exception {
        Map<String, String> base = Map.of("api.endpoint", "https://x", "resource.group", "g", "runtime", "process",
                "work.dir", dir.resolve("work").toString());
        assertThatThrownBy(() -> Main.runtime(AgentConfig.from(base))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("workload.uids").hasMessageContaining("single.tenant=true").hasMessageContaining("credentials");
        Map<String, String> single = new java.util.HashMap<>(base);
        single.put("single.tenant", "true");
        assertThat(Main.runtime(AgentConfig.from(single)).name()).isEqualTo("process");
        single.put("single.tenant", "yes");
        assertThatThrownBy(() -> AgentConfig.from(single)).hasMessageContaining("single.tenant");
        Map<String, String> isolated = new java.util.HashMap<>(base);
        isolated.put("workload.uids", "231100-231199");
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x"));
        dev.sluice.agent.runtime.SessionRuntime runtime = Main.runtime(AgentConfig.from(isolated));
        assertThat(((dev.sluice.agent.runtime.ProcessRuntime) runtime).isolated()).isTrue();
        isolated.put("workload.uids", "5-10");
        assertThatThrownBy(() -> AgentConfig.from(isolated)).hasMessageContaining("workload.uids");
    }

    @Test
    void aTokenFileOthersMayReadIsRefused() throws Exception {
        Path token = Files.writeString(dir.resolve("agent-token"), "t");
        Files.setPosixFilePermissions(token, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        AgentConfig config = AgentConfig.from(Map.of("api.endpoint", "http://127.0.0.1:1", "resource.group", "g", "auth", "token",
                "auth.token.file", token.toString()));
        assertThatThrownBy(() -> new HttpControlPlane(config)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("rw-r--r--").hasMessageContaining("chmod 600");
        Files.setPosixFilePermissions(token, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        assertThat(new HttpControlPlane(config)).isNotNull();
    }
}
