package dev.sluice.local.bench;

import dev.sluice.core.agent.Agent;
import dev.sluice.core.agent.AgentStatus;
import dev.sluice.core.fleet.Demand;
import dev.sluice.core.fleet.FleetAgent;
import dev.sluice.core.fleet.FleetCatalog;
import dev.sluice.core.fleet.FleetDecision;
import dev.sluice.core.fleet.FleetPlanner;
import dev.sluice.core.fleet.FleetState;
import dev.sluice.core.fleet.InstanceType;
import dev.sluice.core.fleet.Launching;
import dev.sluice.core.fleet.PurchaseOption;
import dev.sluice.core.fleet.LaunchRecord;
import dev.sluice.core.group.ResourceGroup;
import dev.sluice.core.request.RequestFields;
import dev.sluice.core.scheduler.PlacementHold;
import dev.sluice.core.scheduler.Planner;
import dev.sluice.core.scheduler.ResourcePolicy;
import dev.sluice.core.scheduler.SchedulingPlan;
import dev.sluice.core.scheduler.SchedulingSnapshot;
import dev.sluice.core.scheduler.Usage;
import dev.sluice.core.session.Session;
import dev.sluice.core.session.SessionSpec;
import dev.sluice.core.slots.ResourceSlots;
import dev.sluice.core.usecase.FleetService;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.TreeMap;

/**
 * A trace replayed on a simulated clock (discrete events, no sleeping) through the real scheduling code: each pass
 * builds a {@link SchedulingSnapshot} as {@code SchedulingPass} does (the group's queue and agents, no policies) and
 * plans it with {@link Planner}; its placements are applied; then, for an elastic fleet, the pass's demand
 * ({@link Demand#from}), its agents ({@link FleetAgent#of}, with their instance type and idle-since) and the instances
 * still booting ({@link Launching}) go to {@link FleetPlanner}, whose launches join as agents after their type's boot
 * delay and whose retirements are terminated at once (an idle agent drains instantly). A pass runs after every
 * arrival, end and join, and on every minute tick. Spot instances are never interrupted here.
 *
 * <p>Billing: an instance is paid from its launch request until it is terminated (per second, at least 60 s), at its
 * type's price for the purchase option it was launched with; a static fleet is paid for the whole replay, at least
 * {@link Config#day}. A session runs its trace duration from its placement; one never placed when the replay stops is
 * lost.
 */
public final class FleetReplay {
    public static final Instant START = Instant.parse("2026-12-01T00:00:00Z");
    static final int TICK = 60;

    private FleetReplay() {
    }

    /**
     * One way to run the trace: the group (its scheduler options), the catalog (types, prices, idle_duration, limits),
     * and either an elastic fleet (starting empty) or a static one ({@code staticFleet}: instances per type, bought
     * with {@code staticOption}, there from 00:00 and never retired).
     */
    public record Config(String name, ResourceGroup group, FleetCatalog catalog, boolean elastic, Map<String, Integer> staticFleet,
                         PurchaseOption staticOption, Map<String, Duration> bootDelay, Duration day, Duration horizon) {
        public Config {
            staticFleet = new LinkedHashMap<>(staticFleet);
            bootDelay = Map.copyOf(bootDelay);
        }

        public static Config elastic(String name, ResourceGroup group, FleetCatalog catalog, Map<String, Duration> bootDelay, Duration day) {
            return new Config(name, group, catalog, true, Map.of(), PurchaseOption.ON_DEMAND, bootDelay, day, day.multipliedBy(2));
        }

        public static Config fixed(String name, ResourceGroup group, FleetCatalog catalog, Map<String, Integer> fleet, PurchaseOption option,
                                   Duration day) {
            return new Config(name, group, catalog, false, fleet, option, Map.of(), day, day.multipliedBy(2));
        }
    }

    /** One instance's life: bought how, when requested, joined and terminated (seconds into the replay). */
    public record Instance(String id, String type, PurchaseOption option, int gpus, long hourlyMicroUsd, long requestedAt, long joinedAt,
                           long terminatedAt, List<String> launchedFor) {
        public long paidSeconds() {
            return Math.max(60, terminatedAt - requestedAt);
        }
    }

