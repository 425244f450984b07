package dev.sluice.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Schemathesis fuzzes the running local API from infra/openapi/sluice.yaml with every check it has: no 5xx, every
 * response matches its documented status, content type, headers and schema, schema-violating requests are refused,
 * a method a path does not take is a 405 with an Allow header, a request without its token is refused. Bounded (a few
 * examples an operation, a fixed seed) so CI stays quick; run it unbounded by hand with the command in the README.
 *
 * <p>The fuzz runs as users of its own ({@code fuzz-admin-*}, {@code fuzz-user-*}), and the admin's path parameters are
 * pinned to things of its own (a group {@code fuzz-*}, a scope of that group, ids that do not exist), so that it cannot
 * deactivate, limit or drain what other tests (or the demo of {@code sluice-local up}) use. A bystander group and agent
 * are checked at the end: still active, still schedulable.
 */
class FuzzIT {
    private static final String RUN = UUID.randomUUID().toString().substring(0, 8);
    private static final String OWN_GROUP = "fuzz-" + RUN;
    private static final String BYSTANDER_GROUP = "fuzz-bystander-" + RUN;
    private static final String BYSTANDER_AGENT = "fuzz-bystander-agent-" + RUN;

    /**
     * positive_data_acceptance is left out of the bounded run: the document cannot express the refusals that depend on
     * state (an Idempotency-Key reused for another request, a callback host that does not resolve, running with dead,
     * a cursor this listing did not give), and each of those is a 422 by design. The valid-but-refused cases found by
     * it once are asserted one by one below instead. use_after_free is left out because DELETE of a resource group
     * deactivates it (the document says so): an admin still reads it, inactive, which that check takes for a leak.
     */
    private static final String CHECKS = "all";
    private static final String EXCLUDED = "positive_data_acceptance,use_after_free";

    private static LocalStack local;
    private static ApiClient api;

    @BeforeAll
    static void ownDataAndABystander() throws Exception {
        local = LocalStack.get();
        api = new ApiClient(local.apiUrl);
        String admin = local.adminToken("fuzz-admin-" + RUN);
        assertThat(api.put("/resource-groups/" + OWN_GROUP, admin, "{}").status()).isIn(200, 201);
        assertThat(api.put("/resource-groups/" + BYSTANDER_GROUP, admin, "{}").status()).isIn(200, 201);
        assertThat(api.post("/agent/heartbeat", local.agentToken(BYSTANDER_AGENT), AgentApiIT.heartbeat(BYSTANDER_GROUP, "1", "")).status())
                .isEqualTo(200);
    }

    @AfterAll
    static void theBystanderIsUntouched() {
        String admin = local.adminToken("fuzz-admin-" + RUN);
        JsonNode group = api.get("/resource-groups/" + BYSTANDER_GROUP, admin).json();
        assertThat(group.path("active").asBoolean(false)).as("the bystander group after the fuzz: " + group).isTrue();
        JsonNode agent = api.get("/agents/" + BYSTANDER_AGENT, admin).json();
        assertThat(agent.path("schedulable").asBoolean(false)).as("the bystander agent after the fuzz: " + agent).isTrue();
    }

    /** The admin's path parameters, pinned to the fuzz's own group and to ids that name nothing. */
    private static Path config() throws Exception {
        String none = "fuzz-none-" + RUN;
        String toml = String.join("\n",
                // A group's instance catalog is made by its own PUT, not by POST /resource-groups: the stateful phase
                // infers a link from the group's creation and would take the 404 of a group without a catalog (static
                // capacity, the documented answer) for "a created resource not found". Turning that check off for the
                // operation does not work: the command line's "--checks all" overrides what a config file says per
                // operation. So the operation stays out of the stateful phase only (every other phase fuzzes it).
                "[[operations]]", "include-path-regex = \"^/resource-groups/[^/]+/fleet$\"", "parameters = { \"path.name\" = \"" + OWN_GROUP + "\" }",
                "phases.stateful.enabled = false",
                "[[operations]]", "include-path-regex = \"^/resource-groups/\"", "parameters = { \"path.name\" = \"" + OWN_GROUP + "\" }",
                "[[operations]]", "include-path-regex = \"^/resource-policies/\"", "parameters = { \"path.scope\" = \"group:" + OWN_GROUP + "\" }",
                "[[operations]]", "include-path-regex = \"^/agents/\"", "parameters = { \"path.id\" = \"" + none + "\" }",
                "[[operations]]", "include-path-regex = \"^/sessions/\"", "parameters = { \"path.id\" = \"" + none + "\" }",
                "");
        Path file = Files.createTempFile("fuzz-" + RUN, ".toml");
        Files.writeString(file, toml);
        file.toFile().deleteOnExit();
        return file;
    }

