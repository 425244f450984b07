package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What the command sends and how it reads the replies, against an API served in this JVM. */
class HttpBehaviourTest {
    private FakeApi api;
    private CliRun cli;

    @BeforeEach
    void start() throws IOException {
        api = new FakeApi();
        cli = new CliRun(Map.of("SLUICE_API", api.url(), "SLUICE_TOKEN", "tok-alice"));
    }

    @AfterEach
    void stop() {
        api.close();
    }

    static String session(String id, String status, String statusInfo, String statusData, String createdAt) {
        return """
                {"id":"%s","name":"train-1","owner":"alice-sub","type":"batch","image":"python:3.12",
                 "resource_group":"gpu","status":"%s","status_info":"%s","status_data":%s,
                 "status_history":[{"status":"PENDING","at":"%s"}],
                 "resource_slots":{"cpu":"2","mem":"8589934592","cuda.device":"1"},"occupied_slots":{},
                 "agent_id":null,"result":"UNDEFINED","priority":10,"startup_command":"python train.py",
                 "starts_at":null,"batch_timeout":7200,"dependencies":[],"callback_url":null,
                 "cluster_mode":"single-node","cluster_size":1,"environment":{},"mounts":[],"tags":["exp-7"],
                 "created_at":"%s","started_at":null,"terminated_at":null,"sequence":1}"""
                .formatted(id, status, statusInfo, statusData, createdAt, createdAt);
    }

    static String pending(String id) {
        return session(id, "PENDING", "enqueued", "{}", "2026-03-01T11:55:00Z");
    }

    static String page(String cursor, String... sessions) {
        return "{\"items\":[" + String.join(",", sessions) + "],\"next_cursor\":" + (cursor == null ? "null" : "\"" + cursor + "\"") + "}";
    }

    @Test
    void everyRequestCarriesTheBearerToken() {
        api.on("GET", "/sessions/s-1", 200, pending("s-1"));
        assertThat(cli.run("session", "get", "s-1").exit()).isZero();
        assertThat(api.only().header("Authorization")).isEqualTo("Bearer tok-alice");
    }

    @Test
    void createSendsTheSpecWithAFreshIdempotencyKey() throws Exception {
        api.on("POST", "/sessions", 201, pending("0123456789abcdef"));
        CliRun.Result r = cli.run("session", "create", "--image", "python:3.12", "--name", "train-1", "--type", "batch",
                "--group", "gpu", "--slot", "cpu=2", "--slot", "mem=8g", "--slot", "cuda.device=1",
                "--command", "python train.py", "--batch-timeout", "2h", "--priority", "20", "--depends-on", "dep-1",
                "--env", "SEED=7", "--mount", "data", "--tag", "exp-7", "--callback-url", "https://example.com/hook");
        assertThat(r.exit()).as(r.toString()).isZero();

        FakeApi.Request sent = api.only();
        assertThat(sent.method()).isEqualTo("POST");
        assertThat(sent.header("Content-Type")).isEqualTo("application/json");
        assertThat(sent.header("Idempotency-Key")).matches("[A-Za-z0-9._:-]{1,128}");
        JsonNode body = Json.MAPPER.readTree(sent.body());
        assertThat(body).isEqualTo(Json.MAPPER.readTree("""
                {"image":"python:3.12","name":"train-1","type":"batch","resource_group":"gpu",
                 "resource_slots":{"cpu":"2","mem":"8g","cuda.device":"1"},"startup_command":"python train.py",
                 "batch_timeout":"2h","priority":20,"dependencies":["dep-1"],"environment":{"SEED":"7"},
                 "mounts":["data"],"tags":["exp-7"],"callback_url":"https://example.com/hook"}"""));

        assertThat(r.out()).contains("ID:").contains("0123456789abcdef").contains("PENDING (waiting to be scheduled)")
                .contains("cpu=2 mem=8G cuda.device=1").contains("5m ago");
    }

