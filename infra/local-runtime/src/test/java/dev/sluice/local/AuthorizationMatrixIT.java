package dev.sluice.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every endpoint as anonymous, user A, user B, admin and an agent identity: nobody sees or changes what is not theirs,
 * admin operations need the admin role, and an agent identity is refused by the user API.
 */
class AuthorizationMatrixIT {
    private static LocalStack local;
    private static ApiClient api;
    private static Map<String, String> who;
    private static String group;

    @BeforeAll
    static void stack() throws Exception {
        local = LocalStack.get();
        api = new ApiClient(local.apiUrl);
        who = new LinkedHashMap<>();
        who.put("anonymous", null);
        who.put("userA", local.token("matrix-a"));
        who.put("userB", local.token("matrix-b"));
        who.put("admin", local.adminToken());
        who.put("agent", local.agentToken());
        group = "matrix-" + UUID.randomUUID().toString().substring(0, 8);
        assertThat(api.put("/resource-groups/" + group, who.get("admin"), "{}").status()).isEqualTo(201);
    }

    private static String sessionOfA() {
        ApiClient.Reply r = api.post("/sessions", who.get("userA"),
                "{\"image\":\"python:3.12\",\"resource_group\":\"" + group + "\",\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\"}}");
        assertThat(r.status()).isEqualTo(201);
        return r.json().path("id").asText();
    }

    /** One row of the matrix: a request and the status each caller must get. */
    private record Row(String method, String path, String body, Map<String, Integer> expected) {
    }

    private static Map<String, Integer> expect(int anonymous, int a, int b, int admin, int agent) {
        return Map.of("anonymous", anonymous, "userA", a, "userB", b, "admin", admin, "agent", agent);
    }

    private static String webhookOfA() {
        ApiClient.Reply r = api.post("/webhooks", who.get("userA"), "{\"url\":\"http://127.0.0.1:9/matrix\"}");
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return r.json().path("id").asText();
    }

    @Test
    void everyEndpointAnswersEachCallerAsTheMatrixSays() {
        String id = sessionOfA();
        String hook = webhookOfA();
        String folder = "matrix-" + UUID.randomUUID().toString().substring(0, 8);
        assertThat(api.post("/folders", who.get("userA"), "{\"name\":\"" + folder + "\",\"cloneable\":true}").status()).isEqualTo(201);
        ApiClient.Reply clone = api.post("/folders/" + folder + "/clone", who.get("userA"), "{\"target_name\":\"" + folder + "-c\"}");
        assertThat(clone.status()).isEqualTo(202);
        String task = clone.json().path("task_id").asText();
        String body = "{\"image\":\"python:3.12\",\"resource_group\":\"" + group + "\",\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\"}}";
        List<Row> rows = List.of(
                new Row("POST", "/sessions", body, expect(401, 201, 201, 201, 403)),
                new Row("GET", "/sessions", null, expect(401, 200, 200, 200, 403)),
                new Row("GET", "/sessions?all=true", null, expect(401, 403, 403, 200, 403)),
                new Row("GET", "/sessions/" + id, null, expect(401, 200, 404, 200, 403)),
                new Row("GET", "/sessions/" + id + "/history", null, expect(401, 200, 404, 200, 403)),
                new Row("GET", "/resource-groups", null, expect(401, 200, 200, 200, 403)),
                new Row("GET", "/resource-groups/" + group, null, expect(401, 200, 200, 200, 403)),
                new Row("POST", "/resource-groups", "{\"name\":\"" + group + "-new\"}", expect(401, 403, 403, 201, 403)),
                new Row("PATCH", "/resource-groups/" + group, "{\"description\":\"x\"}", expect(401, 403, 403, 200, 403)),
                new Row("GET", "/agents", null, expect(401, 403, 403, 200, 403)),
                new Row("GET", "/resource-policies", null, expect(401, 403, 403, 200, 403)),
                new Row("PUT", "/resource-policies/group:" + group, "{\"max_pending_sessions\":1000}", expect(401, 403, 403, 200, 403)),
                new Row("GET", "/resource-policies/group:" + group, null, expect(401, 403, 403, 200, 403)),
                new Row("GET", "/agents/i-none", null, expect(401, 403, 403, 404, 403)),
                // webhooks are their owner's alone: another user and an admin both get 404
                new Row("GET", "/webhooks", null, expect(401, 200, 200, 200, 403)),
                new Row("GET", "/webhooks/" + hook, null, expect(401, 200, 404, 404, 403)),
                new Row("PATCH", "/webhooks/" + hook, "{\"description\":\"m\"}", expect(401, 200, 404, 404, 403)),
                new Row("GET", "/webhooks/" + hook + "/deliveries", null, expect(401, 200, 404, 404, 403)),
                new Row("GET", "/webhooks/" + hook + "/dead-letters", null, expect(401, 200, 404, 404, 403)),
                new Row("POST", "/webhooks/" + hook + "/dead-letters/replay", null, expect(401, 202, 404, 404, 403)),
                new Row("POST", "/webhooks/" + hook + "/rotate-secret", null, expect(401, 200, 404, 404, 403)),
                new Row("POST", "/webhooks/callback-secret", null, expect(401, 200, 200, 200, 403)),
                new Row("GET", "/folders", null, expect(401, 200, 200, 200, 403)),
                new Row("GET", "/folders/" + folder, null, expect(401, 200, 404, 404, 403)),
                new Row("GET", "/folders/" + folder + "/files", null, expect(401, 200, 404, 404, 403)),
                new Row("GET", "/tasks", null, expect(401, 200, 200, 200, 403)),
                new Row("GET", "/tasks/" + task, null, expect(401, 200, 404, 200, 403)));
        List<String> wrong = new ArrayList<>();
        for (Row row : rows) {
            for (Map.Entry<String, String> caller : who.entrySet()) {
                ApiClient.Reply reply = api.call(row.method(), row.path(), caller.getValue(), row.body(), Map.of());
                int expected = row.expected().get(caller.getKey());
                if (reply.status() != expected) {
                    wrong.add(row.method() + " " + row.path() + " as " + caller.getKey() + ": " + reply.status() + " not " + expected);
                }
                if (reply.status() >= 400) {
                    assertThat(reply.json().path("error").path("code").asText()).as(reply.body()).isNotBlank();
                }
            }
        }
        assertThat(wrong).isEmpty();
    }

