package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class WebhookCommandTest {
    private static final String HOOK = """
            {"id":"wh_1","url":"https://hooks.example/in","description":"ci","event_types":["session.status_changed"],
             "filter":{"statuses":["TERMINATED","ERROR"],"resource_groups":["gpu"],"session_types":[],"session_ids":[]},
             "created_at":"2026-03-01T11:00:00Z","updated_at":"2026-03-01T11:00:00Z","previous_secret_valid_until":null}""";
    private FakeApi api;
    private CliRun cli;

    @BeforeEach
    void start() throws Exception {
        api = new FakeApi();
        cli = new CliRun(Map.of("SLUICE_API", api.url(), "SLUICE_TOKEN", "tok-alice"));
    }

    @AfterEach
    void stop() {
        api.close();
    }

    private static JsonNode json(String body) throws Exception {
        return Json.MAPPER.readTree(body);
    }

    @Test
    void createSendsTheUrlEventTypesAndFilterAndShowsTheSecretOnce() throws Exception {
        api.on("POST", "/webhooks", 201, HOOK.replace("\"previous_secret_valid_until\":null", "\"previous_secret_valid_until\":null,\"secret\":\"whsec_abc\""));
        CliRun.Result r = cli.run("webhook", "create", "--url", "https://hooks.example/in", "--event", "session.status_changed",
                "--status", "terminated,error", "--group", "gpu", "--description", "ci");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(json(api.only().body())).isEqualTo(json("""
                {"url":"https://hooks.example/in","description":"ci","event_types":["session.status_changed"],
                 "filter":{"statuses":["TERMINATED","ERROR"],"resource_groups":["gpu"]}}"""));
        assertThat(r.out()).contains("wh_1", "Secret:", "whsec_abc", "shown once", "TERMINATED,ERROR");
    }

    @Test
    void createWithoutUrlOrWithAnUnknownEventIsAUsageError() {
        assertThat(cli.run("webhook", "create").exit()).isEqualTo(2);
        assertThat(cli.run("webhook", "create", "--url", "https://h/x", "--event", "session.created").exit()).isEqualTo(2);
        assertThat(cli.run("webhook", "create", "--url", "https://h/x", "--type", "gpu").exit()).isEqualTo(2);
        assertThat(api.requests).isEmpty();
    }

    @Test
    void listShowsOneRowPerSubscription() {
        api.on("GET", "/webhooks", 200, "{\"items\":[" + HOOK + "]}");
        CliRun.Result r = cli.run("webhook", "list");
        assertThat(r.out()).contains("ID", "URL", "wh_1", "https://hooks.example/in", "session.status_changed", "TERMINATED,ERROR", "gpu");
    }

    @Test
    void updateSendsOnlyTheFlagsGivenAndRefusesNothingToUpdate() throws Exception {
        api.on("PATCH", "/webhooks/wh_1", 200, HOOK);
        assertThat(cli.run("webhook", "update", "wh_1").exit()).isEqualTo(2);
        assertThat(cli.run("webhook", "update", "wh_1", "--session", "s-1,s-2").exit()).isZero();
        assertThat(json(api.only().body())).isEqualTo(json("{\"filter\":{\"session_ids\":[\"s-1\",\"s-2\"]}}"));
    }

    @Test
    void rotateSendsTheGraceAndPrintsTheNewSecret() throws Exception {
        api.on("POST", "/webhooks/wh_1/rotate-secret", 200,
                HOOK.replace("\"previous_secret_valid_until\":null", "\"previous_secret_valid_until\":\"2026-03-02T12:00:00Z\",\"secret\":\"whsec_new\""));
        CliRun.Result r = cli.run("webhook", "rotate-secret", "wh_1", "--grace", "1h");
        assertThat(json(api.only().body())).isEqualTo(json("{\"grace_period\":\"1h\"}"));
        assertThat(r.out()).contains("whsec_new", "Old secret until");
    }

    @Test
    void deliveriesShowTimeEventAttemptStatusLatencyAndError() {
        api.on("GET", "/webhooks/wh_1/deliveries", 200, """
                {"items":[{"time":"2026-03-01T11:59:50Z","webhook_id":"msg_9","type":"session.status_changed","attempt":3,
                 "status_code":null,"latency_ms":3001,"error":"SocketTimeoutException: Read timed out","outcome":"retrying"},
                {"time":"2026-03-01T11:59:40Z","webhook_id":"msg_8","type":"webhook.test","attempt":1,
                 "status_code":204,"latency_ms":12,"error":null,"outcome":"delivered"}]}""");
        CliRun.Result r = cli.run("webhook", "deliveries", "wh_1", "--limit", "2");
        assertThat(api.only().query()).containsEntry("limit", "2");
        assertThat(r.out()).contains("msg_9", "3001 ms", "retrying", "Read timed out", "msg_8", "204", "12 ms", "delivered", "10s ago");
    }

    @Test
    void replayTakesOneDeliveryOrTheWholeDeadLetterQueueButNotBoth() {
        api.on("POST", "/webhooks/wh_1/deliveries/msg_9/replay", 202, "{\"webhook_id\":\"msg_9\",\"type\":\"webhook.test\",\"time\":\"2026-03-01T11:00:00Z\"}");
        api.on("POST", "/webhooks/wh_1/dead-letters/replay", 202, "{\"replayed\":3,\"items\":[]}");
        assertThat(cli.run("webhook", "replay", "wh_1").exit()).isEqualTo(2);
        assertThat(cli.run("webhook", "replay", "wh_1", "msg_9", "--dead-letters").exit()).isEqualTo(2);
        assertThat(cli.run("webhook", "replay", "wh_1", "msg_9").out()).contains("replayed msg_9");
        assertThat(cli.run("webhook", "replay", "wh_1", "--dead-letters").out()).contains("replayed 3 deliveries");
        assertThat(api.requests).hasSize(2);
    }

    @Test
    void anotherUsersSubscriptionIsNotFound() {
        api.on("GET", "/webhooks/wh_2", 404, "{\"error\":{\"code\":\"not_found\",\"message\":\"There is no webhook subscription wh_2.\",\"field\":null}}");
        CliRun.Result r = cli.run("webhook", "get", "wh_2");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("error: There is no webhook subscription wh_2.\n");
    }

    @Test
    void testDeleteAndCallbackSecretCallTheirRoutes() {
        api.on("POST", "/webhooks/wh_1/test", 202, "{\"webhook_id\":\"msg_t\",\"type\":\"webhook.test\",\"time\":\"2026-03-01T11:00:00Z\"}");
        api.on("DELETE", "/webhooks/wh_1", 200, HOOK);
        api.on("POST", "/webhooks/callback-secret", 200, "{\"secret\":\"whsec_cb\"}");
        assertThat(cli.run("webhook", "test", "wh_1").out()).contains("queued msg_t");
        assertThat(cli.run("webhook", "delete", "wh_1").out()).contains("deleted wh_1");
        assertThat(cli.run("webhook", "callback-secret").out()).contains("whsec_cb");
    }
}