    @Test
    void createSendsRetryRulesInTheOrderGivenOrAsJson() throws Exception {
        api.on("POST", "/sessions", 201, pending("s-1"));
        CliRun.Result r = cli.run("session", "create", "--image", "py", "--retry-attempts", "3", "--retry-rule", "retry:spot-interrupted",
                "--retry-rule", "exit:exit-code:137", "--retry-rule", "retry:exit-code:1-5,143", "--retry-rule", "retry:status-info:task-*", "--retry-on-demand-after", "2");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(Json.MAPPER.readTree(api.only().body()).path("retry")).isEqualTo(Json.MAPPER.readTree("""
                {"attempts":3,"on_demand_after":2,"rules":[{"on":"spot-interrupted","action":"retry"},{"on":"exit-code","action":"exit","codes":"137"},
                 {"on":"exit-code","action":"retry","codes":"1-5,143"},{"on":"status-info","action":"retry","pattern":"task-*"}]}"""));

        r = cli.run("session", "create", "--image", "py", "--retry", "{\"attempts\":2,\"rules\":[{\"on\":\"agent-lost\",\"action\":\"retry\"}]}");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(Json.MAPPER.readTree(api.requests.get(1).body()).path("retry")).isEqualTo(Json.MAPPER.readTree(
                "{\"attempts\":2,\"rules\":[{\"on\":\"agent-lost\",\"action\":\"retry\"}]}"));

        assertThat(cli.run("session", "create", "--image", "py", "--retry-rule", "spot-interrupted").err())
                .contains("--retry-rule must be ACTION:ON[:ARG]");
        assertThat(cli.run("session", "create", "--image", "py", "--retry", "{", "--retry-attempts", "2").exit()).isEqualTo(2);
    }

    @Test
    void getShowsTheAttemptsOfARetriedSession() {
        String retried = session("s-1", "PENDING", "retrying", """
                {"reason":"retrying","waiting":true,"attempt":2,"attempts":3,"previous_end":"spot-interrupted"}""", "2026-03-01T11:55:00Z")
                .replace("\"sequence\":1}", """
                "sequence":6,"retry":{"attempts":3,"rules":[{"on":"spot-interrupted","action":"retry"}]},"attempt":2,
                "attempts":[{"number":1,"agent_id":"i-0123456789abcdef0","instance_id":"i-0123456789abcdef0","placed_at":"2026-03-01T11:56:00Z",
                 "started_at":"2026-03-01T11:56:05Z","ended_at":"2026-03-01T11:58:00Z","status":"ERROR","status_info":"spot-interrupted",
                 "exit_code":null,"retried":true,"reason":"rule 1 (retry on spot-interrupted) matched: re-queued as attempt 2 of 3"}]}""");
        api.on("GET", "/sessions/s-1", 200, retried);
        CliRun.Result r = cli.run("session", "get", "s-1");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("PENDING (re-queued by its retry rules: attempt 2 of 3 after spot-interrupted)")
                .contains("Retry:").contains("3 attempts; retry on spot-interrupted")
                .contains("Attempt 1:").contains("ERROR spot-interrupted on i-0123456789abcdef0, ended 2026-03-01T11:58:00Z")
                .contains("rule 1 (retry on spot-interrupted) matched: re-queued as attempt 2 of 3");
    }

    @Test
    void eachCreateHasItsOwnKeyUnlessOneIsGiven() {
        api.on("POST", "/sessions", 201, pending("s-1"));
        cli.run("session", "create", "--image", "py", "--slot", "cpu=1", "--slot", "mem=1g");
        cli.run("session", "create", "--image", "py", "--slot", "cpu=1", "--slot", "mem=1g");
        cli.run("session", "create", "--image", "py", "--idempotency-key", "retry-42");
        assertThat(api.requests.get(0).header("Idempotency-Key")).isNotEqualTo(api.requests.get(1).header("Idempotency-Key"));
        assertThat(api.requests.get(2).header("Idempotency-Key")).isEqualTo("retry-42");
    }

    @Test
    void createWithJsonPrintsTheSessionAsTheApiSentIt() throws Exception {
        api.on("POST", "/sessions", 201, pending("s-1"));
        CliRun.Result r = cli.run("session", "create", "--image", "py", "--json");
        assertThat(Json.MAPPER.readTree(r.out())).isEqualTo(Json.MAPPER.readTree(pending("s-1")));
    }

    @Test
    void psRunningInAGroupAsksForRunningSessionsOfThatGroup() {
        api.on("GET", "/sessions", 200, page(null));
        CliRun.Result r = cli.run("ps", "--running", "--group", "g");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(api.only().query()).containsExactly(Map.entry("running", "true"), Map.entry("resource_group", "g"),
                Map.entry("limit", "50"));
    }

    @Test
    void psByDefaultAsksForEveryStatusButTheEndedOnes() {
        api.on("GET", "/sessions", 200, page(null));
        cli.run("ps");
        assertThat(api.only().query()).containsEntry("status",
                "PENDING,SCHEDULED,PULLING,PREPARING,RUNNING,RESTARTING,RUNNING_DEGRADED,TERMINATING,ERROR")
                .doesNotContainKeys("running", "dead", "all", "owner");
    }

