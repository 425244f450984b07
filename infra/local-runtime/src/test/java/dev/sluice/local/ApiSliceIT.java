package dev.sluice.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.adapters.json.Json;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** The first vertical slice through the emulator's API Gateway, Cognito authorizer and the local runtime. */
class ApiSliceIT {
    private static LocalStack local;
    private static ApiClient api;
    private static String alice;
    private static String bob;
    private static String admin;

    @BeforeAll
    static void stack() throws Exception {
        local = LocalStack.get();
        api = new ApiClient(local.apiUrl);
        alice = local.token("alice");
        bob = local.token("bob");
        admin = local.adminToken();
        assertThat(api.put("/resource-groups/slice-gpu", admin, """
                {"description":"GPU hosts","scheduler":"fifo",
                 "scheduler_options":{"allowed_session_types":["interactive","batch"],"pending_timeout":"30m"}}""").status())
                .isIn(200, 201);
        assertThat(api.put("/resource-groups/slice-infer", admin, """
                {"scheduler_options":{"allowed_session_types":["inference"]}}""").status()).isIn(200, 201);
    }

    private static String subjectOf(String token) {
        String payload = new String(Base64.getUrlDecoder().decode(token.split("\\.")[1]), StandardCharsets.UTF_8);
        return Json.readObjectUnchecked(payload).get("sub").toString();
    }

    private static int sessionsOwnedBy(String owner) {
        try (DynamoDbClient ddb = DynamoDbClient.builder().build()) {
            return ddb.query(b -> b.tableName(local.functionEnvironment().get("SESSIONS_TABLE")).indexName("by-owner-keys")
                    .keyConditionExpression("#o = :o").expressionAttributeNames(Map.of("#o", "owner"))
                    .expressionAttributeValues(Map.of(":o", AttributeValue.fromS(owner)))).count();
        }
    }

    @Test
    void aUserCreatesAndReadsTheirSession() {
        ApiClient.Reply created = api.post("/sessions", alice, """
                {"name":"train-1","type":"batch","image":"python:3.12","startup_command":"python train.py",
                 "resource_group":"slice-gpu","resource_slots":{"cpu":4,"mem":"16g","cuda.device":1},"priority":20,
                 "batch_timeout":"2h","tags":["exp-7"]}""");
        assertThat(created.status()).isEqualTo(201);
        JsonNode s = created.json();
        assertThat(s.path("status").asText()).isEqualTo("PENDING");
        assertThat(s.path("resource_group").asText()).isEqualTo("slice-gpu");
        assertThat(s.path("owner").asText()).isEqualTo(subjectOf(alice));
        assertThat(s.path("resource_slots").path("mem").asText()).isEqualTo("17179869184");
        assertThat(s.path("batch_timeout").asLong()).isEqualTo(7200);
        assertThat(s.path("status_history").get(0).path("status").asText()).isEqualTo("PENDING");

        ApiClient.Reply read = api.get("/sessions/" + s.path("id").asText(), alice);
        assertThat(read.status()).isEqualTo(200);
        assertThat(read.json().path("id").asText()).isEqualTo(s.path("id").asText());
        assertThat(read.json().path("name").asText()).isEqualTo("train-1");
    }

    @Test
    void withNoGroupNamedTheFirstGroupAcceptingTheTypeIsChosen() {
        ApiClient.Reply created = api.post("/sessions", alice, """
                {"type":"inference","image":"vllm:latest","resource_slots":{"cpu":2,"mem":"8g"}}""");
        assertThat(created.status()).isEqualTo(201);
        String expected = local.controlPlane().groupStore().list().stream()
                .filter(g -> g.active() && g.isPublic() && g.schedulerOptions().accepts(dev.sluice.core.session.SessionType.INFERENCE))
                .map(dev.sluice.core.group.ResourceGroup::name)
                .findFirst().orElseThrow();
        assertThat(created.json().path("resource_group").asText()).isEqualTo(expected);
        ApiClient.Reply refused = api.post("/sessions", alice, """
                {"type":"inference","resource_group":"slice-gpu","image":"vllm:latest","resource_slots":{"cpu":2,"mem":"8g"}}""");
        assertThat(refused.status()).isEqualTo(422);
        assertThat(refused.json().path("error").path("message").asText()).contains("slice-infer");
    }

