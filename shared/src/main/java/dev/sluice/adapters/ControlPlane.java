package dev.sluice.adapters;

import dev.sluice.adapters.auth.JwtVerifier;
import dev.sluice.adapters.aws.AwsClients;
import dev.sluice.adapters.dynamodb.DynamoAgentStore;
import dev.sluice.adapters.dynamodb.DynamoPassLease;
import dev.sluice.adapters.dynamodb.DynamoPlacements;
import dev.sluice.adapters.dynamodb.DynamoResourcePolicyStore;
import dev.sluice.adapters.dynamodb.DynamoResourceGroupStore;
import dev.sluice.adapters.dynamodb.DynamoSessionStore;
import dev.sluice.adapters.dynamodb.IdempotentResponses;
import dev.sluice.adapters.eventbridge.EventBridgePublisher;
import dev.sluice.core.port.AgentStore;
import dev.sluice.core.port.EventPublisher;
import dev.sluice.core.port.PassLease;
import dev.sluice.core.port.PlacementWriter;
import dev.sluice.core.port.ResourcePolicyStore;
import dev.sluice.core.port.ResourceGroupStore;
import dev.sluice.core.port.SessionStore;
import dev.sluice.core.usecase.AgentService;
import dev.sluice.core.usecase.ResourceGroupService;
import dev.sluice.core.usecase.ResourcePolicyService;
import dev.sluice.core.usecase.SchedulingPass;
import dev.sluice.core.usecase.SessionService;
import java.time.Clock;
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
    private final ResourcePolicyService policies;
    private final PassLease passLease;

    public ControlPlane(SessionStore sessionStore, ResourceGroupStore groupStore, AgentStore agentStore, PlacementWriter placements,
                        ResourcePolicyStore policyStore, PassLease passLease, EventPublisher events, IdempotentResponses responses,
                        JwtVerifier tokens, Clock clock) {
        this(sessionStore, groupStore, agentStore, placements, policyStore, passLease, events, responses, tokens, clock,
                dev.sluice.core.port.FolderLookup.NONE);
    }

    public ControlPlane(SessionStore sessionStore, ResourceGroupStore groupStore, AgentStore agentStore, PlacementWriter placements,
                        ResourcePolicyStore policyStore, PassLease passLease, EventPublisher events, IdempotentResponses responses,
                        JwtVerifier tokens, Clock clock, dev.sluice.core.port.FolderLookup folders) {
        this.passLease = passLease;
        this.scheduling = new SchedulingPass(sessionStore, agentStore, groupStore, placements, policyStore, events, clock);
        this.policies = new ResourcePolicyService(policyStore);
        this.responses = responses;
        this.sessionStore = sessionStore;
        this.agentStore = agentStore;
        this.agents = new AgentService(agentStore);
        this.groupStore = groupStore;
        this.sessions = new SessionService(sessionStore, groupStore, events, () -> UUID.randomUUID().toString(), clock, folders);
        this.resourceGroups = new ResourceGroupService(groupStore, events, clock);
        this.tokens = tokens;
    }

    public static ControlPlane fromEnvironment(Map<String, String> env) {
        AwsClients aws = AwsClients.shared();
        Clock clock = Clock.systemUTC();
        return new ControlPlane(
                new DynamoSessionStore(aws.enhanced(), aws.dynamoDb(), require(env, "SESSIONS_TABLE"), require(env, "IDEMPOTENCY_TABLE"),
                        require(env, "AGENTS_TABLE"), clock),
                new DynamoResourceGroupStore(aws.enhanced(), require(env, "RESOURCE_GROUPS_TABLE")),
                new DynamoAgentStore(aws.enhanced(), require(env, "AGENTS_TABLE")),
                new DynamoPlacements(aws.dynamoDb(), require(env, "SESSIONS_TABLE"), require(env, "AGENTS_TABLE")),
                new DynamoResourcePolicyStore(aws.dynamoDb(), require(env, "RESOURCE_POLICIES_TABLE")),
                new DynamoPassLease(aws.dynamoDb(), require(env, "RESOURCE_GROUPS_TABLE")),
                new EventBridgePublisher(aws.eventBridge(), require(env, "EVENT_BUS_NAME")),
                new IdempotentResponses(aws.enhanced(), require(env, "IDEMPOTENCY_TABLE"), clock),
                JwtVerifier.forJwksUrl(require(env, "JWT_ISSUER"), require(env, "JWT_AUDIENCE"), require(env, "JWKS_URL"), clock),
                clock,
                FolderPlane.lookup(env));
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

    public IdempotentResponses responses() {
        return responses;
    }

    public AgentService agents() {
        return agents;
    }

    public AgentStore agentStore() {
        return agentStore;
    }

    public JwtVerifier tokens() {
        return tokens;
    }
}