    @Test
    void psPassesStatusesOwnerAndAll() {
        api.on("GET", "/sessions", 200, page(null));
        cli.run("ps", "--status", "pending,running", "--owner", "bob-sub");
        cli.run("ps", "--dead", "--all", "--name", "train-1");
        assertThat(api.requests.get(0).query()).containsEntry("status", "PENDING,RUNNING").containsEntry("owner", "bob-sub");
        assertThat(api.requests.get(1).query()).containsEntry("dead", "true").containsEntry("all", "true")
                .containsEntry("name", "train-1").doesNotContainKey("status");
    }

    @Test
    void psFollowsNextCursorUntilTheLastPage() {
        api.on("GET", "/sessions", 200,
                page("c1", pending("aaaaaaaa-1"), pending("bbbbbbbb-2")),
                page("c2", pending("cccccccc-3")),
                page(null, pending("dddddddd-4")));
        CliRun.Result r = cli.run("ps");
        assertThat(r.exit()).isZero();
        assertThat(api.requests).extracting(q -> q.query().get("cursor")).containsExactly(null, "c1", "c2");
        assertThat(r.out().lines()).hasSize(5);
        assertThat(r.out()).contains("aaaaaaaa").contains("bbbbbbbb").contains("cccccccc").contains("dddddddd");
        assertThat(r.err()).isEmpty();
    }

    @Test
    void psStopsAtTheLimitAskingOnlyForWhatIsStillMissing() {
        api.on("GET", "/sessions", 200,
                page("c1", pending("aaaaaaaa-1"), pending("bbbbbbbb-2")),
                page("c2", pending("cccccccc-3")));
        CliRun.Result r = cli.run("ps", "--limit", "3", "--json");
        assertThat(api.requests).extracting(q -> q.query().get("limit")).containsExactly("3", "1");
        assertThat(api.requests).hasSize(2);
        assertThat(r.out()).contains("cccccccc-3");
    }

    @Test
    void psShowsAnAlignedTableWithSlotsAgeAndReason() {
        api.on("GET", "/sessions", 200, page(null,
                pending("0123456789abcdef"),
                session("fedcba9876543210", "PENDING", "predicate-checks-failed",
                        "{\"failed_predicates\":[{\"name\":\"concurrency\",\"msg\":\"2 sessions at most\"}]}",
                        "2026-03-01T09:00:00Z")));
        CliRun.Result r = cli.run("ps");
        assertThat(r.out().lines()).containsExactly(
                "ID        NAME     TYPE   STATUS   GROUP  SLOTS                       CREATED  REASON",
                "01234567  train-1  batch  PENDING  gpu    cpu=2 mem=8G cuda.device=1  5m ago   waiting to be scheduled",
                "fedcba98  train-1  batch  PENDING  gpu    cpu=2 mem=8G cuda.device=1  3h ago   blocked by concurrency (2 sessions at most)");
    }

    @Test
    void psJsonPrintsTheItemsArray() throws Exception {
        api.on("GET", "/sessions", 200, page(null, pending("s-1"), pending("s-2")));
        JsonNode printed = Json.MAPPER.readTree(cli.run("ps", "--json").out());
        assertThat(printed.isArray()).isTrue();
        assertThat(printed).extracting(n -> n.path("id").asText()).containsExactly("s-1", "s-2");
    }

    @Test
    void aRefusalIsExitOneWithTheMessageOnItsOwn() {
        api.on("POST", "/sessions", 422, "{\"error\":{\"code\":\"invalid_field\","
                + "\"message\":\"resource_slots must request at least some cpu and mem.\",\"field\":\"resource_slots\"}}");
        CliRun.Result r = cli.run("session", "create", "--image", "py");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).as("the message names its field already: no '(field: ...)' after it")
                .isEqualTo("error: resource_slots must request at least some cpu and mem.\n");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void aRefusalWhoseMessageDoesNotNameItsFieldIsFollowedByTheField() {
        api.on("POST", "/sessions", 422,
                "{\"error\":{\"code\":\"invalid_field\",\"message\":\"Too little requested.\",\"field\":\"resource_slots\"}}");
        CliRun.Result r = cli.run("session", "create", "--image", "py");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("error: Too little requested. (field: resource_slots)\n");
    }

