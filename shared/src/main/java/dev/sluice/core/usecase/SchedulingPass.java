package dev.sluice.core.usecase;

import dev.sluice.core.agent.Agent;
import dev.sluice.core.group.ResourceGroup;
import dev.sluice.core.port.AgentStore;
import dev.sluice.core.port.EventPublisher;
import dev.sluice.core.port.ResourceGroupStore;
import dev.sluice.core.port.ResourcePolicyStore;
import dev.sluice.core.port.SessionStore;
import dev.sluice.core.port.SessionStore.SaveOutcome;
import dev.sluice.core.scheduler.PendingExplanation;
import dev.sluice.core.scheduler.Planner;
import dev.sluice.core.scheduler.ResourcePolicy;
import dev.sluice.core.scheduler.SchedulingPlan;
import dev.sluice.core.scheduler.SchedulingSnapshot;
import dev.sluice.core.scheduler.Usage;
import dev.sluice.core.session.Kernel;
import dev.sluice.core.session.Session;
import dev.sluice.core.session.SessionChange;
import dev.sluice.core.session.SessionStatus;
import dev.sluice.core.session.SessionStatusChanged;
import dev.sluice.core.session.StatusData;
import dev.sluice.core.port.PassLease;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One scheduling pass of one resource group (ARCHITECTURE rule 3): the snapshot reader, the pure planner
 * ({@link Planner}), and the plan applier ({@link PlanApplier}, placements on disjoint agents applied concurrently).
 * Every write is conditional on what the snapshot saw, so a pass that raced another one loses cleanly (its session is
 * retried once from fresh state, then left for the next pass) and can never double-book an agent.
 */
public final class SchedulingPass {
    /** At most this many explanations are written per pass, head of the queue first; the rest wait for later passes. */
    static final int EXPLANATIONS_PER_PASS = 1000;
    private final SessionStore sessions;
    private final AgentStore agents;
    private final ResourceGroupStore groups;
    private final PlanApplier applier;
    private final EventPublisher events;
    private final ResourcePolicyStore policies;
    private final Clock clock;
    private final dev.sluice.core.port.IdGenerator ids;
    private final FleetReaction fleet;

    public SchedulingPass(SessionStore sessions, AgentStore agents, ResourceGroupStore groups, PlanApplier applier,
                          ResourcePolicyStore policies, EventPublisher events, Clock clock, dev.sluice.core.port.IdGenerator ids) {
        this(sessions, agents, groups, applier, policies, events, clock, ids, FleetReaction.NONE);
    }

    /** A pass whose outcome {@code fleet} reacts to before the explanations are written (issue 17). */
    public SchedulingPass(SessionStore sessions, AgentStore agents, ResourceGroupStore groups, PlanApplier applier,
                          ResourcePolicyStore policies, EventPublisher events, Clock clock, dev.sluice.core.port.IdGenerator ids,
                          FleetReaction fleet) {
        this.fleet = fleet;
        this.ids = ids;
        this.policies = policies;
        this.sessions = sessions;
        this.agents = agents;
        this.groups = groups;
        this.applier = applier;
        this.events = events;
        this.clock = clock;
    }

    /**
     * What one pass did. {@code conflicts}: placements another writer got to first even after their one retry from
     * fresh state; they are retried next pass. {@code retried}: placements that lost once and were then written.
     */
    public record Result(String group, int placed, int cancelled, int deferred, int explanationsWritten, int conflicts,
                         int retried) {
    }

    /** How long a pass may hold its group's lease before another may take it over (a crashed holder). */
    static final Duration LEASE = Duration.ofSeconds(90);
    /** Passes one holder runs back to back for triggers that came meanwhile, at most. */
    static final int MAX_RERUNS = 5;

    /**
     * Runs a pass unless one is already running for the group, in which case that one is asked to run once more
     * (coalescing a burst of triggers into few passes). Returns the passes this call ran (none when coalesced).
     */
    public List<Result> runCoalesced(ResourceGroup group, PassLease lease) {
        String holder = ids.newId();
        if (!lease.acquire(group.name(), holder, clock.instant(), LEASE)) {
            return List.of();
        }
        List<Result> results = new java.util.ArrayList<>();
        boolean again;
        do {
            Result result;
            try {
                result = run(group);
            } catch (RuntimeException e) {
                // A failed pass (a store or the fleet) gives the lease back at once, so the next trigger passes
                // instead of waiting for it to expire.
                lease.release(group.name(), holder);
                throw e;
            }
            results.add(result);
            // A placement another writer beat us to is re-read and re-planned at once, still under the lease.
            again = result.conflicts() > 0 || lease.releaseOrContinue(group.name(), holder, clock.instant(), LEASE);
        } while (again && results.size() <= MAX_RERUNS);
        if (again) {
            lease.release(group.name(), holder);
        }
        return results;
    }

