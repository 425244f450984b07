package dev.sluice.core.usecase;

import dev.sluice.core.agent.Agent;
import dev.sluice.core.fleet.Demand;
import dev.sluice.core.fleet.FleetAgent;
import dev.sluice.core.fleet.FleetCatalog;
import dev.sluice.core.fleet.FleetDecision;
import dev.sluice.core.fleet.FleetFallback;
import dev.sluice.core.fleet.FleetPlanner;
import dev.sluice.core.fleet.FleetState;
import dev.sluice.core.fleet.InstanceType;
import dev.sluice.core.fleet.LaunchRecord;
import dev.sluice.core.fleet.Launching;
import dev.sluice.core.fleet.Subnet;
import dev.sluice.core.group.ResourceGroup;
import dev.sluice.core.json.JsonObject;
import dev.sluice.core.port.AgentStore;
import dev.sluice.core.port.FleetDriver;
import dev.sluice.core.port.FleetStore;
import dev.sluice.core.port.IdGenerator;
import dev.sluice.core.port.ResourceGroupStore;
import dev.sluice.core.scheduler.PendingExplanation;
import dev.sluice.core.fleet.PurchaseOption;
import dev.sluice.core.fleet.RightSizing;
import dev.sluice.core.scheduler.PlacementHold;
import dev.sluice.core.scheduler.SchedulingPlan;
import dev.sluice.core.scheduler.SchedulingSnapshot;
import dev.sluice.core.slots.ResourceSlots;
import dev.sluice.core.time.DurationText;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The elastic fleet following the queue (issue 17): after each scheduling pass of a group that has an instance catalog,
 * it decides ({@link FleetPlanner}) and acts — launches instances for the sessions no agent can take (each launch with
 * its ordered fallbacks, {@link FleetFallback}, within {@link #LAUNCH_BUDGET}), keeps {@code min_instances}, drains idle
 * agents past {@code idle_duration} and terminates them once drained and still idle, and keeps each fleet agent's
 * idle-since. It answers the pass with the explanations of the sessions it launched for ({@code provisioning}, with an
 * ETA from the type's measured boot times) or could not ({@code fleet-at-max}). A group without a catalog is left
 * alone (one read of its catalog per pass).
 *
 * <p>Scale-in is two steps over two passes, both conditional: a retired agent is drained only while it holds no
 * session ({@link AgentStore#drainIfIdle}); a later pass re-checks the same condition and only then terminates the
 * instance. Since a placement reserves only on a schedulable agent, a drained idle agent can no longer get a session.
 */
public final class FleetService implements FleetReaction {
    /** All the launches of one pass share this budget (the driver's fallbacks included). */
    public static final Duration LAUNCH_BUDGET = Duration.ofSeconds(25);
    /** The ETA of a type whose boot was never measured: its request time plus this. */
    public static final Duration DEFAULT_BOOT_TIME = Duration.ofSeconds(120);
    /** An instance whose agent has not joined this long after its request is given up and terminated. */
    public static final Duration JOIN_TIMEOUT = Duration.ofMinutes(15);

    private final ResourceGroupStore groups;
    private final AgentStore agents;
    private final FleetStore store;
    private final FleetDriver driver;
    private final Clock clock;
    private final IdGenerator ids;

    private final Optional<dev.sluice.core.port.SessionStore> sessions;

    public FleetService(ResourceGroupStore groups, AgentStore agents, FleetStore store, FleetDriver driver, Clock clock, IdGenerator ids) {
        this(groups, agents, store, driver, clock, ids, Optional.empty());
    }

    /**
     * With {@code sessions}, the sessions running on an agent whose instance AWS warned it will interrupt, and that
     * their retry rules will re-queue, are demand at once: their replacement is launched at the warning.
     */
    public FleetService(ResourceGroupStore groups, AgentStore agents, FleetStore store, FleetDriver driver, Clock clock, IdGenerator ids,
                        Optional<dev.sluice.core.port.SessionStore> sessions) {
        this.sessions = sessions;
        this.groups = groups;
        this.agents = agents;
        this.store = store;
        this.driver = driver;
        this.clock = clock;
        this.ids = ids;
    }

    /** What one reaction did (for the pass's log and the tests). */
    public record Outcome(FleetDecision decision, List<LaunchRecord> launched, List<String> failedLaunches, List<String> drained,
                          List<String> terminated, Map<String, PendingExplanation> explanations) {
    }

    /**
     * What {@link #prepare} read for one pass, handed back by the pass to {@link #afterPass} (so a pass reads the
     * catalog and the launch records once, and the reaction decides with the holds the plan was made with).
     */
    record Prepared(String group, Optional<FleetCatalog> catalog, List<LaunchRecord> live, Map<String, PlacementHold> holds)
            implements FleetReaction.Prepared {
    }

    @Override
    public FleetReaction.Prepared prepare(ResourceGroup group, SchedulingSnapshot snapshot) {
        Optional<FleetCatalog> catalog = groups.fleet(group.name());
        List<LaunchRecord> live = catalog.isPresent() ? store.live(group.name()) : List.of();
        List<Demand> pending = snapshot.pending().stream().map(Demand::of).toList();
        return new Prepared(group.name(), catalog, live, catalog.map(c -> holds(c, live, snapshot.agents(), pending)).orElse(Map.of()));
    }

    /**
     * The holds on the group's fleet agents ({@link RightSizing}), from their launch records (type, purchase option,
     * the sessions each was launched for; a draining one gets none) and the pending sessions in queue order; every live
     * record (launching, joined or draining) counts toward the limits.
     */
    public static Map<String, PlacementHold> holds(FleetCatalog catalog, List<LaunchRecord> live, List<Agent> groupAgents,
                                                   List<Demand> pending) {
        Map<String, Agent> byId = new HashMap<>();
        groupAgents.forEach(a -> byId.put(a.id(), a));
        Map<String, Integer> runningByType = new HashMap<>();
        List<RightSizing.Candidate> candidates = new ArrayList<>();
        for (LaunchRecord r : live) {
            runningByType.merge(r.instanceType(), 1, Integer::sum);
            Agent a = byId.get(r.instanceId());
            if (a != null && r.drainingSince().isEmpty()) {
                candidates.add(new RightSizing.Candidate(a.id(), r.instanceType(), !a.occupiedSlots().isEmpty(),
                        java.util.Set.copyOf(r.sessionIds()), r.option() == PurchaseOption.SPOT));
            }
        }
        return RightSizing.holds(catalog, candidates, runningByType, live.size(), pending);
    }

    @Override
    public Map<String, PendingExplanation> afterPass(ResourceGroup group, SchedulingSnapshot snapshot, SchedulingPlan plan,
                                                     PlanApplier.Report applied, FleetReaction.Prepared prepared) {
        Prepared p = prepared instanceof Prepared mine && mine.group().equals(group.name()) ? mine : null;
        Optional<FleetCatalog> catalog = p != null ? p.catalog() : groups.fleet(group.name());
        if (catalog.isEmpty()) {
            return Map.of();
        }
        List<LaunchRecord> live = p != null ? p.live() : store.live(group.name());
        return react(group.name(), catalog.get(), live, snapshot.agents(), plan, prepared.holds()).explanations();
    }

    /** One reaction of the fleet of {@code group} to a pass's plan, with the group's agents as the pass saw them. */
    public Outcome react(String group, FleetCatalog catalog, List<Agent> groupAgents, SchedulingPlan plan) {
        return react(group, catalog, store.live(group), groupAgents, plan, Map.of());
    }

    /**
     * One reaction to a pass that planned with {@code holds} (its launch records read before the pass): the fleet
     * planner gives no held agent's room to a session the hold refused, so that session is launched for.
     */
    public Outcome react(String group, FleetCatalog catalog, List<LaunchRecord> liveRecords, List<Agent> groupAgents,
                         SchedulingPlan plan, Map<String, PlacementHold> holds) {
        Instant now = clock.instant();
        Map<String, LaunchRecord> live = new LinkedHashMap<>();
        for (LaunchRecord r : liveRecords) {
            live.put(r.instanceId(), r);
        }
        Map<String, Agent> agentById = new HashMap<>();
        groupAgents.forEach(a -> agentById.put(a.id(), a));

        // Step 2 of scale-in (drained in an earlier pass), and launches whose agent never came.
        List<String> terminated = new ArrayList<>();
        for (LaunchRecord r : List.copyOf(live.values())) {
            // drained earlier, and still holding nothing (re-checked by the same conditional write), or its agent gone
            boolean retire = r.drainingSince().isPresent()
                    && (!agentById.containsKey(r.instanceId()) || agents.drainIfIdle(r.instanceId()));
            boolean neverJoined = r.isLaunching() && !agentById.containsKey(r.instanceId())
                    && !r.requestedAt().plus(JOIN_TIMEOUT).isAfter(now);
            // Its agent went silent (the instance reclaimed after a spot warning, or crashed): the sweep has ended its
            // sessions already; the instance no longer counts toward the limits and is terminated if it still runs.
            boolean lost = agentById.containsKey(r.instanceId())
                    && agentById.get(r.instanceId()).status() == dev.sluice.core.agent.AgentStatus.LOST;
            if (retire || neverJoined || lost) {
                try {
                    driver.terminate(List.of(r.instanceId()));
                } catch (RuntimeException e) {
                    continue; // EC2 refused or was unreachable: the record stays live and the next pass tries again
                }
                if (store.markTerminated(r.instanceId(), now, lost ? "agent-lost" : retire ? "retired" : "never-joined")) {
                    terminated.add(r.instanceId());
                }
                live.remove(r.instanceId());
            }
        }

        // The state: agents (fleet ones with their type and idle-since; draining ones are never retired twice),
        // instances on the way, and the demand the pass left.
        List<FleetAgent> fleetAgents = new ArrayList<>();
        Map<String, Integer> running = new HashMap<>();
        for (Agent a : groupAgents) {
            LaunchRecord r = live.get(a.id());
            if (r == null) {
                fleetAgents.add(FleetAgent.of(a, Optional.empty(), Optional.empty(), plan));
                continue;
            }
            running.merge(r.instanceType(), 1, Integer::sum);
            if (r.isLaunching()) {
                // Its agent registered without marking the launch (that write failed): joined now, at its first contact.
                agentJoined(store, a.id(), a.firstContact());
                r = store.find(a.id()).orElse(r);
                live.put(r.instanceId(), r);
            }
            FleetAgent fa = FleetAgent.of(a, Optional.of(r.instanceType()), r.idleSince(), plan);
            if (r.drainingSince().isPresent()) {
                fa = new FleetAgent(fa.id(), fa.instanceType(), false, fa.free(), fa.busy(), Optional.empty());
            } else {
                keepIdleSince(r, fa.busy(), now);
            }
            fleetAgents.add(fa);
        }
        List<Launching> launching = new ArrayList<>();
        for (LaunchRecord r : live.values()) {
            if (r.isLaunching() && !agentById.containsKey(r.instanceId())) {
                running.merge(r.instanceType(), 1, Integer::sum);
                ResourceSlots slots = catalog.type(r.instanceType()).map(InstanceType::slots).orElse(ResourceSlots.EMPTY);
                launching.add(new Launching(r.instanceId(), r.instanceType(), r.option(), r.zone(), slots, r.requestedAt()));
            }
        }
        List<Demand> demand = new ArrayList<>(Demand.from(plan));
        // Sessions whose retry rules ask for on-demand after enough spot interruptions (on_demand_after).
        java.util.Set<String> onDemandOnly = new java.util.HashSet<>();
        plan.deferrals().stream().map(SchedulingPlan.Deferral::session).filter(dev.sluice.core.session.Session::onDemandOnly)
                .forEach(x -> onDemandOnly.add(x.id()));
        demand.addAll(replacementDemand(groupAgents, demand, onDemandOnly));
        FleetDecision decision = FleetPlanner.plan(new FleetState(catalog, demand, fleetAgents, launching, now, holds));

        // Launches, each tried with its fallbacks, all within one budget.
        Map<String, Demand> demandById = new HashMap<>();
        demand.forEach(d -> demandById.put(d.sessionId(), d));
        Instant deadline = now.plus(LAUNCH_BUDGET);
        Map<String, LaunchRecord> byRef = new HashMap<>();
        Map<String, String> failedByRef = new HashMap<>();
        List<LaunchRecord> launched = new ArrayList<>();
        for (FleetDecision.Launch l : decision.launches()) {
            ResourceSlots need = ResourceSlots.EMPTY;
            for (String s : l.sessionIds()) {
                Demand d = demandById.get(s);
                if (d != null) {
                    need = need.add(d.perKernel());
                }
            }
            List<FleetDriver.Candidate> all = FleetFallback.candidates(catalog, l, need, running);
            // Bought on-demand only when a session it is for was interrupted on spot as often as its rules allow (and
            // the planner could buy it on-demand: otherwise, no type bought on-demand fitting it, on spot as before).
            List<FleetDriver.Candidate> candidates = l.option() == PurchaseOption.ON_DEMAND && l.sessionIds().stream().anyMatch(onDemandOnly::contains)
                    ? all.stream().filter(x -> x.option() == PurchaseOption.ON_DEMAND).toList() : all;
            launch(group, l.sessionIds(), candidates, deadline, running).ifPresentOrElse(r -> {
                byRef.put(l.ref(), r);
                launched.add(r);
            }, () -> failedByRef.put(l.ref(), "no instance could be launched for it yet (" + candidates.size()
                    + " alternatives tried); the next pass tries again"));
        }
        List<String> failed = new ArrayList<>(failedByRef.keySet());

        // min_instances: what runs, is on the way or was just launched (draining instances leave).
        int count = (int) fleetAgents.stream().filter(a -> a.instanceType().isPresent() && live.containsKey(a.id())
                && live.get(a.id()).drainingSince().isEmpty()).count() + launching.size() + launched.size();
        for (int i = count; i < catalog.minInstances() && i < catalog.maxInstances(); i++) {
            List<FleetDriver.Candidate> candidates = minimumCandidates(catalog, running, i);
            if (candidates.isEmpty()) {
                break;
            }
            Optional<LaunchRecord> r = launch(group, List.of(), candidates, deadline, running);
            r.ifPresent(launched::add);
            if (r.isEmpty()) {
                failed.add("min_instances");
                break;
            }
        }

        // Scale-in step 1: drain only an agent that holds nothing.
        List<String> drained = new ArrayList<>();
        for (FleetDecision.Retirement r : decision.retirements()) {
            if (agents.drainIfIdle(r.agentId())) {
                store.markDraining(r.agentId(), now);
                drained.add(r.agentId());
            }
        }

        return new Outcome(decision, launched, failed, drained, terminated, explanations(plan, decision, live, byRef, failedByRef, now));
    }

    /** Sets idle-since when the agent became idle and clears it when busy, only on a change. */
    private void keepIdleSince(LaunchRecord r, boolean busy, Instant now) {
        if (busy && r.idleSince().isPresent()) {
            store.setIdleSince(r.instanceId(), r.idleSince(), Optional.empty());
        } else if (!busy && r.idleSince().isEmpty() && r.joinedAt().isPresent()) {
            store.setIdleSince(r.instanceId(), Optional.empty(), Optional.of(now));
        }
    }

    /** Launches one instance trying {@code candidates} in order, and records it; empty when none could be. */
    private Optional<LaunchRecord> launch(String group, List<String> sessionIds, List<FleetDriver.Candidate> candidates,
                                          Instant deadline, Map<String, Integer> running) {
        Instant requestedAt = clock.instant();
        Duration budget = Duration.between(requestedAt, deadline);
        if (candidates.isEmpty() || budget.isNegative() || budget.isZero()) {
            return Optional.empty();
        }
        String ref = "launch-" + ids.newId();
        FleetDriver.LaunchOutcome outcome;
        try {
            outcome = driver.launch(new FleetDriver.LaunchRequest(group, ref, candidates,
                    Map.of("Name", "sluice-agent-" + group), budget));
        } catch (RuntimeException e) {
            // EC2 refused the request as a whole (throttled, unreachable): the next pass tries again.
            return Optional.empty();
        }
        if (outcome.instanceId().isEmpty() || outcome.launched().isEmpty()) {
            return Optional.empty();
        }
        FleetDriver.Candidate c = outcome.launched().get();
        LaunchRecord record = new LaunchRecord(outcome.instanceId().get(), group, c.instanceType(), c.option(), c.zone(), c.subnetId(),
                c.maxHourlyMicroUsd(), requestedAt, sessionIds, Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty());
        try {
            store.recordLaunch(record);
        } catch (RuntimeException e) {
            // Unrecorded, the instance would join as an agent the fleet does not know (never retired, paid for ever):
            // give it back now, and let the next pass launch again.
            try {
                driver.terminate(List.of(record.instanceId()));
            } catch (RuntimeException alsoFailed) {
                e.addSuppressed(alsoFailed);
            }
            throw e;
        }
        running.merge(c.instanceType(), 1, Integer::sum);
        return Optional.of(record);
    }

    /** For min_instances: the cheapest types below their max, each in its subnets (spread by {@code n}). */
    private static List<FleetDriver.Candidate> minimumCandidates(FleetCatalog catalog, Map<String, Integer> running, int n) {
        List<InstanceType> types = new ArrayList<>(catalog.instanceTypes().stream()
                .filter(t -> running.getOrDefault(t.name(), 0) < t.maxInstances() && !catalog.subnetsOf(t).isEmpty()).toList());
        if (types.isEmpty()) {
            return List.of();
        }
        types.sort(Comparator.comparingLong(InstanceType::preferredMicroUsd));
        InstanceType t = types.get(0);
        List<Subnet> subnets = catalog.subnetsOf(t);
        Subnet s = subnets.get(n % subnets.size());
        FleetDecision.Launch planned = new FleetDecision.Launch("min", t.name(), t.preferredOption(), s.zone(), s.subnetId(),
                t.preferredMicroUsd(), List.of());
        return FleetFallback.candidates(catalog, planned, ResourceSlots.EMPTY, running);
    }

    /** The pass's explanations the fleet replaces: provisioning, fleet-at-max, a failed launch. */
    private Map<String, PendingExplanation> explanations(SchedulingPlan plan, FleetDecision decision, Map<String, LaunchRecord> live,
                                                         Map<String, LaunchRecord> byRef, Map<String, String> failedByRef, Instant now) {
        Map<String, PendingExplanation> original = new HashMap<>();
        for (SchedulingPlan.Deferral d : plan.deferrals()) {
            original.put(d.session().id(), d.explanation());
        }
        Map<String, List<Duration>> bootTimes = new HashMap<>();
        Map<String, PendingExplanation> out = new LinkedHashMap<>();
        for (FleetDecision.Covered c : decision.covered()) {
            PendingExplanation was = original.get(c.sessionId());
            if (!c.waitsForLaunch() || was == null) {
                continue;
            }
            Optional<String> failure = Optional.empty();
            LaunchRecord coming = null;
            for (String host : c.hosts()) {
                LaunchRecord r = byRef.containsKey(host) ? byRef.get(host) : live.get(host);
                if (r != null && r.isLaunching()) {
                    coming = coming == null ? r : coming;
                } else if (failedByRef.containsKey(host)) {
                    failure = Optional.of(failedByRef.get(host));
                }
            }
            if (failure.isPresent()) {
                out.put(c.sessionId(), new PendingExplanation(was.reason(), was.waiting(), was.message() + "; " + failure.get(),
                        was.failed(), was.passed(), was.estimatedStart(), was.details()));
            } else if (coming != null) {
                LaunchRecord r = coming;
                List<Duration> samples = bootTimes.computeIfAbsent(r.instanceType(), store::bootTimes);
                out.put(c.sessionId(), provisioning(r, samples, now, was));
            }
        }
        for (FleetDecision.Unserved u : decision.unserved()) {
            PendingExplanation was = original.get(u.sessionId());
            if (was != null && FleetDecision.AT_MAX.equals(u.reason())) {
                out.put(u.sessionId(), new PendingExplanation(PendingExplanation.FLEET_AT_MAX, true,
                        "no agent can take it and " + u.message(), was.failed(), was.passed(), Optional.empty()));
            }
        }
        return out;
    }

    /**
     * Issue 17, "replacement capacity is requested at once": the sessions on agents warned of a spot interruption (a
     * deadline recorded) that their retry rules will re-queue, after the pass's own demand. Until they are back in the
     * queue the launch stays on the way for them, so the re-queued sessions take it instead of causing another one.
     */
    private List<Demand> replacementDemand(List<Agent> groupAgents, List<Demand> already, java.util.Set<String> onDemandOnly) {
        if (sessions.isEmpty()) {
            return List.of();
        }
        java.util.Set<String> seen = new java.util.HashSet<>();
        already.forEach(d -> seen.add(d.sessionId()));
        List<Demand> out = new ArrayList<>();
        for (Agent a : groupAgents) {
            if (a.interruption().flatMap(dev.sluice.core.agent.Interruption::deadline).isEmpty()) {
                continue;
            }
            for (dev.sluice.core.session.Session s : sessions.get().onAgent(a.id())) {
                if (seen.add(s.id()) && dev.sluice.core.session.SessionRetry.wouldRetryAfterInterruption(s)) {
                    // The interruption under way counts: its next attempt may be bought on-demand only.
                    boolean onDemand = s.spec().retry().get().onDemandOnlyAfter(s.spotInterruptions() + 1);
                    Demand d = Demand.of(s);
                    out.add(new Demand(d.sessionId(), d.perKernel(), d.kernels(), onDemand));
                    if (onDemand) {
                        onDemandOnly.add(s.id());
                    }
                }
            }
        }
        return out;
    }

    /** The median of the measured boot times, or {@link #DEFAULT_BOOT_TIME} when none was measured. */
    public static Duration expectedBootTime(List<Duration> samples) {
        if (samples.isEmpty()) {
            return DEFAULT_BOOT_TIME;
        }
        List<Duration> sorted = new ArrayList<>(samples);
        sorted.sort(Comparator.naturalOrder());
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : sorted.get(n / 2 - 1).plus(sorted.get(n / 2)).dividedBy(2);
    }

    /**
     * "waits for a g5.xlarge spot instance in us-east-1a (i-0abc), requested at 18:40:12 UTC, expected by 18:41:42 UTC
     * (the median of its type's last 3 boots: 90 s)", with {@code provisioning: {instance_id, instance_type, zone,
     * purchase_option, since, eta}} and the ETA as the estimated start. The message names times, not durations from now,
     * so it stays the same from pass to pass (an unchanged explanation is not rewritten by a burst of passes) until the
     * type's measured boot times change; clients show the time left from {@code eta}.
     */
    static PendingExplanation provisioning(LaunchRecord r, List<Duration> bootTimes, Instant now, PendingExplanation was) {
        Duration boot = expectedBootTime(bootTimes);
        Instant eta = r.requestedAt().plus(boot);
        String message = "waits for a " + r.instanceType() + " " + r.option().wireName() + " instance in " + r.zone()
                + " (" + r.instanceId() + "), requested at " + clockTime(r.requestedAt()) + ", expected by " + clockTime(eta)
                + (bootTimes.isEmpty()
                        ? " (no boot of the type measured yet: assumed " + seconds(DEFAULT_BOOT_TIME) + ")"
                        : " (the median of its type's last " + bootTimes.size() + " boot" + (bootTimes.size() == 1 ? "" : "s")
                                + ": " + seconds(boot) + ")");
        JsonObject details = JsonObject.of("provisioning", JsonObject.builder()
                .put("instance_id", r.instanceId())
                .put("instance_type", r.instanceType())
                .put("zone", r.zone())
                .put("purchase_option", r.option().wireName())
                .put("since", r.requestedAt().toString())
                .put("eta", eta.toString())
                .build());
        return new PendingExplanation(PendingExplanation.PROVISIONING, true, message, was.failed(), was.passed(), Optional.of(eta), details);
    }

    private static String clockTime(Instant t) {
        return java.time.format.DateTimeFormatter.ofPattern("HH:mm:ss 'UTC'").withZone(java.time.ZoneOffset.UTC).format(t);
    }

    private static String seconds(Duration d) {
        return d.toSeconds() < 300 ? d.toSeconds() + " s" : DurationText.format(Duration.ofSeconds(d.toSeconds()));
    }

    /**
     * An agent spoke for the first time (its registration): when its id is an instance the fleet launched, the launch
     * is joined and the boot time of its type (request to first heartbeat) is recorded, once.
     */
    public static void agentJoined(FleetStore store, String agentId, Instant at) {
        store.find(agentId).ifPresent(r -> {
            if (r.terminatedAt().isEmpty() && store.markJoined(agentId, at)) {
                Duration boot = Duration.between(r.requestedAt(), at);
                store.recordBootTime(r.instanceType(), boot.isNegative() ? Duration.ZERO : boot, at);
            }
        });
    }
}