    private static void fuzz(String token, boolean pinned) throws Exception {
        Path venv = Path.of(System.getenv().getOrDefault("SLUICE_VENV", LocalStack.ROOT.resolve(".venv").toString()));
        List<String> command = new ArrayList<>(List.of(venv.resolve("bin/schemathesis").toString()));
        if (pinned) {
            command.addAll(List.of("--config-file", config().toString()));
        }
        command.addAll(List.of("run", "infra/openapi/sluice.yaml",
                "--url", local.apiUrl, "-H", "Authorization: Bearer " + token,
                "--checks", CHECKS, "--exclude-checks", EXCLUDED,
                // One worker: with two, hypothesis's internal cache is shared between threads and once raised a
                // KeyError inside schemathesis (an error of the tool, not an answer of the API).
                "--max-examples", "10", "--seed", "20261124", "--workers", "1", "--no-color"));
        Process p = new ProcessBuilder(command).directory(LocalStack.ROOT.toFile()).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(420, TimeUnit.SECONDS)).isTrue();
        String report = new String(out, StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(report).isZero();
        assertThat(report).contains("generated");
    }

    @Test
    void fuzzingAsAnAdminFindsNoServerErrorAndNoSchemaBreak() throws Exception {
        fuzz(local.adminToken("fuzz-admin-" + RUN), true);
    }

    @Test
    void fuzzingAsAUserFindsNoServerErrorAndNoSchemaBreak() throws Exception {
        fuzz(local.token("fuzz-user-" + RUN), false);
    }

    /** What the full schemathesis pass once found, one case each, so that none comes back. */
    @Test
    void nullsAndEmptyFlagsAreRefusedByName() {
        String user = local.token("fuzz-user-" + RUN);
        String admin = local.adminToken("fuzz-admin-" + RUN);
        assertRefused(api.post("/folders", user, "{\"name\":\"fz-" + RUN + "\",\"host\":null}"), "host");
        assertRefused(api.put("/resource-groups/" + OWN_GROUP, admin, "{\"scheduler_options\":null}"), "scheduler_options");
        assertRefused(api.put("/resource-groups/" + OWN_GROUP, admin, "{\"scheduler_options\":{\"pending_timeout\":\"\"}}"),
                "scheduler_options.pending_timeout");
        assertThat(api.post("/folders", user, "{\"name\":\"fz-" + RUN + "\"}").status()).isEqualTo(201);
        assertRefused(api.post("/folders/fz-" + RUN + "/uploads", user, "{\"path\":\"a.txt\",\"size\":null}"), "size");
        assertRefused(api.get("/sessions?running=", user), "running");
        assertRefused(api.get("/sessions/none/logs?x=1", user), "x");
        assertRefused(api.get("/folders?all=", user), "all");
        assertRefused(api.get("/folders/fz-" + RUN + "/files?cursor=", user), "cursor");
    }

    private static void assertRefused(ApiClient.Reply reply, String field) {
        assertThat(reply.status()).as(reply.body()).isEqualTo(422);
        JsonNode error = reply.json().path("error");
        assertThat(error.path("field").asText()).as(reply.body()).isEqualTo(field);
        assertThat(error.path("message").asText()).as(reply.body()).startsWith(field + " ").endsWith(".");
    }

    @Test
    void aMethodAPathDoesNotTakeIs405WithAllow() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        String user = local.token("fuzz-user-" + RUN);
        for (Map.Entry<String, String> c : Map.of("TRACE", "/sessions", "PUT", "/sessions/x/history", "POST", "/agents").entrySet()) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(local.apiUrl + c.getValue()))
                    .method(c.getKey(), HttpRequest.BodyPublishers.noBody()).header("Authorization", "Bearer " + user).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(c + " " + r.body()).isEqualTo(405);
            assertThat(r.headers().firstValue("Allow")).as(c.toString()).isPresent();
            assertThat(r.body()).contains("method_not_allowed");
        }
        HttpResponse<String> get = http.send(HttpRequest.newBuilder(URI.create(local.apiUrl + "/sessions"))
                .header("Authorization", "Bearer " + user).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(get.statusCode()).as("a method the path takes still reaches its route").isEqualTo(200);
    }
}