    @Test
    void aRefusalWithoutAFieldPrintsJustTheMessage() {
        api.on("DELETE", "/sessions/s-1", 409,
                "{\"error\":{\"code\":\"conflict\",\"message\":\"The session has already ended (CANCELLED).\",\"field\":null}}");
        CliRun.Result r = cli.run("session", "destroy", "s-1");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("error: The session has already ended (CANCELLED).\n");
    }

    @Test
    void aRefusedTokenSaysNotAuthenticatedAndHowToFixIt() {
        api.on("GET", "/sessions", 401, "{\"error\":{\"code\":\"unauthenticated\",\"message\":\"A valid bearer token is required in the Authorization header.\",\"field\":\"Authorization\"}}");
        CliRun.Result r = cli.run("ps");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("not authenticated: A valid bearer token is required in the Authorization header."
                + " Run 'sluice configure --token ...' to give a valid token.\n");
    }

    @Test
    void aServerErrorThatIsNotJsonIsExitOneWithTheStatus() {
        api.on("GET", "/sessions/s-1", 502, "<html>Bad Gateway</html>");
        CliRun.Result r = cli.run("session", "get", "s-1");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("HTTP 502").contains("Bad Gateway");
    }

    @Test
    void aSuccessfulReplyThatIsNotJsonIsAFailureNotACrash() {
        api.on("GET", "/sessions/s-1", 200, "Mock response");
        CliRun.Result r = cli.run("session", "get", "s-1");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("not JSON").contains("Mock response");
    }

    @Test
    void aRefusedConnectionIsExitTwoNamingTheEndpoint() throws IOException {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        String url = "http://127.0.0.1:" + closed + "/_aws/execute-api/x/v1";
        CliRun.Result r = new CliRun(Map.of("SLUICE_API", url, "SLUICE_TOKEN", "t")).run("ps");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("error: Cannot reach the Sluice API at " + url
                + ": connection refused. Is 'sluice-local up' running?\n");
    }

    @Test
    void idsAreEscapedInThePath() {
        api.on("GET", "/sessions/a%2Fb%20c", 200, pending("a/b c"));
        assertThat(cli.run("session", "get", "a/b c").exit()).isZero();
    }

    @Test
    void destroyForcedAsksForForcedDestruction() {
        api.on("DELETE", "/sessions/s-1", 200, session("s-1", "CANCELLED", "user-requested", "{}", "2026-03-01T11:00:00Z"));
        CliRun.Result r = cli.run("session", "destroy", "s-1", "--forced");
        assertThat(r.exit()).isZero();
        assertThat(api.only().method()).isEqualTo("DELETE");
        assertThat(api.only().query()).containsExactly(Map.entry("forced", "true"));
        assertThat(r.out()).contains("CANCELLED (requested by the user)");
        cli.run("session", "destroy", "s-1");
        assertThat(api.requests.get(1).query()).isEmpty();
    }

    @Test
    void historyIsATableOfStatusesWithTheirTimes() {
        api.on("GET", "/sessions/s-1/history", 200, """
                {"session_id":"s-1","items":[{"status":"PENDING","at":"2026-03-01T11:00:00Z"},
                 {"status":"CANCELLED","at":"2026-03-01T11:59:30Z"}]}""");
        CliRun.Result r = cli.run("session", "history", "s-1");
        assertThat(r.out().lines()).containsExactly(
                "STATUS     AT                    WHEN",
                "PENDING    2026-03-01T11:00:00Z  1h ago",
                "CANCELLED  2026-03-01T11:59:30Z  30s ago");
    }