    public Result run(ResourceGroup group) {
        Instant now = clock.instant();
        SchedulingSnapshot read = snapshot(group, now);
        // A fleet that cannot say its holds (a store failed) lets the pass plan without them; the failure is raised at
        // the end, as a failing reaction is.
        RuntimeException holdsFailure = null;
        FleetReaction.Prepared prepared = FleetReaction.NOTHING;
        try {
            prepared = fleet.prepare(group, read);
        } catch (RuntimeException e) {
            holdsFailure = e;
        }
        SchedulingSnapshot snapshot = prepared.holds().isEmpty() ? read : read.withHolds(prepared.holds());
        List<Session> pending = snapshot.pending();
        SchedulingPlan plan = Planner.plan(snapshot);

        int cancelled = 0;
        for (SchedulingPlan.Cancellation c : plan.cancellations()) {
            Session next = c.session().transitionTo(SessionStatus.CANCELLED, c.statusInfo(), c.statusData(), now);
            if (sessions.apply(SessionChange.update(next, SessionStatus.PENDING, c.session().sequence())) instanceof SaveOutcome.Saved) {
                events.publish(SessionStatusChanged.of(Optional.of(SessionStatus.PENDING), next, now));
                cancelled++;
            }
        }
        // Events of the placements go out ten a PutEvents as the applier writes them, from whichever thread wrote the
        // tenth; the batch is taken under the lock and sent outside it, so no applier thread waits on another's PutEvents.
        List<SessionStatusChanged> scheduledEvents = new java.util.ArrayList<>();
        PlanApplier.Report applied;
        try {
            applied = applier.apply(plan.placements(), p -> {
            List<SessionStatusChanged> batch = null;
            synchronized (scheduledEvents) {
                scheduledEvents.add(SessionStatusChanged.of(Optional.of(SessionStatus.PENDING), p.session(), p.at()));
                if (scheduledEvents.size() == 10) {
                    batch = List.copyOf(scheduledEvents);
                    scheduledEvents.clear();
                }
            }
            if (batch != null) {
                events.publishAll(batch);
            }
            });
        } finally {
            // Placements already written are announced even when a lane failed.
            synchronized (scheduledEvents) {
                events.publishAll(List.copyOf(scheduledEvents));
            }
        }
        int placed = applied.placed().size();
        int conflicts = applied.conflicted().size();
        // The fleet reacts before the explanations are written: a session it launches for is explained once, as
        // provisioning. A failing fleet leaves the pass's own explanations to be written, then fails the pass visibly.
        Map<String, PendingExplanation> overrides = Map.of();
        RuntimeException fleetFailure = holdsFailure;
        try {
            overrides = fleet.afterPass(group, snapshot, plan, applied, prepared);
        } catch (RuntimeException e) {
            if (fleetFailure != null) {
                e.addSuppressed(fleetFailure);
            }
            fleetFailure = e;
        }
        int written = 0;
        boolean countsRetries = group.schedulerOptions().config().numRetriesToSkip().isPresent();
        Map<String, Integer> queueOrder = new HashMap<>();
        for (int i = 0; i < pending.size(); i++) {
            queueOrder.put(pending.get(i).id(), i);
        }
        List<SchedulingPlan.Deferral> headFirst = new java.util.ArrayList<>(plan.deferrals());
        headFirst.sort(java.util.Comparator.comparing(d -> queueOrder.getOrDefault(d.session().id(), Integer.MAX_VALUE)));
        for (SchedulingPlan.Deferral d : headFirst) {
            if (written >= EXPLANATIONS_PER_PASS) {
                break;
            }
            if (explain(d.session(), overrides.getOrDefault(d.session().id(), d.explanation()), now, countsRetries)) {
                written++;
            }
        }
        plan.lastRoundRobin().filter(rr -> !Optional.of(rr).equals(snapshot.lastRoundRobin()))
                .ifPresent(rr -> groups.saveRoundRobinPosition(group.name(), rr));
        if (fleetFailure != null) {
            throw fleetFailure;
        }
        return new Result(group.name(), placed, cancelled, plan.deferrals().size(), written, conflicts, applied.retried());
    }

    /** The snapshot reader: the group's queue, the states of the sessions it depends on, its agents, policies and usage. */
    public SchedulingSnapshot snapshot(ResourceGroup group, Instant now) {
        List<Session> pending = sessions.pendingIn(group.name());
        Map<String, SchedulingSnapshot.DependencyState> dependencies = new HashMap<>();
        for (Session s : pending) {
            for (String dep : s.spec().dependencies()) {
                dependencies.computeIfAbsent(dep, id -> sessions.find(id)
                        .map(d -> new SchedulingSnapshot.DependencyState(d.id(), d.status(), d.result())).orElse(null));
            }
        }
        dependencies.values().removeIf(Objects::isNull);
        return withPoliciesAndUsage(group, pending, agents.inGroup(group.name()), dependencies, now);
    }

