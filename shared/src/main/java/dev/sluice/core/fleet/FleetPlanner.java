package dev.sluice.core.fleet;

import dev.sluice.core.scheduler.PlacementHold;
import dev.sluice.core.slots.ResourceSlots;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Demand -> capacity (issue 17): which instances to launch so that the demanded sessions fit, and which idle agents to
 * give back. Pure and deterministic; it touches no storage and no AWS.
 *
 * <p>Each demanded session first takes room on the agents there are and the instances already launching (first fit);
 * what is left opens new instances. A gang (multi-node session) takes distinct hosts for all its kernels, and if the
 * instances it still needs cannot all be launched (max per type or per group) nothing is launched for it. A session
 * that fits no instance type of the catalog gets no launch and keeps the pass's "never fits" reason.
 *
 * <p>Which type a new instance is: bin packing is NP-hard, so several packings are computed and the best kept — more
 * sessions served first, then the lower hourly cost, then fewer instances. One of them is the plain greedy packing
 * (queue order, each new instance the cheapest type that fits the session that opens it), so the chosen set never
 * serves fewer sessions than it nor, serving as many, costs more. The others choose a new instance's type by a look
 * ahead: how much of the following demand one instance of each type would hold, per dollar.
 *
 * <p>Retirement: a fleet-launched agent that holds no session, was not placed on in this pass, has been idle for at
 * least {@code idle_duration}, whose room no demanded session is given, while more than {@code min_instances}
 * instances remain; the dearest first.
 */
public final class FleetPlanner {
    /** How many following sessions the look ahead weighs when it chooses a new instance's type. */
    static final int LOOK_AHEAD = 48;

    private FleetPlanner() {
    }

    /** The packings compared; {@link #GREEDY} alone is the simple alternative the chosen set is never worse than. */
    public enum Strategy { GREEDY, LOOK_AHEAD_QUEUE_ORDER, LOOK_AHEAD_LARGEST_FIRST }

    public static FleetDecision plan(FleetState state) {
        Packing best = null;
        Context ctx = new Context(state);
        for (Strategy s : Strategy.values()) {
            Packing p = pack(ctx, s);
            if (best == null || p.betterThan(best)) {
                best = p;
            }
        }
        return best.decision(ctx);
    }

    /** The decision one strategy alone makes (for tests and comparison). */
    public static FleetDecision plan(FleetState state, Strategy strategy) {
        Context ctx = new Context(state);
        return pack(ctx, strategy).decision(ctx);
    }

    /** What every strategy shares: the catalog in micro-units, standalone prices, the existing hosts and counts. */
    private static final class Context {
        final FleetState state;
        final List<InstanceType> types;
        final long[][] typeSlots;
        final long[] typePrice;
        final List<Demand> demand;
        final long[][] need;
        /** The cheapest type (index) one kernel of each demand fits alone, or -1. */
        final int[] cheapestFit;
        final List<Host> existing = new ArrayList<>();
        final Map<String, Integer> runningByType = new HashMap<>();
        final int running;

        Context(FleetState state) {
            this.state = state;
            this.types = state.catalog().instanceTypes();
            this.typeSlots = new long[types.size()][];
            this.typePrice = new long[types.size()];
            for (int t = 0; t < types.size(); t++) {
                typeSlots[t] = types.get(t).slots().microUnits();
                typePrice[t] = types.get(t).preferredMicroUsd();
            }
            this.demand = state.demand();
            this.need = new long[demand.size()][];
            this.cheapestFit = new int[demand.size()];
            for (int i = 0; i < demand.size(); i++) {
                need[i] = demand.get(i).perKernel().microUnits();
                int best = -1;
                for (int t = 0; t < types.size(); t++) {
                    if (ResourceSlots.microFits(need[i], typeSlots[t]) && (best < 0 || typePrice[t] < typePrice[best])) {
                        best = t;
                    }
                }
                cheapestFit[i] = best;
            }
            int count = 0;
            for (FleetAgent a : state.agents()) {
                if (a.instanceType().isPresent()) {
                    runningByType.merge(a.instanceType().get(), 1, Integer::sum);
                    count++;
                }
                if (a.schedulable()) {
                    Host h = new Host(a.id(), -1, null, a.free().microUnits(), true);
                    PlacementHold hold = state.holds().get(a.id());
                    h.hold = a.busy() ? null : hold;
                    h.spot = hold != null && hold.refusesOnDemandOnly();
                    existing.add(h);
                }
            }
            for (Launching l : state.launching()) {
                runningByType.merge(l.instanceType(), 1, Integer::sum);
                count++;
                Host h = new Host(l.instanceId(), -1, null, l.slots().microUnits(), false);
                h.spot = l.option() == PurchaseOption.SPOT;
                existing.add(h);
            }
            this.running = count;
        }
    }

