package dev.sluice.adapters;

import dev.sluice.adapters.auth.JwtVerifier;
import dev.sluice.adapters.dynamodb.IdempotentResponses;
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
import dev.sluice.core.port.SessionLogs;
import dev.sluice.core.usecase.AgentWorkService;
import java.time.Clock;
import java.time.Duration;

/**
 * The control plane's use cases and the stores they share, as the wiring root ({@link Wiring}) built them: sessions,
 * groups, policies, agents, scheduling, tokens and idempotent answers. It reads no environment and makes no clock.
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
    private final dev.sluice.core.port.IdGenerator ids;
    private final java.util.function.Supplier<dev.sluice.adapters.webhook.WebhookPlane> webhooks;
    private final dev.sluice.core.webhook.WebhookTargets webhookTargets;
    private final Fleet fleet;

    public ControlPlane(SessionStore sessionStore, ResourceGroupStore groupStore, AgentStore agentStore, int applyConcurrency,
                        ResourcePolicyStore policyStore, PassLease passLease, EventPublisher events, IdempotentResponses responses,
                        JwtVerifier tokens, SessionLogs logs, Duration heartbeatInterval, Duration heartbeatTimeout, Clock clock,
                        dev.sluice.core.port.IdGenerator ids, dev.sluice.core.port.FolderLookup folders,
                        java.util.function.Supplier<dev.sluice.adapters.webhook.WebhookPlane> webhooks,
                        dev.sluice.core.webhook.WebhookTargets webhookTargets) {
        this(sessionStore, groupStore, agentStore, applyConcurrency, policyStore, passLease, events, responses, tokens, logs,
                heartbeatInterval, heartbeatTimeout, clock, ids, folders, webhooks, webhookTargets, Fleet.NONE);
    }

    /**
     * The elastic fleet's parts (issue 17), where the function has them: the store of launches (agents joining mark
     * theirs) and the driver that launches (the scheduling passes of groups with a catalog follow the queue with it).
     */
    public record Fleet(java.util.Optional<dev.sluice.core.port.FleetStore> store,
                        java.util.function.Supplier<java.util.Optional<dev.sluice.core.port.FleetDriver>> driver) {
        public static final Fleet NONE = new Fleet(java.util.Optional.empty(), java.util.Optional::empty);
    }

    public ControlPlane(SessionStore sessionStore, ResourceGroupStore groupStore, AgentStore agentStore, int applyConcurrency,
                        ResourcePolicyStore policyStore, PassLease passLease, EventPublisher events, IdempotentResponses responses,
                        JwtVerifier tokens, SessionLogs logs, Duration heartbeatInterval, Duration heartbeatTimeout, Clock clock,
                        dev.sluice.core.port.IdGenerator ids, dev.sluice.core.port.FolderLookup folders,
                        java.util.function.Supplier<dev.sluice.adapters.webhook.WebhookPlane> webhooks,
                        dev.sluice.core.webhook.WebhookTargets webhookTargets, Fleet fleet) {
        this.fleet = fleet;
        this.webhooks = webhooks;
        this.ids = ids;
        this.webhookTargets = webhookTargets;
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
        this.sessions = new SessionService(sessionStore, groupStore, events, ids, clock, folders);
        this.resourceGroups = new ResourceGroupService(groupStore, events, clock);
        this.tokens = tokens;
        this.agentWork = new AgentWorkService(agentStore, sessionStore, groupStore, logs, events, clock, heartbeatInterval, heartbeatTimeout,
                fleet.store());
        this.scheduling = schedulingWith(applyConcurrency);
    }

    /** The webhook use cases (built at their first use by the wiring root). */
    public dev.sluice.adapters.webhook.WebhookPlane webhooks() {
        return webhooks.get();
    }

    /** The target-address rules for webhook and callback URLs (loopback allowed only in local mode). */
    public dev.sluice.core.webhook.WebhookTargets webhookTargets() {
        return webhookTargets;
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
        return schedulingWith(applyConcurrency, true);
    }

    /** A pass whose applier writes placements in batches or, with {@code batches} false, one by one. */
    public SchedulingPass schedulingWith(int applyConcurrency, boolean batches) {
        return new SchedulingPass(sessionStore, agentStore, groupStore,
                new dev.sluice.core.usecase.PlanApplier(sessionStore, agentStore, clock, applyConcurrency, batches), policyStore, events, clock, ids,
                fleetReaction());
    }

    /** A pass over the same stores whose outcome {@code fleet} reacts to (a fleet with a driver of the caller's choosing). */
    public SchedulingPass schedulingWith(dev.sluice.core.usecase.FleetReaction fleet) {
        return new SchedulingPass(sessionStore, agentStore, groupStore,
                new dev.sluice.core.usecase.PlanApplier(sessionStore, agentStore, clock, dev.sluice.core.usecase.PlanApplier.DEFAULT_CONCURRENCY, true),
                policyStore, events, clock, ids, fleet);
    }

    /**
     * The fleet's reaction to each pass where the function has both a fleet store and a driver (only the scheduler's
     * functions have a driver); none elsewhere. The driver is made at the first pass that needs it, not at SnapStart.
     */
    private dev.sluice.core.usecase.FleetReaction fleetReaction() {
        if (fleet.store().isEmpty()) {
            return dev.sluice.core.usecase.FleetReaction.NONE;
        }
        dev.sluice.core.port.FleetStore store = fleet.store().get();
        java.util.concurrent.atomic.AtomicReference<java.util.Optional<dev.sluice.core.usecase.FleetService>> service =
                new java.util.concurrent.atomic.AtomicReference<>();
        java.util.function.Supplier<java.util.Optional<dev.sluice.core.usecase.FleetService>> made = () -> {
            if (service.get() == null) {
                service.compareAndSet(null, fleet.driver().get()
                        .map(d -> new dev.sluice.core.usecase.FleetService(groupStore, agentStore, store, d, clock, ids,
                                java.util.Optional.of(sessionStore))));
            }
            return service.get();
        };
        return new dev.sluice.core.usecase.FleetReaction() {
            @Override
            public java.util.Map<String, dev.sluice.core.scheduler.PendingExplanation> afterPass(
                    dev.sluice.core.group.ResourceGroup group, dev.sluice.core.scheduler.SchedulingSnapshot snapshot,
                    dev.sluice.core.scheduler.SchedulingPlan plan, dev.sluice.core.usecase.PlanApplier.Report applied, Prepared prepared) {
                return made.get().map(f -> f.afterPass(group, snapshot, plan, applied, prepared)).orElse(java.util.Map.of());
            }

            @Override
            public Prepared prepare(dev.sluice.core.group.ResourceGroup group, dev.sluice.core.scheduler.SchedulingSnapshot snapshot) {
                return made.get().<Prepared>map(f -> f.prepare(group, snapshot)).orElse(NOTHING);
            }
        };
    }

    /** The fleet's store of launches, where the function has one. */
    public java.util.Optional<dev.sluice.core.port.FleetStore> fleetStore() {
        return fleet.store();
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