    @Test
    void nobodyElseSeesAUsersSessionButAnAdminDoes() {
        String id = api.post("/sessions", alice, """
                {"image":"python:3.12","resource_group":"slice-gpu","resource_slots":{"cpu":1,"mem":"1g"}}""").json().path("id").asText();
        ApiClient.Reply asBob = api.get("/sessions/" + id, bob);
        assertThat(asBob.status()).isEqualTo(404);
        assertThat(asBob.json().path("error").path("code").asText()).isEqualTo("not_found");
        assertThat(api.get("/sessions/" + id, admin).status()).isEqualTo(200);
    }

    @Test
    void requestsWithoutAValidTokenAreRefusedNamingTheHeader() {
        String tampered = alice.substring(0, alice.length() - 4) + (alice.endsWith("AAAA") ? "BBBB" : "AAAA");
        for (ApiClient.Reply reply : java.util.List.of(api.get("/sessions/anything", null),
                api.get("/sessions/anything", "not.a.token"),
                api.post("/sessions", tampered, "{\"image\":\"x\"}"),
                api.put("/resource-groups/sneaky", null, "{}"))) {
            assertThat(reply.status()).isEqualTo(401);
            assertThat(reply.json().path("error").path("code").asText()).isEqualTo("unauthenticated");
            assertThat(reply.errorField()).isEqualTo("Authorization");
        }
        assertThat(api.get("/resource-groups/sneaky", admin).status()).isEqualTo(404);
    }

    @Test
    void anUnknownRouteAndAnUnsignedAgentCallGetOneRefusalInTheSameErrorShape() {
        // API Gateway answers both with MISSING_AUTHENTICATION_TOKEN: the template gives it one message true of both.
        for (ApiClient.Reply reply : java.util.List.of(api.get("/no-such-thing", alice), api.post("/agent/heartbeat", null, "{}"))) {
            assertThat(reply.status()).isEqualTo(403);
            assertThat(reply.json().path("error").path("code").asText()).isEqualTo("forbidden");
            assertThat(reply.json().path("error").path("message").asText())
                    .isEqualTo("There is no such route, or the route takes only requests signed with AWS Signature Version 4 (the agent routes, /agent/...).");
        }
    }

    @Test
    void onlyAdminsDefineResourceGroups() {
        ApiClient.Reply reply = api.put("/resource-groups/mine", alice, "{\"description\":\"no\"}");
        assertThat(reply.status()).isEqualTo(403);
        assertThat(reply.json().path("error").path("code").asText()).isEqualTo("forbidden");
        assertThat(api.get("/resource-groups/mine", admin).status()).isEqualTo(404);
    }

    static Stream<Arguments> badGroupDefinitions() {
        return Stream.of(
                Arguments.of("{\"scheduler_options\":{\"pending_timeout\":\"forever\"}}", "scheduler_options.pending_timeout"),
                Arguments.of("{\"scheduler_options\":{\"pending_timeout\":-5}}", "scheduler_options.pending_timeout"),
                Arguments.of("{\"scheduler_options\":{\"allowed_session_types\":[]}}", "scheduler_options.allowed_session_types"),
                Arguments.of("{\"scheduler_options\":{\"allowed_session_types\":[\"gaming\"]}}", "scheduler_options.allowed_session_types"),
                Arguments.of("{\"scheduler_options\":{\"agent_selection_strategy\":\"random\"}}", "scheduler_options.agent_selection_strategy"),
                Arguments.of("{\"scheduler\":\"sjf\"}", "scheduler"),
                Arguments.of("{\"active\":\"yes\"}", "active"));
    }

    @ParameterizedTest
    @MethodSource("badGroupDefinitions")
    void badSchedulerOptionsAreRefusedNamingTheField(String body, String field) {
        String name = "bad-" + UUID.randomUUID().toString().substring(0, 8);
        ApiClient.Reply reply = api.put("/resource-groups/" + name, admin, body);
        assertThat(reply.status()).isEqualTo(422);
        assertThat(reply.errorField()).isEqualTo(field);
        assertThat(api.get("/resource-groups/" + name, admin).status()).isEqualTo(404);
    }