    /** A host in a packing: an agent, a launching instance (type -1) or a new instance (type index, subnet). */
    private static final class Host {
        final String id;
        final int type;
        final Subnet subnet;
        final long[] free;
        final boolean agent;
        final List<String> sessions = new ArrayList<>();
        /** The pass's {@link PlacementHold} on an empty agent; lifted once a demand is given room on it. */
        PlacementHold hold;
        /** A spot agent or instance on the way: no room for a demand that asks for on-demand only. */
        boolean spot;
        /** A new instance opened for a demand that asks for on-demand only: it is bought on-demand. */
        boolean onDemand;

        Host(String id, int type, Subnet subnet, long[] free, boolean agent) {
            this.agent = agent;
            this.id = id;
            this.type = type;
            this.subnet = subnet;
            this.free = free;
        }
    }

    private record Assignment(String sessionId, boolean waits, List<String> hosts) {
    }

    private static final class Packing {
        final List<Host> hosts = new ArrayList<>();
        final List<Host> fresh = new ArrayList<>();
        final int[] newByType;
        final Map<String, Integer> newByTypeZone = new HashMap<>();
        final List<Assignment> assigned = new ArrayList<>();
        final List<FleetDecision.Unserved> unserved = new ArrayList<>();
        long cost;

        Packing(Context ctx) {
            for (Host h : ctx.existing) {
                Host copy = new Host(h.id, -1, null, h.free.clone(), h.agent);
                copy.hold = h.hold;
                copy.spot = h.spot;
                hosts.add(copy);
            }
            newByType = new int[ctx.types.size()];
        }

        boolean betterThan(Packing o) {
            if (assigned.size() != o.assigned.size()) {
                return assigned.size() > o.assigned.size();
            }
            if (cost != o.cost) {
                return cost < o.cost;
            }
            return fresh.size() < o.fresh.size();
        }

        FleetDecision decision(Context ctx) {
            List<FleetDecision.Launch> launches = new ArrayList<>();
            for (Host h : fresh) {
                InstanceType t = ctx.types.get(h.type);
                PurchaseOption option = h.onDemand ? PurchaseOption.ON_DEMAND : t.preferredOption();
                launches.add(new FleetDecision.Launch(h.id, t.name(), option, h.subnet.zone(), h.subnet.subnetId(),
                        t.priceOf(option), List.copyOf(new java.util.LinkedHashSet<>(h.sessions))));
            }
            List<FleetDecision.Covered> covered = new ArrayList<>();
            Set<String> usedExisting = new HashSet<>();
            for (Assignment a : assigned) {
                covered.add(new FleetDecision.Covered(a.sessionId, a.hosts, a.waits));
            }
            for (Host h : hosts) {
                if (h.type < 0 && !h.sessions.isEmpty()) {
                    usedExisting.add(h.id);
                }
            }
            return new FleetDecision(launches, retirements(ctx, usedExisting), covered, unserved);
        }
    }

