package dev.sluice.adapters;

import dev.sluice.adapters.auth.JwtVerifier;
import dev.sluice.adapters.aws.AwsClients;
import dev.sluice.adapters.dynamodb.DynamoAgentStore;
import dev.sluice.adapters.dynamodb.DynamoPassLease;
import dev.sluice.adapters.dynamodb.DynamoResourcePolicyStore;
import dev.sluice.adapters.dynamodb.DynamoResourceGroupStore;
import dev.sluice.adapters.dynamodb.DynamoSessionStore;
import dev.sluice.adapters.dynamodb.IdempotentResponses;
import dev.sluice.adapters.eventbridge.EventBridgePublisher;
import dev.sluice.core.port.AgentStore;
import dev.sluice.core.port.EventPublisher;
import dev.sluice.core.port.PassLease;
import dev.sluice.core.port.ResourcePolicyStore;
import dev.sluice.core.port.ResourceGroupStore;
import dev.sluice.core.port.SessionStore;
import dev.sluice.core.usecase.AgentService;
import dev.sluice.core.usecase.ResourceGroupService;
import dev.sluice.core.usecase.ResourcePolicyService;
import dev.sluice.core.usecase.SchedulingPass;
import dev.sluice.core.usecase.SessionService;
import dev.sluice.adapters.s3.S3SessionLogs;
import dev.sluice.core.agent.Liveness;
import dev.sluice.core.port.SessionLogs;
import dev.sluice.core.time.DurationText;
import dev.sluice.core.usecase.AgentWorkService;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

/**
 * The use cases wired to their AWS adapters, from a function's environment. Built once per container (or once per
 * distinct environment in the local runtime); building it touches no network, so it is safe during SnapStart init.
 */
public final class ControlPlane {
    private final SessionService sessions;
    private final ResourceGroupService resourceGroups;
    private final SessionStore sessionStore;
    private final ResourceGroupStore groupStore;
    private final JwtVerifier tokens;
    private final AgentStore agentStore;
    private final AgentService agents;
    private final IdempotentResponses responses;
    private final SchedulingPass scheduling;
    private final ResourcePolicyStore policyStore;
    private final EventPublisher events;
    private final Clock clock;
    private final ResourcePolicyService policies;
    private final PassLease passLease;
    private final AgentWorkService agentWork;
    private Map<String, String> environment = Map.of();
    private volatile dev.sluice.adapters.webhook.WebhookPlane webhooks;

    public ControlPlane(SessionStore sessionStore, ResourceGroupStore groupStore, AgentStore agentStore, int applyConcurrency,
                        ResourcePolicyStore policyStore, PassLease passLease, EventPublisher events, IdempotentResponses responses,
                        JwtVerifier tokens, SessionLogs logs, Duration heartbeatInterval, Duration heartbeatTimeout, Clock clock,
                        dev.sluice.core.port.FolderLookup folders) {
        this.passLease = passLease;
        this.policyStore = policyStore;
        this.events = events;
        this.clock = clock;
        this.policies = new ResourcePolicyService(policyStore);
        this.responses = responses;
        this.sessionStore = sessionStore;
        this.agentStore = agentStore;
        this.agents = new AgentService(agentStore);
        this.groupStore = groupStore;
        this.sessions = new SessionService(sessionStore, groupStore, events, () -> UUID.randomUUID().toString(), clock, folders);
        this.resourceGroups = new ResourceGroupService(groupStore, events, clock);
        this.tokens = tokens;
        this.agentWork = new AgentWorkService(agentStore, sessionStore, groupStore, logs, events, clock, heartbeatInterval, heartbeatTimeout);
        this.scheduling = schedulingWith(applyConcurrency);
    }

