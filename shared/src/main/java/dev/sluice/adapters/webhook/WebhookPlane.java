package dev.sluice.adapters.webhook;

import dev.sluice.adapters.aws.AwsCallTimer;
import dev.sluice.adapters.aws.AwsClients;
import dev.sluice.adapters.json.Json;
import dev.sluice.core.port.SessionStore;
import dev.sluice.core.usecase.WebhookDestinations;
import dev.sluice.core.usecase.WebhookDispatch;
import dev.sluice.core.usecase.WebhookService;
import dev.sluice.core.webhook.RetrySchedule;
import dev.sluice.core.webhook.TargetAddressPolicy;
import dev.sluice.core.webhook.WebhookTargets;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * The webhook use cases wired to their adapters, from a function's environment: WEBHOOKS_TABLE,
 * WEBHOOK_DELIVERIES_TABLE, WEBHOOK_QUEUE_URL, WEBHOOK_QUEUE_ARN, EVENT_BUS_NAME, WEBHOOK_RETRY_SCHEDULE and
 * WEBHOOK_ALLOW_LOOPBACK ("true" only in local mode).
 */
public final class WebhookPlane {
    private final WebhookService service;
    private final WebhookDispatch dispatch;

    private WebhookPlane(WebhookService service, WebhookDispatch dispatch) {
        this.service = service;
        this.dispatch = dispatch;
    }

    /** Secrets come from a SecureRandom made at first use (never during init, so no SnapStart snapshot holds it). */
    public static Supplier<byte[]> secretBytes() {
        return () -> {
            byte[] bytes = new byte[32];
            new SecureRandom().nextBytes(bytes);
            return bytes;
        };
    }

    public static WebhookTargets targets(Map<String, String> env) {
        return new WebhookTargets(new TargetAddressPolicy("true".equals(env.get("WEBHOOK_ALLOW_LOOPBACK"))), PinnedHttpTransport.standard());
    }

    public static WebhookPlane fromEnvironment(Map<String, String> env, SessionStore sessions) {
        AwsClients aws = AwsClients.shared();
        Clock clock = Clock.systemUTC();
        SqsClient sqs = SqsClient.builder().httpClient(AwsClients.httpClient()).credentialsProvider(AwsClients.credentials())
                .overrideConfiguration(c -> c.addExecutionInterceptor(new AwsCallTimer())).build();
        DynamoWebhookStore store = new DynamoWebhookStore(aws.dynamoDb(), require(env, "WEBHOOKS_TABLE"));
        DynamoDeliveryLog log = new DynamoDeliveryLog(aws.dynamoDb(), require(env, "WEBHOOK_DELIVERIES_TABLE"), clock);
        SqsDeliveryQueue queue = new SqsDeliveryQueue(sqs, require(env, "WEBHOOK_QUEUE_URL"));
        DynamoCallbackSecrets callbackSecrets = new DynamoCallbackSecrets(aws.dynamoDb(), require(env, "WEBHOOKS_TABLE"), secretBytes());
        WebhookTargets targets = targets(env);
        WebhookService service = new WebhookService(store,
                new EventBridgeWebhookRules(aws.eventBridge(), require(env, "EVENT_BUS_NAME"), require(env, "WEBHOOK_QUEUE_ARN")),
                queue, log, targets, callbackSecrets, id -> sessions.find(id).map(s -> s.owner()),
                () -> UUID.randomUUID().toString(), secretBytes(), clock);
        WebhookDispatch dispatch = new WebhookDispatch(new WebhookDestinations(store, sessions, callbackSecrets), queue, log, targets,
                PinnedHttpTransport.standard(), RetrySchedule.parse(env.getOrDefault("WEBHOOK_RETRY_SCHEDULE", RetrySchedule.DEFAULT)),
                Json::write, () -> ThreadLocalRandom.current().nextDouble(), clock);
        return new WebhookPlane(service, dispatch);
    }

    private static String require(Map<String, String> env, String name) {
        String value = env.get(name);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("environment variable " + name + " is not set");
        }
        return value;
    }

    public WebhookService service() {
        return service;
    }

    public WebhookDispatch dispatch() {
        return dispatch;
    }
}
