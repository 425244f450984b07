package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code sluice agent ...} and {@code sluice session logs} against a fake API. */
class AgentCommandTest {
    private FakeApi api;
    private CliRun cli;

    @BeforeEach
    void start() throws IOException {
        api = new FakeApi();
        cli = new CliRun(Map.of("SLUICE_API", api.url(), "SLUICE_TOKEN", "tok-admin"));
    }

    @AfterEach
    void stop() {
        api.close();
    }

    static String agent(String id, boolean schedulable) {
        return """
                {"id":"%s","resource_group":"gpu-a100","status":"ALIVE","schedulable":%s,
                 "available_slots":{"cpu":"8","mem":"34359738368","cuda.device":"2"},"occupied_slots":{"cuda.device":"1"},
                 "free_slots":{"cpu":"8","mem":"34359738368","cuda.device":"1"},"architecture":"x86_64","version":"0.1.0",
                 "compute_plugins":{"cuda.version":"12.2","gpu.0.model":"NVIDIA A100-SXM4-80GB"},
                 "first_contact":"2026-03-01T11:00:00Z","last_heartbeat":"2026-03-01T11:59:50Z"}""".formatted(id, schedulable);
    }

    @Test
    void listShowsEachAgentsFreeCapacityAndCanAskForOneGroup() {
        api.on("GET", "/agents", 200, "{\"items\":[" + agent("i-0abc", true) + "]}");
        CliRun.Result r = cli.run("agent", "list", "--group", "gpu-a100");
        assertThat(r.exit()).isZero();
        assertThat(api.only().query()).containsEntry("resource_group", "gpu-a100");
        assertThat(r.out()).contains("i-0abc").contains("ALIVE").contains("cuda.device=1");
    }

    @Test
    void drainAndUndrainSetSchedulable() throws Exception {
        api.on("PATCH", "/agents/i-0abc", 200, agent("i-0abc", false));
        CliRun.Result r = cli.run("agent", "drain", "i-0abc");
        assertThat(r.exit()).isZero();
        assertThat(Json.MAPPER.readTree(api.only().body()).path("schedulable").asBoolean()).isFalse();
        assertThat(r.out()).contains("Schedulable:").contains("no").contains("NVIDIA A100-SXM4-80GB");
    }

    @Test
    void aRefusedDrainSaysWhy() {
        api.on("PATCH", "/agents/i-0abc", 403, "{\"error\":{\"code\":\"forbidden\",\"message\":\"admins only\",\"field\":null}}");
        CliRun.Result r = cli.run("agent", "undrain", "i-0abc");
        assertThat(r.exit()).isEqualTo(Sluice.EXIT_REFUSED);
        assertThat(r.err()).contains("admins only");
    }

    @Test
    void logsPrintsTheTailOrSaysThereIsNoneYet() {
        api.on("GET", "/sessions/s-1/logs", 200, "{\"session_id\":\"s-1\",\"available\":true,\"text\":\"epoch 1\\nepoch 2\\n\"}");
        CliRun.Result r = cli.run("session", "logs", "s-1", "-n", "2");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).isEqualTo("epoch 1\nepoch 2\n");
        assertThat(api.only().query()).containsEntry("lines", "2");

        api.on("GET", "/sessions/s-2/logs", 200, "{\"session_id\":\"s-2\",\"available\":false,\"text\":\"\"}");
        CliRun.Result none = cli.run("session", "logs", "s-2");
        assertThat(none.exit()).isZero();
        assertThat(none.err()).contains("no output yet");
    }
}