    private static Packing pack(Context ctx, Strategy strategy) {
        Packing p = new Packing(ctx);
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < ctx.demand.size(); i++) {
            order.add(i);
        }
        if (strategy == Strategy.LOOK_AHEAD_LARGEST_FIRST) {
            order.sort(Comparator.<Integer>comparingInt(i -> -ctx.demand.get(i).kernels())
                    .thenComparing((a, b) -> ResourceSlots.microCompare(ctx.need[b], ctx.need[a])));
        }
        int groupRoom = ctx.state.catalog().maxInstances() - ctx.running;
        for (int pos = 0; pos < order.size(); pos++) {
            int i = order.get(pos);
            Demand d = ctx.demand.get(i);
            if (ctx.cheapestFit[i] < 0) {
                p.unserved.add(new FleetDecision.Unserved(d.sessionId(), FleetDecision.NEVER_FITS, "it asks for "
                        + d.perKernel().describe() + (d.isGang() ? " on each of " + d.kernels() + " hosts" : "")
                        + ", more than any instance type of the catalog provides; nothing is launched for it"));
                continue;
            }
            // Tentatively: room on hosts there are (distinct ones for a gang), then new instances for the rest.
            List<Host> chosen = new ArrayList<>();
            for (int k = 0; k < d.kernels(); k++) {
                Host h = firstFit(p.hosts, d, ctx.need[i], chosen);
                if (h == null) {
                    break;
                }
                chosen.add(h);
            }
            int missing = d.kernels() - chosen.size();
            int[] extra = new int[ctx.types.size()];
            List<Integer> newTypes = new ArrayList<>();
            boolean ok = missing <= groupRoom - p.fresh.size();
            for (int k = 0; ok && k < missing; k++) {
                int t = strategy == Strategy.GREEDY || d.onDemandOnly() ? cheapestWithRoom(ctx, p, extra, i)
                        : lookAhead(ctx, p, extra, order, pos);
                if (t < 0) {
                    ok = false;
                } else {
                    extra[t]++;
                    newTypes.add(t);
                }
            }
            if (!ok) {
                p.unserved.add(new FleetDecision.Unserved(d.sessionId(), FleetDecision.AT_MAX, "it needs " + missing
                        + (missing == 1 ? " more instance" : " more instances, all at once,") + " than the fleet may launch now (max_instances "
                        + ctx.state.catalog().maxInstances() + " for the group, or the max of the types it fits)"));
                continue;
            }
            for (int t : newTypes) {
                Host h = new Host("launch-" + (p.fresh.size() + 1), t, zoneFor(ctx, p, t), ctx.typeSlots[t].clone(), false);
                // Bought on-demand for a session that asks for it; then no other session's kernel makes it spot.
                h.onDemand = d.onDemandOnly();
                h.spot = !h.onDemand && ctx.types.get(t).preferredOption() == PurchaseOption.SPOT;
                p.newByType[t]++;
                p.newByTypeZone.merge(ctx.types.get(t).name() + "/" + h.subnet.zone(), 1, Integer::sum);
                p.fresh.add(h);
                p.hosts.add(h);
                p.cost += ctx.typePrice[t];
                chosen.add(h);
            }
            List<String> ids = new ArrayList<>();
            boolean waits = false;
            for (Host h : chosen) {
                waits |= !h.agent;
                long[] f = h.free;
                for (int s = 0; s < f.length; s++) {
                    f[s] -= ctx.need[i][s];
                }
                h.sessions.add(d.sessionId());
                h.hold = null;
                ids.add(h.id);
            }
            p.assigned.add(new Assignment(d.sessionId(), waits, ids));
        }
        return p;
    }

    private static Host firstFit(List<Host> hosts, Demand d, long[] need, List<Host> exclude) {
        for (Host h : hosts) {
            if (ResourceSlots.microFits(need, h.free) && !exclude.contains(h)
                    && (h.hold == null || !h.hold.refusesWhileEmpty(d.sessionId(), need)) && !(h.spot && d.onDemandOnly())) {
                return h;
            }
        }
        return null;
    }

    private static boolean hasRoom(Context ctx, Packing p, int[] extra, int t) {
        InstanceType type = ctx.types.get(t);
        return ctx.runningByType.getOrDefault(type.name(), 0) + p.newByType[t] + extra[t] < type.maxInstances()
                && !ctx.state.catalog().subnetsOf(type).isEmpty();
    }

    /**
     * The cheapest type one kernel of demand {@code i} fits that may still be launched, or -1; for a demand that asks
     * for on-demand only, among the types bought on-demand, at their on-demand prices.
     */
    private static int cheapestWithRoom(Context ctx, Packing p, int[] extra, int i) {
        boolean onDemand = ctx.demand.get(i).onDemandOnly();
        int best = -1;
        long bestPrice = 0;
        for (int t = 0; t < ctx.types.size(); t++) {
            InstanceType type = ctx.types.get(t);
            if (onDemand && !type.purchaseOptions().contains(PurchaseOption.ON_DEMAND)) {
                continue;
            }
            long price = onDemand ? type.priceOf(PurchaseOption.ON_DEMAND) : ctx.typePrice[t];
            if (ResourceSlots.microFits(ctx.need[i], ctx.typeSlots[t]) && hasRoom(ctx, p, extra, t) && (best < 0 || price < bestPrice)) {
                best = t;
                bestPrice = price;
            }
        }
        return best;
    }

    /**
     * The type whose one new instance, opened for the demand at {@code order[pos]}, would hold the most of that and the
     * following {@link #LOOK_AHEAD} demands per dollar, each valued at what it would cost alone.
     */
    private static int lookAhead(Context ctx, Packing p, int[] extra, List<Integer> order, int pos) {
        int first = order.get(pos);
        int best = -1;
        double bestValue = 0;
        long[] free = new long[ResourceSlots.MICRO_SIZE];
        for (int t = 0; t < ctx.types.size(); t++) {
            if (!ResourceSlots.microFits(ctx.need[first], ctx.typeSlots[t]) || !hasRoom(ctx, p, extra, t)) {
                continue;
            }
            System.arraycopy(ctx.typeSlots[t], 0, free, 0, free.length);
            double value = 0;
            int end = Math.min(order.size(), pos + 1 + LOOK_AHEAD);
            for (int q = pos; q < end; q++) {
                int j = order.get(q);
                if (ctx.cheapestFit[j] < 0 || !ResourceSlots.microFits(ctx.need[j], free)) {
                    continue;
                }
                for (int s = 0; s < free.length; s++) {
                    free[s] -= ctx.need[j][s];
                }
                value += ctx.typePrice[ctx.cheapestFit[j]];
            }
            double perDollar = value / ctx.typePrice[t];
            if (best < 0 || perDollar > bestValue || (perDollar == bestValue && ctx.typePrice[t] < ctx.typePrice[best])) {
                best = t;
                bestValue = perDollar;
            }
        }
        return best;
    }

    /** The type's zone with the fewest of its instances launching or chosen in this decision; ties: catalog order. */
    private static Subnet zoneFor(Context ctx, Packing p, int t) {
        InstanceType type = ctx.types.get(t);
        Subnet best = null;
        int bestCount = Integer.MAX_VALUE;
        for (Subnet s : ctx.state.catalog().subnetsOf(type)) {
            int count = p.newByTypeZone.getOrDefault(type.name() + "/" + s.zone(), 0);
            for (Launching l : ctx.state.launching()) {
                if (l.instanceType().equals(type.name()) && l.zone().equals(s.zone())) {
                    count++;
                }
            }
            if (count < bestCount) {
                best = s;
                bestCount = count;
            }
        }
        return best;
    }

    private static List<FleetDecision.Retirement> retirements(Context ctx, Set<String> usedByDemand) {
        FleetCatalog catalog = ctx.state.catalog();
        Duration idle = catalog.idleDuration();
        List<FleetAgent> candidates = new ArrayList<>();
        for (FleetAgent a : ctx.state.agents()) {
            if (a.instanceType().isPresent() && !a.busy() && a.idleSince().isPresent() && !usedByDemand.contains(a.id())
                    && !a.idleSince().get().plus(idle).isAfter(ctx.state.now())) {
                candidates.add(a);
            }
        }
        candidates.sort(Comparator.<FleetAgent>comparingLong(a -> -catalog.type(a.instanceType().get()).map(InstanceType::preferredMicroUsd).orElse(0L))
                .thenComparing(a -> a.idleSince().get()).thenComparing(FleetAgent::id));
        int room = ctx.running - catalog.minInstances();
        List<FleetDecision.Retirement> out = new ArrayList<>();
        for (FleetAgent a : candidates) {
            if (out.size() >= room) {
                break;
            }
            Duration idleFor = Duration.between(a.idleSince().get(), ctx.state.now());
            out.add(new FleetDecision.Retirement(a.id(), a.instanceType().get(), "idle for " + dev.sluice.core.time.DurationText.format(idleFor)
                    + ", at least the group's idle_duration of " + dev.sluice.core.time.DurationText.format(idle)));
        }
        return out;
    }
}