    static Stream<Arguments> badSessionRequests() {
        return Stream.of(
                Arguments.of("{bad json", 400, "body"),
                Arguments.of("[1,2]", 400, "body"),
                Arguments.of("", 400, "body"),
                Arguments.of("{\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\"}}", 422, "image"),
                Arguments.of("{\"image\":42,\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\"}}", 422, "image"),
                Arguments.of("{\"image\":\"py\",\"priority\":\"high\",\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\"}}", 422, "priority"),
                Arguments.of("{\"image\":\"py\",\"priority\":101,\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\"}}", 422, "priority"),
                Arguments.of("{\"image\":\"py\",\"resource_slots\":[1]}", 422, "resource_slots"),
                Arguments.of("{\"image\":\"py\",\"resource_slots\":{\"cpu\":-1,\"mem\":\"1g\"}}", 422, "resource_slots.cpu"),
                Arguments.of("{\"image\":\"py\",\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\",\"gpu\":1}}", 422, "resource_slots.gpu"),
                Arguments.of("{\"image\":\"py\",\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\",\"cuda.device\":0.5}}", 422, "resource_slots.cuda.device"),
                Arguments.of("{\"image\":\"py\",\"resource_group\":\"nope\",\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\"}}", 422, "resource_group"),
                Arguments.of("{\"image\":\"py\",\"type\":\"inference\",\"resource_group\":\"slice-gpu\",\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\"}}", 422, "type"),
                Arguments.of("{\"image\":\"py\",\"type\":\"gaming\",\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\"}}", 422, "type"),
                Arguments.of("{\"image\":\"py\",\"type\":\"batch\",\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\"}}", 422, "startup_command"),
                Arguments.of("{\"image\":\"py\",\"imgae\":\"typo\",\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\"}}", 422, "imgae"),
                Arguments.of("{\"image\":\"py\",\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\"},\"environment\":{\"A\":1}}", 422, "environment.A"),
                Arguments.of("{\"image\":\"py\",\"cluster_mode\":\"multi-node\",\"cluster_size\":51,\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\"}}", 422, "cluster_size"),
                Arguments.of("{\"image\":\"py\",\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\"},\"pad\":\"" + "x".repeat(70_000) + "\"}", 413, "body"));
    }

    @ParameterizedTest
    @MethodSource("badSessionRequests")
    void badSessionRequestsGetAFieldNamedErrorAndWriteNothing(String body, int status, String field) {
        String mallory = local.token("mallory");
        int before = sessionsOwnedBy(subjectOf(mallory));
        ApiClient.Reply reply = api.post("/sessions", mallory, body);
        assertThat(reply.status()).as(reply.body()).isEqualTo(status);
        assertThat(reply.errorField()).isEqualTo(field);
        assertThat(reply.json().path("error").path("message").asText()).isNotBlank();
        assertThat(sessionsOwnedBy(subjectOf(mallory))).isEqualTo(before);
    }

    @Test
    void aRetriedCreateWithTheSameIdempotencyKeyReturnsTheSameSession() {
        String body = "{\"image\":\"python:3.12\",\"resource_group\":\"slice-gpu\",\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\"}}";
        Map<String, String> key = Map.of("Idempotency-Key", "api-" + UUID.randomUUID());
        ApiClient.Reply first = api.call("POST", "/sessions", bob, body, key);
        ApiClient.Reply again = api.call("POST", "/sessions", bob, body, key);
        assertThat(first.status()).isEqualTo(201);
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.json().path("id").asText()).isEqualTo(first.json().path("id").asText());
        ApiClient.Reply other = api.call("POST", "/sessions", bob, body.replace("1g", "2g"), key);
        assertThat(other.status()).isEqualTo(422);
        assertThat(other.errorField()).isEqualTo("Idempotency-Key");
        ApiClient.Reply badKey = api.call("POST", "/sessions", bob, body, Map.of("Idempotency-Key", "spaces are not allowed"));
        assertThat(badKey.status()).isEqualTo(400);
        assertThat(badKey.errorField()).isEqualTo("Idempotency-Key");
    }
}
