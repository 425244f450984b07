package dev.sluice.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.atlassian.oai.validator.OpenApiInteractionValidator;
import com.atlassian.oai.validator.model.Request;
import com.atlassian.oai.validator.model.SimpleResponse;
import com.atlassian.oai.validator.report.ValidationReport;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** infra/openapi/sluice.yaml is a valid OpenAPI document, and real responses of every route match it. */
class OpenApiContractIT {
    private static final String SPEC = LocalStack.ROOT.resolve("infra/openapi/sluice.yaml").toUri().toString();
    private static LocalStack local;
    private static ApiClient api;
    private static OpenApiInteractionValidator validator;
    private final Set<String> exercised = new LinkedHashSet<>();
    private final List<String> violations = new ArrayList<>();

    @BeforeAll
    static void stack() throws Exception {
        local = LocalStack.get();
        api = new ApiClient(local.apiUrl);
        validator = OpenApiInteractionValidator.createForSpecificationUrl(SPEC).build();
    }

    @Test
    void theDocumentIsAValidOpenApiDocument() {
        ParseOptions options = new ParseOptions();
        options.setResolve(true);
        SwaggerParseResult result = new OpenAPIV3Parser().readLocation(SPEC, null, options);
        assertThat(result.getMessages()).isEmpty();
        assertThat(result.getOpenAPI().getPaths()).containsKeys("/sessions", "/sessions/{id}", "/resource-groups/{name}");
    }

    @Test
    void theValidatorCatchesAResponseThatBreaksTheDocument() {
        ValidationReport wrongShape = validator.validateResponse("/v1/sessions/x", Request.Method.GET,
                SimpleResponse.Builder.status(200).withContentType("application/json").withBody("{\"id\":42}").build());
        ValidationReport undocumentedStatus = validator.validateResponse("/v1/sessions/x", Request.Method.GET,
                SimpleResponse.Builder.status(418).withContentType("application/json").withBody("{}").build());
        assertThat(wrongShape.hasErrors()).isTrue();
        assertThat(undocumentedStatus.hasErrors()).isTrue();
    }

    private ApiClient.Reply exchange(String operation, String method, String path, String token, String body) {
        ApiClient.Reply reply = api.call(method, path, token, body, Map.of());
        String pathOnly = path.contains("?") ? path.substring(0, path.indexOf('?')) : path;
        ValidationReport report = validator.validateResponse("/v1" + pathOnly, Request.Method.valueOf(method),
                SimpleResponse.Builder.status(reply.status()).withContentType("application/json").withBody(reply.body()).build());
        for (ValidationReport.Message m : report.getMessages()) {
            if (m.getLevel() == ValidationReport.Level.ERROR) {
                violations.add(operation + " " + reply.status() + ": " + m.getMessage());
            }
        }
        exercised.add(operation);
        return reply;
    }

