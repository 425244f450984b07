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
        /**
         * Each demand bought on-demand only: it asks for it (its retry rules' {@code on_demand_after}) and a type bought
         * on-demand fits it (as {@link RightSizing} decides which spot agents refuse it).
         */
        final boolean[] onDemand;
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
            this.onDemand = new boolean[demand.size()];
            List<ResourceSlots> onDemandShapes = RightSizing.onDemandShapes(state.catalog());
            for (int i = 0; i < demand.size(); i++) {
                need[i] = demand.get(i).perKernel().microUnits();
                long[] n = need[i];
                onDemand[i] = demand.get(i).onDemandOnly() && onDemandShapes.stream().anyMatch(s -> ResourceSlots.microFits(n, s.microUnits()));
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
                    h.hold = a.busy() || hold == null || hold.cheaper().isEmpty() ? null : hold;
                    h.spotHold = hold != null && hold.spot() ? hold : null;
                    h.typePrice = a.instanceType().flatMap(n -> state.catalog().type(n)).map(InstanceType::preferredMicroUsd)
                            .orElse(Long.MAX_VALUE);
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
        /** The pass's right-sizing {@link PlacementHold} on an empty agent; lifted once a demand is given room on it. */
        PlacementHold hold;
        /** The pass's hold on a spot agent: no room for the on-demand-only demands it refuses. */
        PlacementHold spotHold;
        /** A spot instance on the way or opened here: no room for a demand bought on-demand only. */
        boolean spot;
        /** A new instance opened for a demand that asks for on-demand only: it is bought on-demand. */
        boolean onDemand;
        /** An agent's type's preferred price (what a hold on it compares with). */
        long typePrice = Long.MAX_VALUE;
        /** A new instance opened for a held demand: its fallbacks are types cheaper than this only. */
        long typeCap = Long.MAX_VALUE;

        /** Whether this host refuses demand {@code i} of {@code ctx} ({@code ignoreHolds}: right-sizing set aside). */
        boolean refuses(Context ctx, int i, boolean ignoreHolds) {
            Demand d = ctx.demand.get(i);
            if (!ignoreHolds && hold != null && hold.refusesWhileEmpty(d.sessionId(), ctx.need[i])) {
                return true;
            }
            return ctx.onDemand[i] && (spotHold != null ? spotHold.refusesOnDemandOnly(d.sessionId(), ctx.need[i]) : spot);
        }

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
                copy.spotHold = h.spotHold;
                copy.spot = h.spot;
                copy.typePrice = h.typePrice;
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
                        t.priceOf(option), List.copyOf(new java.util.LinkedHashSet<>(h.sessions)), h.typeCap));
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
            // Tentatively: room on hosts there are (distinct ones for a gang), then new instances for the rest. A demand
            // a right-sizing hold refused is given only types cheaper than the holding agent's (what the hold promised
            // it); only if none of those may be launched does it take the held agent after all (the next pass, with
            // that type at its max, holds it no longer and places it there).
            long cap = holdCap(p.hosts, ctx, i);
            List<Host> chosen = null;
            List<Integer> newTypes = null;
            int missing = 0;
            long typeCap = Long.MAX_VALUE;
            for (int attempt = 0; attempt < 2 && newTypes == null; attempt++) {
                boolean ignoreHolds = attempt == 1;
                if (ignoreHolds && cap == Long.MAX_VALUE) {
                    break;
                }
                typeCap = ignoreHolds ? Long.MAX_VALUE : cap;
                chosen = new ArrayList<>();
                for (int k = 0; k < d.kernels(); k++) {
                    Host h = firstFit(p.hosts, ctx, i, chosen, ignoreHolds);
                    if (h == null) {
                        break;
                    }
                    chosen.add(h);
                }
                missing = d.kernels() - chosen.size();
                int[] extra = new int[ctx.types.size()];
                List<Integer> types = new ArrayList<>();
                boolean ok = missing <= groupRoom - p.fresh.size();
                for (int k = 0; ok && k < missing; k++) {
                    int t = strategy == Strategy.GREEDY || ctx.onDemand[i] ? cheapestWithRoom(ctx, p, extra, i, typeCap)
                            : lookAhead(ctx, p, extra, order, pos, typeCap);
                    if (t < 0) {
                        ok = false;
                    } else {
                        extra[t]++;
                        types.add(t);
                    }
                }
                if (ok) {
                    newTypes = types;
                }
            }
            if (newTypes == null) {
                p.unserved.add(new FleetDecision.Unserved(d.sessionId(), FleetDecision.AT_MAX, "it needs " + missing
                        + (missing == 1 ? " more instance" : " more instances, all at once,") + " than the fleet may launch now (max_instances "
                        + ctx.state.catalog().maxInstances() + " for the group, or the max of the types it fits)"));
                continue;
            }
            for (int t : newTypes) {
                Host h = new Host("launch-" + (p.fresh.size() + 1), t, zoneFor(ctx, p, t), ctx.typeSlots[t].clone(), false);
                // Bought on-demand for a session that asks for it; then no other session's kernel makes it spot.
                h.onDemand = ctx.onDemand[i];
                h.spot = !h.onDemand && ctx.types.get(t).preferredOption() == PurchaseOption.SPOT;
                h.typeCap = typeCap;
                p.newByType[t]++;
                p.newByTypeZone.merge(ctx.types.get(t).name() + "/" + h.subnet.zone(), 1, Integer::sum);
                p.fresh.add(h);
                p.hosts.add(h);
                p.cost += h.onDemand ? ctx.types.get(t).priceOf(PurchaseOption.ON_DEMAND) : ctx.typePrice[t];
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

    private static Host firstFit(List<Host> hosts, Context ctx, int i, List<Host> exclude, boolean ignoreHolds) {
        for (Host h : hosts) {
            if (ResourceSlots.microFits(ctx.need[i], h.free) && !exclude.contains(h) && !h.refuses(ctx, i, ignoreHolds)) {
                return h;
            }
        }
        return null;
    }

    /**
     * The lowest price of the agents whose right-sizing hold refuses demand {@code i} although it fits their room:
     * what the hold promised it, a type cheaper than that; {@link Long#MAX_VALUE} when no hold refused it.
     */
    private static long holdCap(List<Host> hosts, Context ctx, int i) {
        long cap = Long.MAX_VALUE;
        for (Host h : hosts) {
            if (h.hold != null && ResourceSlots.microFits(ctx.need[i], h.free) && h.hold.refusesWhileEmpty(ctx.demand.get(i).sessionId(), ctx.need[i])) {
                cap = Math.min(cap, h.typePrice);
            }
        }
        return cap;
    }

    private static boolean hasRoom(Context ctx, Packing p, int[] extra, int t) {
        InstanceType type = ctx.types.get(t);
        return ctx.runningByType.getOrDefault(type.name(), 0) + p.newByType[t] + extra[t] < type.maxInstances()
                && !ctx.state.catalog().subnetsOf(type).isEmpty();
    }

    /**
     * The cheapest type one kernel of demand {@code i} fits that may still be launched and is cheaper (preferred price)
     * than {@code cap}, or -1; for a demand bought on-demand only, among the types bought on-demand, at their
     * on-demand prices.
     */
    private static int cheapestWithRoom(Context ctx, Packing p, int[] extra, int i, long cap) {
        boolean onDemand = ctx.onDemand[i];
        int best = -1;
        long bestPrice = 0;
        for (int t = 0; t < ctx.types.size(); t++) {
            InstanceType type = ctx.types.get(t);
            if (onDemand && !type.purchaseOptions().contains(PurchaseOption.ON_DEMAND) || ctx.typePrice[t] >= cap) {
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
    private static int lookAhead(Context ctx, Packing p, int[] extra, List<Integer> order, int pos, long cap) {
        int first = order.get(pos);
        int best = -1;
        double bestValue = 0;
        long[] free = new long[ResourceSlots.MICRO_SIZE];
        for (int t = 0; t < ctx.types.size(); t++) {
            if (!ResourceSlots.microFits(ctx.need[first], ctx.typeSlots[t]) || !hasRoom(ctx, p, extra, t) || ctx.typePrice[t] >= cap) {
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