    /** What a session went through: when it arrived and was placed (-1: never), and on which agents. */
    public record Outcome(FleetDayTrace.Entry entry, long placedAt, List<String> agents) {
        public boolean lost() {
            return placedAt < 0;
        }

        public long waitSeconds() {
            return placedAt - entry.arrivalSeconds();
        }
    }

    /** The replay's outcome: every session, every instance, when it stopped, and how many passes and launches it took. */
    public record Result(String name, boolean elastic, List<Outcome> sessions, List<Instance> instances, long endSeconds, int passes,
                         int launches, int retirements, int peakInstances, long wallNanos) {

        public double gpuHoursUsed() {
            long s = 0;
            for (Outcome o : sessions) {
                if (!o.lost()) {
                    s += (long) o.entry().totalGpus() * o.entry().durationSeconds();
                }
            }
            return s / 3600.0;
        }

        public double gpuHoursPaid() {
            long s = 0;
            for (Instance i : instances) {
                s += i.paidSeconds() * i.gpus();
            }
            return s / 3600.0;
        }

        /** Dollars: each instance's paid seconds at its hourly price. */
        public double dollars() {
            double d = 0;
            for (Instance i : instances) {
                d += i.paidSeconds() * (i.hourlyMicroUsd() / 1e6) / 3600.0;
            }
            return d;
        }

        public double paidOverUsed() {
            return gpuHoursPaid() / gpuHoursUsed();
        }

        public long lost() {
            return sessions.stream().filter(Outcome::lost).count();
        }

        /** Waits (arrival to placement) of the placed sessions, in seconds, sorted; optionally of one kind only. */
        public List<Long> waits(Optional<String> kind) {
            return sessions.stream().filter(o -> !o.lost() && kind.map(k -> k.equals(o.entry().kind())).orElse(true))
                    .map(Outcome::waitSeconds).sorted().toList();
        }

        /** Nearest-rank percentile of the waits, in seconds (0 when none). */
        public long waitPercentile(double q, Optional<String> kind) {
            List<Long> w = waits(kind);
            if (w.isEmpty()) {
                return 0;
            }
            return w.get(Math.min(w.size() - 1, Math.max(0, (int) Math.ceil(q * w.size()) - 1)));
        }
    }

    private enum Kind { END, JOIN, ARRIVAL }

    private record Event(long at, Kind kind, long seq, String ref) {
    }

    /** An agent of the replay: the instance under it, its capacity, what it holds, since when it has held nothing. */
    private static final class SimAgent {
        final String id;
        final String type;
        final ResourceSlots capacity;
        final long joinedAt;
        ResourceSlots occupied = ResourceSlots.EMPTY;
        int sessions;
        long idleSince;

        SimAgent(String id, String type, ResourceSlots capacity, long joinedAt) {
            this.id = id;
            this.type = type;
            this.capacity = capacity;
            this.joinedAt = joinedAt;
            this.idleSince = joinedAt;
        }

        Agent record(Instant now) {
            Instant joined = START.plusSeconds(joinedAt);
            return new Agent(id, "fleet-day", AgentStatus.ALIVE, true, capacity, occupied, "x86_64", "bench", Map.of(), joined, now);
        }
    }

    /** A launched instance, booting or joined, and what it costs. */
    private static final class SimInstance {
        final String id;
        final InstanceType type;
        final PurchaseOption option;
        final String zone;
        final long hourlyMicroUsd;
        final long requestedAt;
        final List<String> launchedFor;
        long joinedAt = -1;
        long terminatedAt = -1;

        SimInstance(String id, InstanceType type, PurchaseOption option, String zone, long hourlyMicroUsd, long requestedAt,
                    List<String> launchedFor) {
            this.launchedFor = List.copyOf(launchedFor);
            this.id = id;
            this.type = type;
            this.option = option;
            this.zone = zone;
            this.hourlyMicroUsd = hourlyMicroUsd;
            this.requestedAt = requestedAt;
        }
    }

