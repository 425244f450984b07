package dev.sluice.functions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import com.sun.net.httpserver.HttpServer;
import dev.sluice.adapters.ControlPlane;
import dev.sluice.adapters.Wiring;
import dev.sluice.adapters.aws.Offline;
import dev.sluice.functions.api.AgentWorkApi;
import dev.sluice.functions.api.AgentsApi;
import dev.sluice.functions.api.ResourceGroupsApi;
import dev.sluice.functions.api.ResourcePoliciesApi;
import dev.sluice.functions.api.SessionsApi;
import dev.sluice.functions.api.WebhooksApi;
import dev.sluice.functions.folders.CloneStep;
import dev.sluice.functions.folders.CloneSweepTick;
import dev.sluice.functions.folders.FolderDeletionWorker;
import dev.sluice.functions.folders.FoldersApi;
import dev.sluice.functions.folders.TasksApi;
import dev.sluice.functions.scheduler.AgentMonitor;
import dev.sluice.functions.scheduler.SpotInterruptionHandler;
import dev.sluice.functions.scheduler.SchedulerNudge;
import dev.sluice.functions.scheduler.SchedulerTick;
import dev.sluice.functions.webhook.WebhookDispatcher;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Priming is SnapStart-ready: it runs every kind of handler with AWS and the token issuer both pointed at a
 * recording server, and nothing reaches that server (no AWS call, no write, no JWKS fetch) while the AWS calls it
 * makes are answered offline.
 */
class PrimingTest {
    private static HttpServer recorder;
    private static final List<String> RECEIVED = new CopyOnWriteArrayList<>();
    private static Map<String, String> env;

    @BeforeAll
    static void pointEverythingAtARecorder() throws Exception {
        recorder = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        recorder.createContext("/", exchange -> {
            RECEIVED.add(exchange.getRequestMethod() + " " + exchange.getRequestURI());
            exchange.sendResponseHeaders(500, -1);
            exchange.close();
        });
        recorder.start();
        String url = "http://127.0.0.1:" + recorder.getAddress().getPort();
        // Read when the AWS clients are built (the first ControlPlane below); system properties win over AWS_ENDPOINT_URL.
        System.setProperty("aws.endpointUrl", url);
        System.setProperty("aws.region", "us-east-1");
        // Outside priming the clients sign with these (the first provider of the default chain); during priming with
        // made-up ones, whatever the chain would find (OfflineTest shows the chain is not asked).
        System.setProperty("aws.accessKeyId", "test");
        System.setProperty("aws.secretAccessKey", "test");
        env = Map.ofEntries(Map.entry("SESSIONS_TABLE", "sessions"), Map.entry("IDEMPOTENCY_TABLE", "idempotency"),
                Map.entry("AGENTS_TABLE", "agents"), Map.entry("RESOURCE_GROUPS_TABLE", "groups"),
                Map.entry("RESOURCE_POLICIES_TABLE", "policies"), Map.entry("EVENT_BUS_NAME", "bus"),
                Map.entry("JWT_ISSUER", url + "/issuer"), Map.entry("JWT_AUDIENCE", "client"), Map.entry("JWKS_URL", url + "/jwks.json"),
                Map.entry("SESSION_LOGS_BUCKET", "logs"), Map.entry("FOLDERS_TABLE", "folders"), Map.entry("TASKS_TABLE", "tasks"),
                Map.entry("FOLDER_BUCKET", "folder-bucket"),
                Map.entry("CLONE_STATE_MACHINE_ARN", "arn:aws:states:us-east-1:000000000000:stateMachine:clone"),
                Map.entry("WEBHOOKS_TABLE", "webhooks"), Map.entry("WEBHOOK_DELIVERIES_TABLE", "deliveries"),
                Map.entry("WEBHOOK_QUEUE_URL", url + "/000000000000/deliveries"),
                Map.entry("WEBHOOK_QUEUE_ARN", "arn:aws:sqs:us-east-1:000000000000:deliveries"));
    }

