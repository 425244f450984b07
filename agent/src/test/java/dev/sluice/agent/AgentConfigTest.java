package dev.sluice.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
}