    @Test
    void eventsFollowPrintsEachChangeUntilTheSessionEnds() {
        String running = session("s-1", "RUNNING", "", "{}", "2026-03-01T11:00:00Z")
                .replace("[{\"status\":\"PENDING\",\"at\":\"2026-03-01T11:00:00Z\"}]",
                        "[{\"status\":\"PENDING\",\"at\":\"2026-03-01T11:00:00Z\"},{\"status\":\"SCHEDULED\",\"at\":\"2026-03-01T11:01:00Z\"},"
                                + "{\"status\":\"RUNNING\",\"at\":\"2026-03-01T11:02:00Z\"}]");
        String ended = running.replace("\"status\":\"RUNNING\",\"status_info\":\"\"", "\"status\":\"TERMINATED\",\"status_info\":\"task-finished\"")
                .replace("\"status_data\":{}", "\"status_data\":{\"exit_code\":0}")
                .replace("{\"status\":\"RUNNING\",\"at\":\"2026-03-01T11:02:00Z\"}]",
                        "{\"status\":\"RUNNING\",\"at\":\"2026-03-01T11:02:00Z\"},{\"status\":\"TERMINATED\",\"at\":\"2026-03-01T11:30:00Z\"}]");
        api.on("GET", "/sessions/s-1", 200,
                session("s-1", "PENDING", "enqueued", "{}", "2026-03-01T11:00:00Z"),
                session("s-1", "PENDING", "enqueued", "{}", "2026-03-01T11:00:00Z"),
                session("s-1", "PENDING", "no-available-instances", "{}", "2026-03-01T11:00:00Z"),
                running,
                ended);
        CliRun.Result r = cli.run("session", "events", "s-1", "--follow", "--interval", "0.5");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out().lines()).containsExactly(
                "2026-03-01T11:00:00Z  PENDING           waiting to be scheduled",
                "2026-03-01T12:00:00Z  PENDING           no agent has enough free capacity",
                "2026-03-01T11:01:00Z  SCHEDULED",
                "2026-03-01T11:02:00Z  RUNNING",
                "2026-03-01T11:30:00Z  TERMINATED        command finished (exit 0)");
        assertThat(api.requests).hasSize(5);
        assertThat(cli.pauses).hasSize(4).allSatisfy(d -> assertThat(d.toMillis()).isEqualTo(500));
    }

    @Test
    void eventsWithoutFollowPrintsTheHistoryOnce() {
        api.on("GET", "/sessions/s-1", 200, pending("s-1"));
        CliRun.Result r = cli.run("session", "events", "s-1");
        assertThat(r.out()).isEqualTo("2026-03-01T11:55:00Z  PENDING           waiting to be scheduled\n");
        assertThat(cli.pauses).isEmpty();
    }

    static final String GROUP = """
            {"name":"gpu","description":"A100 hosts","active":true,"is_public":true,"scheduler":"fifo",
             "scheduler_options":{"allowed_session_types":["interactive","batch"],"pending_timeout":"30m",
             "agent_selection_strategy":"dispersed","config":{}},
             "created_at":"2026-03-01T10:00:00Z","updated_at":"2026-03-01T11:00:00Z"}""";

    @Test
    void resourceGroupCreateSendsOnlyTheSettingsGiven() throws Exception {
        api.on("POST", "/resource-groups", 201, GROUP);
        CliRun.Result r = cli.run("resource-group", "create", "gpu", "--description", "A100 hosts", "--scheduler", "fifo",
                "--allow", "interactive,batch", "--pending-timeout", "30m", "--strategy", "dispersed", "--private");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(Json.MAPPER.readTree(api.only().body())).isEqualTo(Json.MAPPER.readTree("""
                {"name":"gpu","description":"A100 hosts","is_public":false,"scheduler":"fifo",
                 "scheduler_options":{"allowed_session_types":["interactive","batch"],"pending_timeout":"30m",
                 "agent_selection_strategy":"dispersed"}}"""));
        assertThat(r.out()).contains("Accepts:").contains("interactive,batch").contains("Pending timeout:");
    }

    @Test
    void resourceGroupUpdateIsAPatchOfTheFlagsGiven() throws Exception {
        api.on("PATCH", "/resource-groups/gpu", 200, GROUP);
        CliRun.Result r = cli.run("resource-group", "update", "gpu", "--inactive", "--pending-timeout", "0", "--json");
        assertThat(r.exit()).isZero();
        assertThat(Json.MAPPER.readTree(api.only().body())).isEqualTo(Json.MAPPER.readTree(
                "{\"active\":false,\"scheduler_options\":{\"pending_timeout\":\"0\"}}"));
        assertThat(Json.MAPPER.readTree(r.out()).path("name").asText()).isEqualTo("gpu");
    }

    @Test
    void resourceGroupListIsATable() {
        api.on("GET", "/resource-groups", 200, "{\"items\":[" + GROUP + ","
                + GROUP.replace("\"gpu\"", "\"infer\"").replace("\"active\":true", "\"active\":false")
                        .replace("\"30m\"", "\"0\"").replace("[\"interactive\",\"batch\"]", "[\"inference\"]") + "]}");
        CliRun.Result r = cli.run("resource-group", "list");
        assertThat(r.out().lines()).containsExactly(
                "NAME   ACTIVE  SCHEDULER  ACCEPTS            PENDING-TIMEOUT  DESCRIPTION",
                "gpu    yes     fifo       interactive,batch  30m              A100 hosts",
                "infer  no      fifo       inference          never            A100 hosts");
    }
}