    public static ControlPlane fromEnvironment(Map<String, String> env) {
        AwsClients aws = AwsClients.shared();
        Clock clock = Clock.systemUTC();
        ControlPlane plane = new ControlPlane(
                new DynamoSessionStore(aws.enhanced(), aws.dynamoDb(), require(env, "SESSIONS_TABLE"), require(env, "IDEMPOTENCY_TABLE"),
                        require(env, "AGENTS_TABLE"), clock),
                new DynamoResourceGroupStore(aws.enhanced(), require(env, "RESOURCE_GROUPS_TABLE")),
                new DynamoAgentStore(aws.enhanced(), aws.dynamoDb(), require(env, "AGENTS_TABLE")),
                concurrency(env, "SCHEDULER_APPLY_CONCURRENCY", dev.sluice.core.usecase.PlanApplier.DEFAULT_CONCURRENCY),
                new DynamoResourcePolicyStore(aws.dynamoDb(), require(env, "RESOURCE_POLICIES_TABLE")),
                new DynamoPassLease(aws.dynamoDb(), require(env, "RESOURCE_GROUPS_TABLE")),
                new EventBridgePublisher(aws.eventBridge(), require(env, "EVENT_BUS_NAME")),
                new IdempotentResponses(aws.enhanced(), require(env, "IDEMPOTENCY_TABLE"), clock),
                JwtVerifier.forJwksUrl(require(env, "JWT_ISSUER"), require(env, "JWT_AUDIENCE"), require(env, "JWKS_URL"), clock),
                S3SessionLogs.create(require(env, "SESSION_LOGS_BUCKET")),
                duration(env, "AGENT_HEARTBEAT_INTERVAL", Liveness.DEFAULT_INTERVAL),
                duration(env, "AGENT_HEARTBEAT_TIMEOUT", Liveness.DEFAULT_TIMEOUT),
                clock,
                FolderPlane.lookup(env));
        plane.environment = Map.copyOf(env);
        dev.sluice.adapters.aws.CursorKeySecret.install(env);
        return plane;
    }

    /** A setting of the function's environment this plane was built from. */
    public String setting(String name, String fallback) {
        String value = environment.get(name);
        return value == null || value.isBlank() ? fallback : value;
    }

    private static Duration duration(Map<String, String> env, String name, Duration fallback) {
        String text = env.get(name);
        if (text == null || text.isBlank()) {
            return fallback;
        }
        return DurationText.parse(text).orElseThrow(() -> new IllegalStateException(name + " is not a duration: " + text));
    }

    /** The webhook use cases (built at first use, from the webhook variables of this function's environment). */
    public dev.sluice.adapters.webhook.WebhookPlane webhooks() {
        if (webhooks == null) {
            synchronized (this) {
                if (webhooks == null) {
                    webhooks = dev.sluice.adapters.webhook.WebhookPlane.fromEnvironment(environment, sessionStore);
                }
            }
        }
        return webhooks;
    }

    /** The target-address rules for webhook and callback URLs (loopback allowed only in local mode). */
    public dev.sluice.core.webhook.WebhookTargets webhookTargets() {
        return dev.sluice.adapters.webhook.WebhookPlane.targets(environment);
    }

    private static String require(Map<String, String> env, String name) {
        String value = env.get(name);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("environment variable " + name + " is not set");
        }
        return value;
    }

    public SessionService sessions() {
        return sessions;
    }

    public ResourceGroupService resourceGroups() {
        return resourceGroups;
    }

    public SessionStore sessionStore() {
        return sessionStore;
    }

    public ResourceGroupStore groupStore() {
        return groupStore;
    }

    public PassLease passLease() {
        return passLease;
    }

    public ResourcePolicyService policies() {
        return policies;
    }

    public SchedulingPass scheduling() {
        return scheduling;
    }

    /** A scheduling pass over the same stores whose plan applier writes at most {@code applyConcurrency} placements at once. */
    public SchedulingPass schedulingWith(int applyConcurrency) {
        return new SchedulingPass(sessionStore, agentStore, groupStore,
                new dev.sluice.core.usecase.PlanApplier(sessionStore, agentStore, clock, applyConcurrency), policyStore, events, clock);
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

    public IdempotentResponses responses() {
        return responses;
    }

    public AgentService agents() {
        return agents;
    }

    public AgentStore agentStore() {
        return agentStore;
    }

    public AgentWorkService agentWork() {
        return agentWork;
    }

    public JwtVerifier tokens() {
        return tokens;
    }
}