    @AfterAll
    static void stop() {
        recorder.stop(0);
        System.clearProperty("aws.endpointUrl");
        System.clearProperty("aws.accessKeyId");
        System.clearProperty("aws.secretAccessKey");
    }

    private static List<RequestHandler<?, ?>> everyKindOfHandler() {
        Wiring plane = Wiring.fromEnvironment(env);
        List<RequestHandler<?, ?>> handlers = new ArrayList<>(List.of(new SessionsApi(plane), new ResourceGroupsApi(plane),
                new ResourcePoliciesApi(plane), new AgentsApi(plane), new WebhooksApi(plane), new AgentWorkApi(plane),
                new FoldersApi(plane), new TasksApi(plane), new CloneStep(plane), new CloneSweepTick(plane),
                new FolderDeletionWorker(plane), new AgentMonitor(plane), new SchedulerTick(plane), new SchedulerNudge(plane),
                new WebhookDispatcher(plane), new SpotInterruptionHandler(plane)));
        return handlers;
    }

    @Test
    void primingEveryHandlerCallsAwsOnlyOfflineAndReachesNoServer() {
        List<RequestHandler<?, ?>> handlers = everyKindOfHandler();
        RECEIVED.clear();

        Priming.Report report = Priming.prime(handlers);

        assertThat(RECEIVED).as("requests that reached AWS or the token issuer").isEmpty();
        // The read routes of the API functions and the scheduled functions' reads went through the SDK, answered offline.
        assertThat(report.offlineCalls()).isGreaterThanOrEqualTo(10);
        assertThat(report.failedSteps()).noneMatch(s -> s.startsWith("json") || s.startsWith("token"));
    }

    @Test
    void theFirstGetOfASessionIsAnsweredOfflineAsNotFound() {
        SessionsApi sessions = new SessionsApi(Wiring.fromEnvironment(env));
        RECEIVED.clear();
        int before = Offline.answered();

        APIGatewayProxyResponseEvent answer = Offline.run(() -> sessions.answerOffline(Priming.get("/sessions/{id}"), Priming.CALLER));

        // GetItem marshalled, signed with made-up credentials, answered {} (no item): the use case's not-found answer.
        assertThat(answer.getStatusCode()).isEqualTo(404);
        assertThat(Offline.answered() - before).isEqualTo(1);
        assertThat(RECEIVED).isEmpty();
    }

    @Test
    void theCheckpointHookPrimesTheRegisteredHandlers() {
        SessionsApi sessions = new SessionsApi(Wiring.fromEnvironment(env));
        Priming.register(sessions);
        RECEIVED.clear();
        int before = Offline.answered();

        Priming.instance().beforeCheckpoint(null);

        assertThat(Offline.answered() - before).isGreaterThanOrEqualTo(2); // GET /sessions/{id} and GET /sessions at least
        assertThat(RECEIVED).isEmpty();
    }

    @Test
    void answeringPastTheTokenCheckIsRefusedOutsidePriming() {
        SessionsApi sessions = new SessionsApi(Wiring.fromEnvironment(env));

        assertThatThrownBy(() -> sessions.answerOffline(Priming.get("/sessions/{id}"), Priming.CALLER))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("priming");
    }

    @Test
    void outsidePrimingTheSameClientsReachTheServer() {
        Wiring wiring = Wiring.fromEnvironment(env);
        ControlPlane plane = wiring.control();
        SessionsApi sessions = new SessionsApi(wiring);
        RECEIVED.clear();

        // The AWS clients are pointed at the recorder (so the tests above would have seen a leaked call).
        assertThatThrownBy(() -> plane.sessionStore().find("s-1")).isInstanceOf(RuntimeException.class);
        assertThat(RECEIVED).anyMatch(r -> r.startsWith("POST /"));

        // A real call (with a token the recorder cannot vouch for) fetches the issuer's keys: the recorder sees it.
        sessions.handleRequest(Priming.get("/sessions/{id}"), null);

        assertThat(RECEIVED).anyMatch(r -> r.startsWith("GET /jwks.json"));
    }
}