    @Test
    void nobodyElseCanDestroyAUsersSessionButTheAdminCan() {
        String id = sessionOfA();
        String folder = "matrix-" + UUID.randomUUID().toString().substring(0, 8);
        assertThat(api.post("/folders", who.get("userA"), "{\"name\":\"" + folder + "\",\"cloneable\":true}").status()).isEqualTo(201);
        ApiClient.Reply clone = api.post("/folders/" + folder + "/clone", who.get("userA"), "{\"target_name\":\"" + folder + "-c\"}");
        assertThat(clone.status()).isEqualTo(202);
        String task = clone.json().path("task_id").asText();
        for (String caller : List.of("anonymous", "userB", "agent")) {
            assertThat(api.call("DELETE", "/sessions/" + id, who.get(caller), null, Map.of()).status()).isIn(401, 403, 404);
            assertThat(api.get("/sessions/" + id, who.get("userA")).json().path("status").asText()).isEqualTo("PENDING");
        }
        assertThat(api.call("DELETE", "/sessions/" + id, who.get("admin"), null, Map.of()).status()).isEqualTo(200);
        assertThat(api.get("/sessions/" + id, who.get("userA")).json().path("status").asText()).isEqualTo("CANCELLED");
    }

    @Test
    void onlyAdminsChangeOrDeactivateResourceGroups() {
        for (String caller : List.of("userA", "agent")) {
            assertThat(api.put("/resource-groups/" + group, who.get(caller), "{\"active\":false}").status()).isEqualTo(403);
            assertThat(api.call("DELETE", "/resource-groups/" + group, who.get(caller), null, Map.of()).status()).isEqualTo(403);
        }
        assertThat(api.get("/resource-groups/" + group, who.get("admin")).json().path("active").asBoolean()).isTrue();
    }

    @Test
    void listingsShowOnlyTheCallersOwnSessions() {
        String id = sessionOfA();
        String folder = "matrix-" + UUID.randomUUID().toString().substring(0, 8);
        assertThat(api.post("/folders", who.get("userA"), "{\"name\":\"" + folder + "\",\"cloneable\":true}").status()).isEqualTo(201);
        ApiClient.Reply clone = api.post("/folders/" + folder + "/clone", who.get("userA"), "{\"target_name\":\"" + folder + "-c\"}");
        assertThat(clone.status()).isEqualTo(202);
        String task = clone.json().path("task_id").asText();
        JsonNode asB = api.get("/sessions?limit=200", who.get("userB")).json().path("items");
        asB.forEach(s -> assertThat(s.path("id").asText()).isNotEqualTo(id));
        asB.forEach(s -> assertThat(s.path("owner").asText()).isEqualTo(asB.get(0).path("owner").asText()));
        JsonNode asA = api.get("/sessions?limit=200", who.get("userA")).json().path("items");
        assertThat(asA.findValuesAsText("id")).contains(id);
        String ownerA = api.get("/sessions/" + id, who.get("userA")).json().path("owner").asText();
        assertThat(api.get("/sessions?owner=" + ownerA, who.get("userB")).status()).isEqualTo(403);
        assertThat(api.get("/sessions?owner=" + ownerA + "&limit=200", who.get("admin")).json().path("items").findValuesAsText("id")).contains(id);
    }
}