    /** The session a trace entry becomes: its spec parsed as the API would parse it. */
    static Session session(FleetDayTrace.Entry e, String group) {
        Map<String, Object> body = new HashMap<>();
        body.put("image", "python:3.12");
        body.put("type", e.kind());
        if (e.kind().equals("batch")) {
            body.put("startup_command", "python train.py");
        }
        body.put("resource_slots", Map.of("cuda.device", e.gpus(), "cpu", 4 * e.gpus(), "mem", (16 * e.gpus()) + "g"));
        if (e.kernels() > 1) {
            body.put("cluster_mode", "multi-node");
            body.put("cluster_size", e.kernels());
        }
        Instant at = START.plusSeconds(e.arrivalSeconds());
        return Session.enqueue(e.id(), "user-" + (Math.abs(e.id().hashCode()) % 7), SessionSpec.parse(RequestFields.of(body), at), group, at);
    }

    public static Result run(List<FleetDayTrace.Entry> trace, Config config) {
        long started = System.nanoTime();
        Run run = new Run(trace, config);
        run.replay();
        return new Result(config.name(), config.elastic(), run.outcomes(), run.instances(), run.end, run.passes, run.launches, run.retirements,
                run.peakInstances, System.nanoTime() - started);
    }

    private static final class Run {
        final List<FleetDayTrace.Entry> trace;
        final Config config;
        final Map<String, FleetDayTrace.Entry> byId = new HashMap<>();
        final PriorityQueue<Event> events = new PriorityQueue<>(Comparator.comparingLong(Event::at).thenComparing(Event::kind)
                .thenComparingLong(Event::seq));
        long seq;
        /** Pending sessions in arrival order. */
        final List<Session> pending = new ArrayList<>();
        /** Agents by id (sorted, so a snapshot lists them as a store's query would, in a stable order). */
        final TreeMap<String, SimAgent> agents = new TreeMap<>();
        final Map<String, SimInstance> instances = new LinkedHashMap<>();
        final Map<String, Long> placedAt = new HashMap<>();
        final Map<String, List<SchedulingPlan.Kernel>> kernels = new HashMap<>();
        Optional<String> lastRoundRobin = Optional.empty();
        int arrived;
        int running;
        int passes;
        int launches;
        int retirements;
        int peakInstances;
        long end;

        Run(List<FleetDayTrace.Entry> trace, Config config) {
            this.trace = trace;
            this.config = config;
            for (FleetDayTrace.Entry e : trace) {
                if (byId.put(e.id(), e) != null) {
                    throw new IllegalArgumentException("the trace lists session " + e.id() + " twice");
                }
                events.add(new Event(e.arrivalSeconds(), Kind.ARRIVAL, seq++, e.id()));
            }
            int n = 0;
            for (Map.Entry<String, Integer> f : config.staticFleet().entrySet()) {
                InstanceType t = config.catalog().type(f.getKey())
                        .orElseThrow(() -> new IllegalArgumentException("the static fleet's type " + f.getKey() + " is not in the catalog"));
                for (int i = 0; i < f.getValue(); i++) {
                    String id = String.format("static-%03d", ++n);
                    SimInstance inst = new SimInstance(id, t, config.staticOption(), config.catalog().subnets().get(0).zone(),
                            t.priceOf(config.staticOption()), 0, List.of());
                    inst.joinedAt = 0;
                    instances.put(id, inst);
                    agents.put(id, new SimAgent(id, t.name(), t.slots(), 0));
                }
            }
            peakInstances = instances.size();
        }