    private void awaitTaskEnd(String token, String task) {
        for (int i = 0; i < 200; i++) {
            if (!new ApiClient(local.apiUrl).get("/tasks/" + task, token).json().path("status").asText().equals("started")) {
                return;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        throw new AssertionError("the clone task " + task + " did not end");
    }

    @Test
    void realResponsesOfEveryRouteMatchTheirDocumentedSchema() {
        String admin = local.adminToken();
        String user = local.token("contract-user");
        String group = "contract-" + UUID.randomUUID().toString().substring(0, 8);

        exchange("createResourceGroup", "POST", "/resource-groups", admin,
                "{\"name\":\"" + group + "\",\"scheduler_options\":{\"allowed_session_types\":[\"interactive\",\"batch\"],\"pending_timeout\":\"1h\"}}");
        exchange("createResourceGroup", "POST", "/resource-groups", admin, "{\"name\":\"" + group + "\"}");
        exchange("createResourceGroup", "POST", "/resource-groups", user, "{\"name\":\"x\"}");
        exchange("putResourceGroup", "PUT", "/resource-groups/" + group, admin,
                "{\"description\":\"contract\",\"scheduler_options\":{\"allowed_session_types\":[\"interactive\",\"batch\"]}}");
        exchange("putResourceGroup", "PUT", "/resource-groups/" + group, admin, "{\"scheduler\":\"nope\"}");
        exchange("updateResourceGroup", "PATCH", "/resource-groups/" + group, admin, "{\"scheduler_options\":{\"pending_timeout\":\"2h\"}}");
        exchange("getResourceGroup", "GET", "/resource-groups/" + group, user, null);
        exchange("getResourceGroup", "GET", "/resource-groups/missing-" + group, user, null);
        exchange("listResourceGroups", "GET", "/resource-groups", user, null);
        exchange("getResourceGroupFleet", "GET", "/resource-groups/" + group + "/fleet", admin, null);
        exchange("putResourceGroupFleet", "PUT", "/resource-groups/" + group + "/fleet", admin, FleetApiIT.CATALOG);
        exchange("putResourceGroupFleet", "PUT", "/resource-groups/" + group + "/fleet", admin, "{\"max_instances\":-1}");
        exchange("putResourceGroupFleet", "PUT", "/resource-groups/" + group + "/fleet", user, FleetApiIT.CATALOG);
        exchange("getResourceGroupFleet", "GET", "/resource-groups/" + group + "/fleet", admin, null);
        exchange("getResourceGroupFleet", "GET", "/resource-groups/" + group + "/fleet", user, null);

        ApiClient.Reply created = exchange("createSession", "POST", "/sessions", user,
                "{\"type\":\"batch\",\"image\":\"python:3.12\",\"startup_command\":\"true\",\"resource_group\":\"" + group
                        + "\",\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\"},\"starts_at\":\"10m\",\"batch_timeout\":60}");
        exchange("createSession", "POST", "/sessions", user, "{\"image\":\"\"}");
        String id = created.json().path("id").asText();
        exchange("getSession", "GET", "/sessions/" + id, user, null);
        exchange("getSession", "GET", "/sessions/does-not-exist", user, null);
        exchange("getSessionHistory", "GET", "/sessions/" + id + "/history", user, null);
        exchange("listSessions", "GET", "/sessions?limit=1", user, null);
        exchange("listSessions", "GET", "/sessions?all=true", user, null);
        exchange("listSessions", "GET", "/sessions?all=true&status=PENDING&order=oldest", admin, null);
        exchange("destroySession", "DELETE", "/sessions/" + id, user, null);
        exchange("destroySession", "DELETE", "/sessions/" + id, user, null);
        exchange("listAgents", "GET", "/agents", admin, null);
        exchange("listAgents", "GET", "/agents", user, null);
        exchange("getAgent", "GET", "/agents/i-nothing", admin, null);
        String agentId = "i-contract-" + UUID.randomUUID().toString().substring(0, 8);
        String agent = local.agentToken(agentId);
        String beat = "{\"resource_group\":\"" + group + "\",\"available_slots\":{\"cpu\":\"4\",\"mem\":\"8g\"}}";
        exchange("agentHeartbeat", "POST", "/agent/heartbeat", agent, beat);
        exchange("agentHeartbeat", "POST", "/agent/heartbeat", agent, "{\"resource_group\":\"" + group + "\"}");
        exchange("agentHeartbeat", "POST", "/agent/heartbeat", user, beat);
        exchange("getAgent", "GET", "/agents/" + agentId, admin, null);
        exchange("updateAgent", "PATCH", "/agents/" + agentId, admin, "{\"schedulable\":false}");
        exchange("updateAgent", "PATCH", "/agents/" + agentId, admin, "{\"schedulable\":1}");
        exchange("updateAgent", "PATCH", "/agents/" + agentId, user, "{\"schedulable\":true}");
        String placed = created.json().path("id").asText();
        exchange("agentReportStatus", "POST", "/agent/sessions/" + placed + "/status", agent, "{\"status\":\"RUNNING\"}");
        exchange("agentReportStatus", "POST", "/agent/sessions/" + placed + "/status", agent, "{\"status\":\"BORED\"}");
        exchange("agentPutLogs", "PUT", "/agent/sessions/" + placed + "/logs", agent, "{\"text\":\"hello\"}");
        exchange("agentPutLogs", "PUT", "/agent/sessions/" + placed + "/logs", agent, "{}");
        // Their 200 answers are exercised by a real agent in AgentEndToEndIT (a session placed on it, with folders).
        exchange("agentMountFiles", "GET", "/agent/sessions/" + placed + "/mounts/data/files", agent, null);
        exchange("agentMountFiles", "GET", "/agent/sessions/" + placed + "/mounts/data/files?page=2", agent, null);
        exchange("agentMountUpload", "POST", "/agent/sessions/" + placed + "/mounts/data/uploads", agent, "{\"path\":\"a.txt\",\"size\":1}");
        exchange("agentMountUpload", "POST", "/agent/sessions/" + placed + "/mounts/data/uploads", agent, "{\"path\":\"../a\",\"size\":1}");
        exchange("getSessionLogs", "GET", "/sessions/" + placed + "/logs?lines=5", user, null);
        exchange("getSessionLogs", "GET", "/sessions/" + placed + "/logs?lines=0", user, null);
        String scope = "/resource-policies/group:" + group;
        exchange("putResourcePolicy", "PUT", scope, admin, "{\"max_concurrent_sessions\":5,\"max_total_slots\":{\"cuda.device\":8}}");
        exchange("putResourcePolicy", "PUT", scope, admin, "{\"max_total_slots\":{\"gpu\":8}}");
        exchange("putResourcePolicy", "PUT", scope, user, "{}");
        exchange("getResourcePolicy", "GET", scope, admin, null);
        exchange("getResourcePolicy", "GET", "/resource-policies/nonsense", admin, null);
        exchange("listResourcePolicies", "GET", "/resource-policies", admin, null);
        exchange("deleteResourcePolicy", "DELETE", scope, admin, null);
        exchange("deleteResourcePolicy", "DELETE", scope, admin, null);
        exchange("deactivateResourceGroup", "DELETE", "/resource-groups/" + group, admin, null);

        ApiClient.Reply hook = exchange("createWebhook", "POST", "/webhooks", user,
                "{\"url\":\"http://127.0.0.1:9/hook\",\"event_types\":[\"session.status_changed\"],\"filter\":{\"statuses\":[\"RUNNING\"]}}");
        exchange("createWebhook", "POST", "/webhooks", user, "{\"url\":\"http://169.254.169.254/\"}");
        String hookId = hook.json().path("id").asText();
        exchange("listWebhooks", "GET", "/webhooks", user, null);
        exchange("getWebhook", "GET", "/webhooks/" + hookId, user, null);
        exchange("getWebhook", "GET", "/webhooks/wh_missing", user, null);
        exchange("updateWebhook", "PATCH", "/webhooks/" + hookId, user, "{\"description\":\"contract\"}");
        exchange("updateWebhook", "PATCH", "/webhooks/" + hookId, user, "{\"filter\":{\"statuses\":[\"NOPE\"]}}");
        exchange("rotateWebhookSecret", "POST", "/webhooks/" + hookId + "/rotate-secret", user, "{\"grace_period\":\"1h\"}");
        exchange("rotateCallbackSecret", "POST", "/webhooks/callback-secret", user, null);
        ApiClient.Reply queued = exchange("testWebhook", "POST", "/webhooks/" + hookId + "/test", user, null);
        exchange("listWebhookDeliveries", "GET", "/webhooks/" + hookId + "/deliveries?limit=5", user, null);
        exchange("listWebhookDeliveries", "GET", "/webhooks/" + hookId + "/deliveries?limit=500", user, null);
        exchange("listWebhookDeadLetters", "GET", "/webhooks/" + hookId + "/dead-letters", user, null);
        exchange("replayWebhookDelivery", "POST", "/webhooks/" + hookId + "/deliveries/msg_none/replay", user, null);
        exchange("replayWebhookDeadLetters", "POST", "/webhooks/" + hookId + "/dead-letters/replay", user, null);
        exchange("deleteWebhook", "DELETE", "/webhooks/" + hookId, user, null);
        exchange("deleteWebhook", "DELETE", "/webhooks/" + hookId, user, null);
        assertThat(queued.status()).isEqualTo(202);
        String folder = "contract-" + UUID.randomUUID().toString().substring(0, 8);
        exchange("createFolder", "POST", "/folders", user, "{\"name\":\"" + folder + "\",\"cloneable\":true}");
        exchange("createFolder", "POST", "/folders", user, "{\"name\":\"" + folder + "\"}");
        exchange("createFolder", "POST", "/folders", user, "{\"name\":\"x\",\"usage_mode\":\"nope\"}");
        exchange("listFolders", "GET", "/folders", user, null);
        exchange("getFolder", "GET", "/folders/" + folder, user, null);
        exchange("getFolder", "GET", "/folders/missing-" + folder, user, null);
        exchange("startUpload", "POST", "/folders/" + folder + "/uploads", user, "{\"path\":\"a/b.txt\",\"size\":3}");
        exchange("startUpload", "POST", "/folders/" + folder + "/uploads", user, "{\"path\":\"big.bin\",\"size\":20000000}");
        exchange("startUpload", "POST", "/folders/" + folder + "/uploads", user, "{\"path\":\"../x\"}");
        exchange("completeUpload", "POST", "/folders/" + folder + "/uploads/complete", user,
                "{\"path\":\"big.bin\",\"upload_id\":\"nope\",\"parts\":[{\"number\":1,\"etag\":\"x\"}]}");
        exchange("completeUpload", "POST", "/folders/" + folder + "/uploads/complete", user, "{\"path\":\"big.bin\"}");
        exchange("downloadFile", "GET", "/folders/" + folder + "/download?path=a/b.txt", user, null);
        exchange("downloadFile", "GET", "/folders/" + folder + "/download?path=..", user, null);
        exchange("listFolderFiles", "GET", "/folders/" + folder + "/files?limit=10", user, null);
        ApiClient.Reply clone = exchange("cloneFolder", "POST", "/folders/" + folder + "/clone", user,
                "{\"target_name\":\"" + folder + "-copy\"}");
        exchange("cloneFolder", "POST", "/folders/" + folder + "/clone", user, "{\"target_name\":\"" + folder + "-copy\"}");
        String task = clone.json().path("task_id").asText();
        exchange("getTask", "GET", "/tasks/" + task, user, null);
        exchange("getTask", "GET", "/tasks/no-such-task", user, null);
        exchange("listTasks", "GET", "/tasks", user, null);
        exchange("cancelTask", "DELETE", "/tasks/no-such-task", user, null);
        exchange("taskEvents", "GET", "/tasks/no-such-task/events", user, null);
        exchange("renameFolder", "PATCH", "/folders/" + folder + "-copy", user, "{\"name\":\"bad/name\"}");
        exchange("renameFolder", "PATCH", "/folders/missing-" + folder, user, "{\"name\":\"" + folder + "-2\"}");
        exchange("deleteFolder", "DELETE", "/folders/missing-" + folder, user, null);
        awaitTaskEnd(user, task);
        exchange("cancelTask", "DELETE", "/tasks/" + task, user, null);
        exchange("renameFolder", "PATCH", "/folders/" + folder + "-copy", user, "{\"name\":\"" + folder + "-2\"}");
        exchange("deleteFolder", "DELETE", "/folders/" + folder + "-2", user, null);

        assertThat(violations).isEmpty();
        Set<String> documented = new LinkedHashSet<>();
        new OpenAPIV3Parser().read(SPEC).getPaths().values().forEach(item ->
                item.readOperations().forEach(op -> documented.add(op.getOperationId())));
        assertThat(exercised).containsExactlyInAnyOrderElementsOf(documented);
    }
}