    /**
     * Reads the policies that apply (domain, this group, each pending owner) and, only where one sets a limit, the usage
     * it limits: an owner's occupying sessions across groups and pending ones here, the group's and the domain's
     * occupied slots from their agents.
     */
    private SchedulingSnapshot withPoliciesAndUsage(ResourceGroup group, List<Session> pending, List<Agent> groupAgents,
                                                    Map<String, SchedulingSnapshot.DependencyState> dependencies, Instant now) {
        java.util.Set<String> owners = new java.util.LinkedHashSet<>();
        pending.forEach(s -> owners.add(s.owner()));
        List<String> scopes = new java.util.ArrayList<>(List.of("domain", "group:" + group.name()));
        owners.forEach(o -> scopes.add("user:" + o));
        Map<String, ResourcePolicy> found = policies.findAll(scopes);
        ResourcePolicy domainPolicy = found.getOrDefault("domain", ResourcePolicy.UNLIMITED);
        ResourcePolicy groupPolicy = found.getOrDefault("group:" + group.name(), ResourcePolicy.UNLIMITED);
        Map<String, ResourcePolicy> ownerPolicies = new HashMap<>();
        Map<String, Usage> ownerUsage = new HashMap<>();
        // DRF ranks owners by what they already hold, so it needs every pending owner's usage; quotas only the limited ones'.
        boolean drf = group.scheduler() == dev.sluice.core.group.SchedulerKind.DRF;
        for (String owner : owners) {
            ResourcePolicy p = found.get("user:" + owner);
            boolean limited = p != null && !p.isUnlimited();
            if (!limited && !drf) {
                continue;
            }
            if (limited) {
                ownerPolicies.put(owner, p);
            }
            Usage active = sessions.usageOf(owner);
            int pendingCount = 0;
            dev.sluice.core.slots.ResourceSlots pendingSlots = dev.sluice.core.slots.ResourceSlots.EMPTY;
            for (Session s : pending) {
                if (s.owner().equals(owner)) {
                    pendingCount++;
                    pendingSlots = pendingSlots.add(s.spec().requestedSlots());
                }
            }
            ownerUsage.put(owner, new Usage(active.activeSessions(), active.occupied(), pendingCount, pendingSlots));
        }
        Usage groupUsage = groupPolicy.isUnlimited() ? Usage.NONE : occupiedOn(groupAgents);
        Usage domainUsage = domainPolicy.isUnlimited() ? Usage.NONE : occupiedOn(agents.all());
        return new SchedulingSnapshot(group, pending, groupAgents, ownerUsage, groupUsage, domainUsage, ownerPolicies,
                groupPolicy.isUnlimited() ? ResourcePolicy.UNLIMITED : groupPolicy,
                domainPolicy.isUnlimited() ? ResourcePolicy.UNLIMITED : domainPolicy, dependencies,
                groups.roundRobinPosition(group.name()), now);
    }

    private static Usage occupiedOn(List<Agent> agents) {
        dev.sluice.core.slots.ResourceSlots held = dev.sluice.core.slots.ResourceSlots.EMPTY;
        for (Agent a : agents) {
            held = held.add(a.occupiedSlots());
        }
        return new Usage(0, held, 0, dev.sluice.core.slots.ResourceSlots.EMPTY);
    }

    /**
     * Passes closer together than this (a burst of nudges) refresh an unchanged explanation once: a pending session's
     * {@code last_try} is then at most this much older than the last pass that considered it.
     */
    public static final Duration REFRESH_UNCHANGED = Duration.ofSeconds(2);

    /**
     * Records why a session waits, with {@code retries} (the passes that considered it and could not place it) and
     * {@code last_try} (the latest of them): one conditional write (on the session's sequence) per deferred session
     * per pass at most, head of the queue first and at most {@link #EXPLANATIONS_PER_PASS}. An unchanged reason is
     * refreshed only when its {@code last_try} is at least {@link #REFRESH_UNCHANGED} old, so a burst of passes costs
     * one write per session, not one per pass.
     */
    private boolean explain(Session s, PendingExplanation why, Instant now, boolean countsRetries) {
        StatusData stored = s.statusData();
        boolean same = why.statusInfo().equals(s.statusInfo())
                && stored.reason().filter(why.reason()::equals).isPresent()
                && stored.message().filter(why.message()::equals).isPresent();
        if (same && !countsRetries && recentlyTried(stored, now)) {
            return false;
        }
        int tries = stored.retries() + 1;
        return sessions.apply(SessionChange.update(s.withStatusData(why.statusInfo(), why.toStatusData(tries, now)),
                SessionStatus.PENDING, s.sequence())) instanceof SaveOutcome.Saved;
    }

    private static boolean recentlyTried(StatusData stored, Instant now) {
        return stored.lastTry().filter(t -> t.isAfter(now.minus(REFRESH_UNCHANGED))).isPresent();
    }
}