        void replay() {
            long horizon = config.horizon().toSeconds();
            long nextTick = 0;
            long stop;
            while (true) {
                long t = events.isEmpty() ? nextTick : Math.min(events.peek().at(), nextTick);
                if (t > horizon || finished()) {
                    stop = Math.min(t, horizon);
                    break;
                }
                while (!events.isEmpty() && events.peek().at() == t) {
                    handle(events.poll(), t);
                }
                if (t == nextTick) {
                    nextTick += TICK;
                }
                pass(t);
            }
            // Elastic instances still there when the replay stops (only at the horizon) are paid until then; a static
            // fleet until the later of the day's end and its last session's end.
            if (config.elastic()) {
                for (SimInstance i : instances.values()) {
                    if (i.terminatedAt < 0) {
                        i.terminatedAt = stop;
                    }
                }
            }
            end = Math.max(config.day().toSeconds(), lastActivity());
            for (SimInstance i : instances.values()) {
                if (i.terminatedAt < 0) {
                    i.terminatedAt = end;
                }
            }
        }

        /** Everything arrived and ran, and (elastic) every instance launched for it is gone again. */
        boolean finished() {
            if (arrived < trace.size() || !pending.isEmpty() || running > 0) {
                return false;
            }
            return !config.elastic() || instances.values().stream().allMatch(i -> i.terminatedAt >= 0);
        }

        long lastActivity() {
            long last = 0;
            for (Map.Entry<String, Long> p : placedAt.entrySet()) {
                last = Math.max(last, p.getValue() + byId.get(p.getKey()).durationSeconds());
            }
            for (SimInstance i : instances.values()) {
                last = Math.max(last, i.terminatedAt);
            }
            return last;
        }

        void handle(Event e, long t) {
            switch (e.kind()) {
                case ARRIVAL -> {
                    pending.add(session(byId.get(e.ref()), config.group().name()));
                    arrived++;
                }
                case END -> {
                    for (SchedulingPlan.Kernel k : kernels.get(e.ref())) {
                        SimAgent a = agents.get(k.agentId());
                        a.occupied = a.occupied.subtract(k.slots());
                        a.sessions--;
                        if (a.sessions == 0) {
                            a.idleSince = t;
                        }
                    }
                    running--;
                }
                case JOIN -> {
                    SimInstance i = instances.get(e.ref());
                    i.joinedAt = t;
                    agents.put(i.id, new SimAgent(i.id, i.type.name(), i.type.slots(), t));
                }
            }
        }

        void pass(long t) {
            passes++;
            Instant now = START.plusSeconds(t);
            List<Agent> snapshotAgents = new ArrayList<>();
            for (SimAgent a : agents.values()) {
                snapshotAgents.add(a.record(now));
            }
            Map<String, PlacementHold> holds = config.elastic() ? holds(snapshotAgents) : Map.of();
            SchedulingSnapshot snapshot = new SchedulingSnapshot(config.group(), List.copyOf(pending), snapshotAgents, Map.of(), Usage.NONE,
                    Usage.NONE, Map.of(), ResourcePolicy.UNLIMITED, ResourcePolicy.UNLIMITED, Map.of(), lastRoundRobin, now, holds);
            SchedulingPlan plan = Planner.plan(snapshot);
            if (!plan.cancellations().isEmpty()) {
                throw new IllegalStateException("the replay's group cancels no session, but the planner cancelled " + plan.cancellations());
            }
            lastRoundRobin = plan.lastRoundRobin();
            for (SchedulingPlan.Placement p : plan.placements()) {
                String id = p.session().id();
                for (SchedulingPlan.Kernel k : p.kernels()) {
                    SimAgent a = agents.get(k.agentId());
                    a.occupied = a.occupied.add(k.slots());
                    a.sessions++;
                }
                kernels.put(id, p.kernels());
                placedAt.put(id, t);
                pending.removeIf(s -> s.id().equals(id));
                running++;
                events.add(new Event(t + byId.get(id).durationSeconds(), Kind.END, seq++, id));
            }
            if (config.elastic()) {
                fleet(t, now, snapshotAgents, plan, holds);
            }
        }

