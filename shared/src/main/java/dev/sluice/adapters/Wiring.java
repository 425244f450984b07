package dev.sluice.adapters;

import dev.sluice.adapters.auth.JwtVerifier;
import dev.sluice.adapters.aws.AwsCallTimer;
import dev.sluice.adapters.aws.AwsClients;
import dev.sluice.adapters.aws.CursorKeySecret;
import dev.sluice.adapters.dynamodb.DynamoAgentStore;
import dev.sluice.adapters.dynamodb.DynamoPassLease;
import dev.sluice.adapters.dynamodb.DynamoResourceGroupStore;
import dev.sluice.adapters.dynamodb.DynamoResourcePolicyStore;
import dev.sluice.adapters.dynamodb.DynamoSessionStore;
import dev.sluice.adapters.dynamodb.IdempotentResponses;
import dev.sluice.adapters.eventbridge.EventBridgePublisher;
import dev.sluice.adapters.folders.DynamoFolderStore;
import dev.sluice.adapters.folders.DynamoTaskStore;
import dev.sluice.adapters.folders.EventBridgeFolderEvents;
import dev.sluice.adapters.folders.S3FolderStorage;
import dev.sluice.adapters.folders.StepFunctionsCloneWorkflow;
import dev.sluice.adapters.json.Json;
import dev.sluice.adapters.s3.S3SessionLogs;
import dev.sluice.adapters.webhook.DynamoCallbackSecrets;
import dev.sluice.adapters.webhook.DynamoDeliveryLog;
import dev.sluice.adapters.webhook.DynamoWebhookStore;
import dev.sluice.adapters.webhook.EventBridgeWebhookRules;
import dev.sluice.adapters.webhook.PinnedHttpTransport;
import dev.sluice.adapters.webhook.SqsDeliveryQueue;
import dev.sluice.adapters.webhook.WebhookPlane;
import dev.sluice.core.agent.Liveness;
import dev.sluice.core.port.FolderLookup;
import dev.sluice.core.port.FolderUsers;
import dev.sluice.core.port.IdGenerator;
import dev.sluice.core.port.SessionStore;
import dev.sluice.core.time.DurationText;
import dev.sluice.core.usecase.CloneSettings;
import dev.sluice.core.usecase.FolderCatalog;
import dev.sluice.core.usecase.FolderDeletion;
import dev.sluice.core.usecase.MountTransfers;
import dev.sluice.core.usecase.PlanApplier;
import dev.sluice.core.usecase.SessionFolderUsers;
import dev.sluice.core.usecase.WebhookDestinations;
import dev.sluice.core.usecase.WebhookDispatch;
import dev.sluice.core.usecase.WebhookService;
import dev.sluice.core.webhook.RetrySchedule;
import dev.sluice.core.webhook.TargetAddressPolicy;
import dev.sluice.core.webhook.WebhookTargets;
import java.net.URI;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * The one wiring root of a function: the only place that reads the function's environment, makes the clock and the id
 * generator, and builds the adapters and the use cases from them. Handlers take a {@code Wiring} and ask it for the
 * use cases they answer with ({@link #control()}, {@link #folders()}, {@link #webhooks()}); each part is built at its
 * first use (a clone step never needs the token keys, a heartbeat never needs S3) and once. Building touches no
 * network, so it is safe during SnapStart init.
 */
public final class Wiring {
    private final Map<String, String> env;
    private final Clock clock;
    private final IdGenerator ids;
    private ControlPlane control;
    private FolderPlane folders;
    private WebhookPlane webhooks;

    /** The wiring of a deployed function: the system clock and random UUIDs. */
    public static Wiring fromEnvironment(Map<String, String> env) {
        return new Wiring(env, Clock.systemUTC(), () -> UUID.randomUUID().toString());
    }

    public Wiring(Map<String, String> env, Clock clock, IdGenerator ids) {
        this.env = Map.copyOf(env);
        this.clock = clock;
        this.ids = ids;
    }

    /** The one clock of the function: every use case, adapter and the request frame read time from it. */
    public Clock clock() {
        return clock;
    }

    /** The one id generator of the function. */
    public IdGenerator ids() {
        return ids;
    }

    /** A setting of the function's environment ({@code fallback} when it is unset or blank). */
    public String setting(String name, String fallback) {
        String value = env.get(name);
        return value == null || value.isBlank() ? fallback : value;
    }

    /** Sessions, groups, policies, agents, scheduling, tokens and idempotent answers. */
    public synchronized ControlPlane control() {
        if (control == null) {
            AwsClients aws = AwsClients.shared();
            control = new ControlPlane(
                    new DynamoSessionStore(aws.enhanced(), aws.dynamoDb(), require("SESSIONS_TABLE"), require("IDEMPOTENCY_TABLE"),
                            require("AGENTS_TABLE"), clock, DynamoSessionStore.ListingIndexes.fromEnvironment(env.get("SESSION_LISTING_INDEXES"))),
                    new DynamoResourceGroupStore(aws.enhanced(), require("RESOURCE_GROUPS_TABLE")),
                    new DynamoAgentStore(aws.enhanced(), aws.dynamoDb(), require("AGENTS_TABLE")),
                    concurrency(env, "SCHEDULER_APPLY_CONCURRENCY", PlanApplier.DEFAULT_CONCURRENCY),
                    new DynamoResourcePolicyStore(aws.dynamoDb(), require("RESOURCE_POLICIES_TABLE")),
                    new DynamoPassLease(aws.dynamoDb(), require("RESOURCE_GROUPS_TABLE")),
                    new EventBridgePublisher(aws.eventBridge(), require("EVENT_BUS_NAME")),
                    new IdempotentResponses(aws.enhanced(), require("IDEMPOTENCY_TABLE"), clock, ids),
                    JwtVerifier.forJwksUrl(require("JWT_ISSUER"), require("JWT_AUDIENCE"), require("JWKS_URL"), clock),
                    S3SessionLogs.create(require("SESSION_LOGS_BUCKET")),
                    duration("AGENT_HEARTBEAT_INTERVAL", Liveness.DEFAULT_INTERVAL),
                    duration("AGENT_HEARTBEAT_TIMEOUT", Liveness.DEFAULT_TIMEOUT),
                    clock,
                    ids,
                    folderLookup(),
                    this::webhooks,
                    webhookTargets(),
                    fleet());
            CursorKeySecret.install(env);
        }
        return control;
    }

    /**
     * The elastic fleet's parts (issue 17): the store of launches where the function has the fleet table
     * ({@code FLEET_TABLE}), and the driver where it may also launch ({@link #fleetDriver}).
     */
    private ControlPlane.Fleet fleet() {
        String table = env.get("FLEET_TABLE");
        if (table == null || table.isBlank()) {
            return ControlPlane.Fleet.NONE;
        }
        return new ControlPlane.Fleet(Optional.of(new dev.sluice.adapters.dynamodb.DynamoFleetStore(AwsClients.shared().dynamoDb(), table)),
                this::fleetDriver);
    }

    /**
     * The fleet driver of a function that launches agents (the scheduler's: env {@code SLUICE_AGENT_LAUNCH_TEMPLATE_ID}
     * names the agents' launch template); empty elsewhere, and then no pass launches anything. Made at the first pass
     * of a group with a catalog, not at SnapStart.
     */
    Optional<dev.sluice.core.port.FleetDriver> fleetDriver() {
        return dev.sluice.adapters.ec2.Ec2FleetDriver.configured(env, clock);
    }

    /** Folders, clones, deletions and background tasks. */
    public synchronized FolderPlane folders() {
        if (folders == null) {
            AwsClients aws = AwsClients.shared();
            Optional<URI> endpoint = s3Endpoint();
            S3Client s3 = S3Client.builder().httpClient(AwsClients.httpClient()).credentialsProvider(AwsClients.credentials())
                    .forcePathStyle(endpoint.isPresent())
                    .overrideConfiguration(c -> c.addExecutionInterceptor(new AwsCallTimer())).build();
            S3Presigner.Builder presigner = S3Presigner.builder().credentialsProvider(AwsClients.credentials())
                    .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(endpoint.isPresent()).build());
            endpoint.ifPresent(presigner::endpointOverride);
            SfnClient sfn = SfnClient.builder().httpClient(AwsClients.httpClient()).credentialsProvider(AwsClients.credentials()).build();
            String tasksTable = require("TASKS_TABLE");
            long threshold = number("CLONE_MULTIPART_THRESHOLD", FolderPlane.DEFAULT_MULTIPART_THRESHOLD);
            folders = new FolderPlane(
                    new DynamoFolderStore(aws.dynamoDb(), require("FOLDERS_TABLE"), tasksTable),
                    new DynamoTaskStore(aws.dynamoDb(), tasksTable),
                    new S3FolderStorage(s3, presigner.build(), require("FOLDER_BUCKET"), threshold,
                            Math.min(FolderPlane.PART_SIZE, Math.max(threshold, 5L << 20)), clock),
                    new StepFunctionsCloneWorkflow(sfn, require("CLONE_STATE_MACHINE_ARN")),
                    new EventBridgeFolderEvents(aws.eventBridge(), require("EVENT_BUS_NAME"), clock),
                    sessionsUsing(),
                    clock,
                    ids,
                    new CloneSettings((int) number("CLONE_PAGE_SIZE", 1000), (int) number("CLONE_PAGES_PER_EXECUTION", 500), threshold),
                    (int) number("CLONE_COPY_CONCURRENCY", 32),
                    new FolderDeletion.Budget((int) number("FOLDER_DELETE_REQUEST_PAGES", FolderCatalog.REQUEST_DELETION_BUDGET.pages()),
                            FolderCatalog.REQUEST_DELETION_BUDGET.time()));
        }
        return folders;
    }

    /** The agent API's folder mounts: sessions from the control plane, folders and their data from the folder plane. */
    public MountTransfers mountTransfers() {
        FolderPlane f = folders();
        return new MountTransfers(control().sessionStore(), f.folderStore(), f.storage(), clock);
    }

    /**
     * The webhook use cases (WEBHOOKS_TABLE, WEBHOOK_DELIVERIES_TABLE, WEBHOOK_QUEUE_URL, WEBHOOK_QUEUE_ARN,
     * EVENT_BUS_NAME, WEBHOOK_RETRY_SCHEDULE, WEBHOOK_ALLOW_LOOPBACK).
     */
    public synchronized WebhookPlane webhooks() {
        if (webhooks == null) {
            AwsClients aws = AwsClients.shared();
            SessionStore sessions = control().sessionStore();
            SqsClient sqs = SqsClient.builder().httpClient(AwsClients.httpClient()).credentialsProvider(AwsClients.credentials())
                    .overrideConfiguration(c -> c.addExecutionInterceptor(new AwsCallTimer())).build();
            DynamoWebhookStore store = new DynamoWebhookStore(aws.dynamoDb(), require("WEBHOOKS_TABLE"));
            DynamoDeliveryLog log = new DynamoDeliveryLog(aws.dynamoDb(), require("WEBHOOK_DELIVERIES_TABLE"), clock);
            SqsDeliveryQueue queue = new SqsDeliveryQueue(sqs, require("WEBHOOK_QUEUE_URL"));
            DynamoCallbackSecrets callbackSecrets = new DynamoCallbackSecrets(aws.dynamoDb(), require("WEBHOOKS_TABLE"), secretBytes());
            WebhookTargets targets = webhookTargets();
            WebhookService service = new WebhookService(store,
                    new EventBridgeWebhookRules(aws.eventBridge(), require("EVENT_BUS_NAME"), require("WEBHOOK_QUEUE_ARN")),
                    queue, log, targets, callbackSecrets, id -> sessions.find(id).map(s -> s.owner()), ids, secretBytes(), clock);
            WebhookDispatch dispatch = new WebhookDispatch(new WebhookDestinations(store, sessions, callbackSecrets), queue, log, targets,
                    PinnedHttpTransport.standard(), RetrySchedule.parse(env.getOrDefault("WEBHOOK_RETRY_SCHEDULE", RetrySchedule.DEFAULT)),
                    envelope -> Json.write(Json.plain(envelope)), () -> ThreadLocalRandom.current().nextDouble(), clock);
            webhooks = new WebhookPlane(service, dispatch);
        }
        return webhooks;
    }

    /** The target-address rules for webhook and callback URLs (loopback allowed only in local mode). */
    public WebhookTargets webhookTargets() {
        return new WebhookTargets(new TargetAddressPolicy("true".equals(env.get("WEBHOOK_ALLOW_LOOPBACK"))), PinnedHttpTransport.standard());
    }

    /** Secrets come from a SecureRandom made at first use (never during init, so no SnapStart snapshot holds it). */
    static Supplier<byte[]> secretBytes() {
        return () -> {
            byte[] bytes = new byte[32];
            new SecureRandom().nextBytes(bytes);
            return bytes;
        };
    }

    /**
     * Which sessions still mount a folder, from the sessions table ({@code SESSIONS_TABLE}); made at the first rename or
     * delete, so the functions that never ask (clone steps, sweeps) do not pay for it when they start.
     */
    private FolderUsers sessionsUsing() {
        String sessions = require("SESSIONS_TABLE");
        String idempotency = require("IDEMPOTENCY_TABLE");
        String agents = require("AGENTS_TABLE");
        AtomicReference<FolderUsers> made = new AtomicReference<>();
        DynamoSessionStore.ListingIndexes listing = DynamoSessionStore.ListingIndexes.fromEnvironment(env.get("SESSION_LISTING_INDEXES"));
        return (owner, folderId, limit) -> made.updateAndGet(m -> m != null ? m : new SessionFolderUsers(new DynamoSessionStore(
                AwsClients.shared().enhanced(), AwsClients.shared().dynamoDb(), sessions, idempotency, agents, clock, listing)))
                .activeSessionsMounting(owner, folderId, limit);
    }

    /** Session mounts read folders from the folders table when the function has one (FOLDERS_TABLE). */
    private FolderLookup folderLookup() {
        String table = env.get("FOLDERS_TABLE");
        if (table == null || table.isBlank()) {
            return FolderLookup.NONE;
        }
        DynamoFolderStore store = new DynamoFolderStore(AwsClients.shared().dynamoDb(), table, env.getOrDefault("TASKS_TABLE", ""));
        return store::find;
    }

    /** The endpoint named by the standard variable (or system property), for the presigner, which does not read it. */
    static Optional<URI> s3Endpoint() {
        String value = System.getenv("AWS_ENDPOINT_URL_S3");
        if (value == null || value.isBlank()) {
            value = System.getenv("AWS_ENDPOINT_URL");
        }
        if (value == null || value.isBlank()) {
            value = System.getProperty("aws.endpointUrl");
        }
        return value == null || value.isBlank() ? Optional.empty() : Optional.of(URI.create(value));
    }

    private Duration duration(String name, Duration fallback) {
        String text = env.get(name);
        if (text == null || text.isBlank()) {
            return fallback;
        }
        return DurationText.parse(text).orElseThrow(() -> new IllegalStateException(name + " is not a duration: " + text));
    }

    /** A positive whole number from the environment (how many placements the plan applier writes at once). */
    static int concurrency(Map<String, String> env, String name, int fallback) {
        String value = env.get(name);
        if (value == null || value.isBlank()) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(value.strip());
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // refused below, with the rule
        }
        throw new IllegalStateException(name + " must be a whole number of at least 1, not '" + value + "'.");
    }

    private long number(String name, long fallback) {
        String v = env.get(name);
        return v == null || v.isBlank() ? fallback : Long.parseLong(v.trim());
    }

    private String require(String name) {
        String value = env.get(name);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("environment variable " + name + " is not set");
        }
        return value;
    }
}