        /**
         * The pass's holds, computed as the fleet service computes them before the pass plans: from each live
         * instance's launch record (as {@code FleetService} stores it) and the agents and queue of the snapshot.
         */
        Map<String, PlacementHold> holds(List<Agent> snapshotAgents) {
            List<LaunchRecord> live = new ArrayList<>();
            for (SimInstance i : instances.values()) {
                if (i.terminatedAt >= 0) {
                    continue;
                }
                SimAgent a = agents.get(i.id);
                live.add(new LaunchRecord(i.id, config.group().name(), i.type.name(), i.option, i.zone, "subnet-sim", i.hourlyMicroUsd,
                        START.plusSeconds(i.requestedAt), i.launchedFor, i.joinedAt < 0 ? Optional.empty() : Optional.of(START.plusSeconds(i.joinedAt)),
                        a == null || a.sessions > 0 ? Optional.empty() : Optional.of(START.plusSeconds(a.idleSince)), Optional.empty(),
                        Optional.empty(), Optional.empty()));
            }
            return FleetService.holds(config.catalog(), live, snapshotAgents, pending.stream().map(Demand::of).toList());
        }

        /** What the fleet service does after a pass: FleetState from the pass, FleetPlanner, launches and retirements. */
        void fleet(long t, Instant now, List<Agent> snapshotAgents, SchedulingPlan plan, Map<String, PlacementHold> holds) {
            List<FleetAgent> fleetAgents = new ArrayList<>();
            for (Agent a : snapshotAgents) {
                SimAgent sim = agents.get(a.id());
                fleetAgents.add(FleetAgent.of(a, Optional.of(sim.type), Optional.of(START.plusSeconds(sim.idleSince)), plan));
            }
            List<Launching> launching = new ArrayList<>();
            for (SimInstance i : instances.values()) {
                if (i.joinedAt < 0 && i.terminatedAt < 0) {
                    launching.add(new Launching(i.id, i.type.name(), i.option, i.zone, i.type.slots(), START.plusSeconds(i.requestedAt)));
                }
            }
            FleetDecision d = FleetPlanner.plan(new FleetState(config.catalog(), Demand.from(plan), fleetAgents, launching, now, holds));
            for (FleetDecision.Launch l : d.launches()) {
                InstanceType type = config.catalog().type(l.instanceType()).orElseThrow();
                String id = String.format("i-%017x", instances.size() + 1);
                instances.put(id, new SimInstance(id, type, l.option(), l.zone(), l.hourlyMicroUsd(), t, l.sessionIds()));
                Duration boot = config.bootDelay().get(type.name());
                if (boot == null) {
                    throw new IllegalArgumentException("no boot delay for " + type.name());
                }
                events.add(new Event(t + boot.toSeconds(), Kind.JOIN, seq++, id));
                launches++;
            }
            for (FleetDecision.Retirement r : d.retirements()) {
                SimAgent a = agents.remove(r.agentId());
                if (a == null || a.sessions > 0) {
                    throw new IllegalStateException("the fleet planner retired " + r.agentId() + ", which holds a session or is no agent");
                }
                instances.get(r.agentId()).terminatedAt = t;
                retirements++;
            }
            long alive = instances.values().stream().filter(i -> i.terminatedAt < 0).count();
            peakInstances = (int) Math.max(peakInstances, alive);
        }

        List<Outcome> outcomes() {
            List<Outcome> out = new ArrayList<>();
            for (FleetDayTrace.Entry e : trace) {
                Long at = placedAt.get(e.id());
                out.add(new Outcome(e, at == null ? -1 : at,
                        at == null ? List.of() : kernels.get(e.id()).stream().map(SchedulingPlan.Kernel::agentId).toList()));
            }
            return out;
        }

        List<Instance> instances() {
            List<Instance> out = new ArrayList<>();
            for (SimInstance i : instances.values()) {
                int gpus = i.type.slots().get(ResourceSlots.CUDA_DEVICE).intValue();
                out.add(new Instance(i.id, i.type.name(), i.option, gpus, i.hourlyMicroUsd, i.requestedAt, i.joinedAt, i.terminatedAt, i.launchedFor));
            }
            return out;
        }
    }
}
