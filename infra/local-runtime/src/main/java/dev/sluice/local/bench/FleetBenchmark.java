package dev.sluice.local.bench;

import dev.sluice.core.fleet.FleetCatalog;
import dev.sluice.core.fleet.PurchaseOption;
import dev.sluice.core.group.ResourceGroup;
import dev.sluice.core.request.RequestFields;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Issue 17's "a day of sessions, replayed": the committed trace ({@link FleetDayTrace}) through the real planners on a
 * simulated clock ({@link FleetReplay}), an elastic fleet against a static one sized for the peak, in alternating
 * rounds of the same run; writes the {@code fleet} section of docs/benchmarks.md. Pure Java, no emulator:
 * {@code ./infra/local/sluice-local bench fleet}.
 */
public final class FleetBenchmark {
    static final int ROUNDS = 3;
    static final Duration DAY = Duration.ofDays(1);
    static final String PRICE_SOURCE = "on-demand: AWS EC2 On-Demand list prices, Linux, us-east-1 (aws.amazon.com/ec2/pricing/on-demand, "
            + "as known 2024-2025, not re-read); spot: planning assumptions ~60-75% below on-demand, not quotes";
    /** Boot (launch request to the agent's first heartbeat) per type, simulated. */
    static final Map<String, Duration> BOOT = Map.of("g5.xlarge", Duration.ofSeconds(90), "g5.12xlarge", Duration.ofSeconds(120),
            "p4d.24xlarge", Duration.ofSeconds(180));
    /** The catalog's types by GPUs: name, vCPUs, memory, spot and on-demand dollars an hour. */
    static final List<Object[]> TYPES = List.of(
            new Object[] {"g5.xlarge", 1, 4, "16g", "0.40", "1.006"},
            new Object[] {"g5.12xlarge", 4, 48, "192g", "1.40", "5.672"},
            new Object[] {"p4d.24xlarge", 8, 96, "1152g", "12.00", "32.7726"});

    private FleetBenchmark() {
    }

    static ResourceGroup group() {
        return group("concentrated");
    }

    static ResourceGroup group(String selection) {
        return ResourceGroup.fromDefinition("fleet-day", RequestFields.of(Map.of("scheduler", "fifo",
                "scheduler_options", Map.of("agent_selection_strategy", selection))), FleetReplay.START, FleetReplay.START);
    }

    /** The benchmark's catalog: the three types, spot and on-demand (or on-demand only), idle_duration 10m, at most 100. */
    static FleetCatalog catalog(boolean spot, String idle) {
        return catalog(spot, idle, TYPES);
    }

    static FleetCatalog catalog(boolean spot, String idle, List<Object[]> of) {
        List<Map<String, Object>> types = new ArrayList<>();
        for (Object[] t : of) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", t[0]);
            m.put("accelerator", t[0].equals("p4d.24xlarge") ? "NVIDIA A100 40 GB" : "NVIDIA A10G 24 GiB");
            m.put("slots", Map.of("cuda.device", t[1], "cpu", t[2], "mem", t[3]));
            m.put("purchase_options", spot ? List.of("spot", "on-demand") : List.of("on-demand"));
            if (spot) {
                m.put("spot_price", t[4]);
            }
            m.put("on_demand_price", t[5]);
            types.add(m);
        }
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("subnets", List.of(Map.of("zone", "us-east-1a", "subnet_id", "subnet-0123456789abcdef0"),
                Map.of("zone", "us-east-1b", "subnet_id", "subnet-0fedcba9876543210")));
        d.put("min_instances", 0);
        d.put("max_instances", 100);
        d.put("idle_duration", idle);
        d.put("price_source", PRICE_SOURCE);
        d.put("instance_types", types);
        return FleetCatalog.parse(RequestFields.of(d));
    }

    /** The type a kernel of {@code gpus} GPUs is given in the static fleet: the smallest of the catalog that holds it. */
    static String typeFor(int gpus) {
        for (Object[] t : TYPES) {
            if ((int) t[1] >= gpus) {
                return (String) t[0];
            }
        }
        throw new IllegalArgumentException("no type of the catalog has " + gpus + " GPUs");
    }

    /**
     * The static fleet sized for the peak: for each type, the most kernels of its size class (1, 4 or 8 GPUs) that run at
     * once if every session starts the moment it arrives (no wait), each class counted at its own peak. Their sum holds
     * the trace's joint peak with room to spare: the classes peak at different times.
     */
    static Map<String, Integer> staticFleetForPeak(List<FleetDayTrace.Entry> trace) {
        Map<String, TreeMap<Long, Integer>> deltas = new LinkedHashMap<>();
        for (Object[] t : TYPES) {
            deltas.put((String) t[0], new TreeMap<>());
        }
        for (FleetDayTrace.Entry e : trace) {
            TreeMap<Long, Integer> d = deltas.get(typeFor(e.gpus()));
            d.merge((long) e.arrivalSeconds(), e.kernels(), Integer::sum);
            d.merge((long) e.arrivalSeconds() + e.durationSeconds(), -e.kernels(), Integer::sum);
        }
        Map<String, Integer> fleet = new LinkedHashMap<>();
        deltas.forEach((type, d) -> {
            int now = 0;
            int peak = 0;
            for (int delta : d.values()) {
                now += delta;
                peak = Math.max(peak, now);
            }
            if (peak > 0) {
                fleet.put(type, peak);
            }
        });
        return fleet;
    }

    /** Every round's results of each configuration, in the order run. */
    public record Report(List<FleetDayTrace.Entry> trace, Map<String, Integer> staticFleet, Map<String, List<FleetReplay.Result>> rounds,
                         List<String> order, List<FleetReplay.Result> variants) {

        FleetReplay.Result first(String name) {
            return rounds.get(name).get(0);
        }

        long medianWall(String name) {
            List<Long> w = rounds.get(name).stream().map(FleetReplay.Result::wallNanos).sorted().toList();
            return w.get(w.size() / 2);
        }

        /** Whether every round of a configuration gave the same numbers (the replay is deterministic). */
        boolean identical(String name) {
            FleetReplay.Result a = first(name);
            return rounds.get(name).stream().allMatch(r -> r.gpuHoursPaid() == a.gpuHoursPaid() && r.dollars() == a.dollars()
                    && r.waits(Optional.empty()).equals(a.waits(Optional.empty())) && r.launches() == a.launches());
        }

        public String markdown() {
            FleetReplay.Result elastic = first(ELASTIC);
            FleetReplay.Result onDemand = first(ELASTIC_ON_DEMAND);
            FleetReplay.Result fixed = first(STATIC);
            List<String> out = new ArrayList<>();
            out.add("| same trace, same run (" + ROUNDS + " alternating rounds each) | GPU-h paid | GPU-h used | paid / used (goal ≤ 1.15 elastic) "
                    + "| cost (goal elastic ≤ 50% of static) | wait p50 | wait p95 | interactive wait p95 | lost (goal 0) | launches / retired "
                    + "| most instances at once | replay wall time (median) |");
            out.add("|---|---|---|---|---|---|---|---|---|---|---|---|");
            out.add(row("**elastic**, spot where the type allows it", elastic, fixed));
            out.add(row("elastic, on-demand only (the same catalog without spot)", onDemand, fixed));
            out.add(row("static, sized for the peak, on-demand", fixed, fixed));
            out.add("");
            double ratio = elastic.paidOverUsed();
            double share = elastic.dollars() / fixed.dollars();
            out.add(String.format("Goals: paid / used %.3f (goal ≤ 1.15: %s); cost %.1f%% of the static fleet's (goal ≤ 50%%: %s; on-demand only "
                            + "%.1f%%); sessions lost %d (goal 0: %s; still pending at midnight: %d).",
                    ratio, ratio <= 1.15 ? "met" : String.format("missed by %.3f", ratio - 1.15), 100 * share, share <= 0.5 ? "met" : "missed",
                    100 * onDemand.dollars() / fixed.dollars(), elastic.lost(), elastic.lost() == 0 ? "met" : "missed",
                    elastic.sessions().stream().filter(o -> o.lost() || o.placedAt() >= DAY.toSeconds()).count()));
            out.add("");
            out.add(overhead(elastic));
            out.add("");
            out.add(byType(elastic));
            out.add("");
            boolean sameLaunches = elastic.instances().stream().map(i -> i.type() + "@" + i.requestedAt()).toList()
                    .equals(onDemand.instances().stream().map(i -> i.type() + "@" + i.requestedAt()).toList());
            out.add("Spot or not, " + (sameLaunches ? "the elastic fleet launched the same instances (types and times)" : "the elastic fleets launched "
                    + "different instances") + ": a pass follows every arrival, so the demand is almost always one session, and the cheapest "
                    + "type for one session is the same at both price lists; spot changes the bill, not the shape.");
            out.add("");
            out.add("Variants of the elastic run (one replay each, outside the rounds): " + variants.stream()
                    .map(v -> String.format("%s: paid / used %.3f, $%,.2f, wait p50 %s, p95 %s, %d lost, %d launches", v.name(), v.paidOverUsed(),
                            v.dollars(), minutes(v.waitPercentile(0.5, Optional.empty())), minutes(v.waitPercentile(0.95, Optional.empty())), v.lost(),
                            v.launches()))
                    .collect(Collectors.joining("; ")) + ".");
            out.add("");
            out.add("GPUs by hour of the day (00-23 UTC; mean over the hour), elastic paid / used: " + hourly(elastic) + ".");
            out.add("");
            out.add(traceText());
            out.add("");
            out.add("Static fleet: " + staticFleet.entrySet().stream().map(e -> e.getValue() + " × " + e.getKey()).collect(Collectors.joining(", "))
                    + " (" + staticFleet.entrySet().stream().mapToInt(e -> e.getValue() * gpusOf(e.getKey())).sum() + " GPUs): for each type, the most "
                    + "kernels of its size (1, 4 or 8 GPUs) that would run at once if every session started the moment it arrived, each size "
                    + "at its own peak (so the sum has room to spare: the sizes peak at different hours). It is paid for the whole day at "
                    + "on-demand prices (a fixed group is not bought as spot), and for as long after midnight as its last session runs; "
                    + String.format("at the spot prices it would cost $%,.2f.", staticAtSpot(fixed)));
            out.add("");
            out.add("How it runs: `FleetReplay` is a discrete-event replay on a simulated clock (no sleeping). Every arrival, session end and "
                    + "instance join, and every minute tick, runs one pass: a `SchedulingSnapshot` of the group's queue and agents as "
                    + "`SchedulingPass` builds one, planned by the real `Planner` (group `fleet-day`: FIFO, agent_selection_strategy "
                    + "`concentrated`, no policies); its placements are applied; then (elastic) `Demand.from(plan)`, `FleetAgent.of(...)` "
                    + "for each agent with its instance type and idle-since, and the booting instances as `Launching` go to the real "
                    + "`FleetPlanner`, whose launches join as agents after a boot of " + boots() + " and whose retirements end at once. "
                    + "Catalog: " + catalogText() + "; idle_duration 10m, min 0, max 100 instances. Billing: an instance is paid from its "
                    + "launch request to its termination, per second with a 60 s minimum. GPU-hours used: each session's GPUs × its trace "
                    + "duration. Wait: arrival to placement (nearest-rank percentiles over the placed sessions); a session runs from its placement (the agent's image pull and start are not simulated). No spot interruption is "
                    + "simulated (spot capacity is assumed always there), nor any launch failure. A session not placed when the replay "
                    + "stops (all arrivals in, nothing running or pending, every elastic instance gone; at the latest 48 h) is lost.");
            out.add("");
            List<String> rows = new ArrayList<>();
            for (String name : order) {
                rows.add(name + ": " + rounds.get(name).stream().map(r -> String.format("%.0f ms (%,d passes)", r.wallNanos() / 1e6, r.passes()))
                        .collect(Collectors.joining(", ")) + (identical(name) ? ", every round the same numbers" : ", ROUNDS DIFFER"));
            }
            out.add("Every round's replay wall time: " + String.join("; ", rows) + ".");
            return String.join("\n", out);
        }

        private String row(String label, FleetReplay.Result r, FleetReplay.Result fixed) {
            return String.format("| %s | %.1f | %.1f | %.2f | $%,.2f (%.0f%%) | %s | %s | %s | %d | %d / %d | %d | %s |", label, r.gpuHoursPaid(),
                    r.gpuHoursUsed(), r.paidOverUsed(), r.dollars(), 100 * r.dollars() / fixed.dollars(), minutes(r.waitPercentile(0.5, Optional.empty())),
                    minutes(r.waitPercentile(0.95, Optional.empty())), minutes(r.waitPercentile(0.95, Optional.of("interactive"))), r.lost(),
                    r.launches(), r.retirements(), r.peakInstances(), Stats.ms(medianWall(r.name())));
        }

        private String traceText() {
            long interactive = trace.stream().filter(e -> e.kind().equals("interactive")).count();
            long gangs = trace.stream().filter(e -> e.kernels() > 1).count();
            Map<Integer, Long> bySize = trace.stream().filter(e -> e.kernels() == 1)
                    .collect(Collectors.groupingBy(FleetDayTrace.Entry::gpus, TreeMap::new, Collectors.counting()));
            return String.format("Trace: `%s` (%d sessions, seed %d, made by `FleetDayTrace`): %d interactive and %d batch, of them %s, "
                            + "and %d multi-node gangs (2 × 8 GPUs for 3 h at ~10:30, 4 × 4 GPUs for 2 h at ~15:00). Arrivals follow the day: "
                            + "interactive 0.3 + 12·d(h) an hour, batch 1 + 8·d(h), d(h) = ((1 − cos(2π(h − 2)/24))/2)², 0 at 02:00 and 1 at "
                            + "14:00, plus a nightly pipeline of 12 single-GPU batch jobs at 01:00. Interactive sessions last log-normally (median 90 min, "
                            + "15 min - 8 h), batch jobs by size (median 25, 45, 90 min for 1, 4, 8 GPUs; 3 min - 6 h). Each GPU asks 4 CPUs and "
                            + "16 GiB with it.", FleetDayTrace.COMMITTED, trace.size(), FleetDayTrace.SEED, interactive, trace.size() - interactive,
                    bySize.entrySet().stream().map(e -> e.getValue() + " of " + e.getKey() + " GPU" + (e.getKey() > 1 ? "s" : ""))
                            .collect(Collectors.joining(", ")), gangs);
        }

        private double staticAtSpot(FleetReplay.Result fixed) {
            double d = 0;
            FleetCatalog c = catalog(true, "10m");
            for (FleetReplay.Instance i : fixed.instances()) {
                d += i.paidSeconds() * (c.type(i.type()).orElseThrow().priceOf(PurchaseOption.SPOT) / 1e6) / 3600.0;
            }
            return d;
        }
    }

    /** Where the elastic fleet's paid GPU-hours beyond the used ones went: booting, idle before retirement, partly used. */
    static String overhead(FleetReplay.Result r) {
        double boot = 0;
        for (FleetReplay.Instance i : r.instances()) {
            boot += (double) (i.joinedAt() - i.requestedAt()) * i.gpus() / 3600;
        }
        double idleTail = 0;
        for (FleetReplay.Instance i : r.instances()) {
            long lastEnd = i.joinedAt();
            for (FleetReplay.Outcome o : r.sessions()) {
                if (o.agents().contains(i.id())) {
                    lastEnd = Math.max(lastEnd, o.placedAt() + o.entry().durationSeconds());
                }
            }
            idleTail += (double) (i.terminatedAt() - lastEnd) * i.gpus() / 3600;
        }
        double extra = r.gpuHoursPaid() - r.gpuHoursUsed();
        double rest = extra - boot - idleTail;
        return String.format("Elastic overhead, %.1f GPU-hours paid beyond those used: %.1f booting (launch request to join), %.1f idle "
                        + "between an instance's last session and its retirement (idle_duration is 10 minutes, retirement happens on a pass), "
                        + "%.1f free GPUs on instances between or beside their sessions (partly used instances; see by type below).", extra, boot, idleTail, rest);
    }

    /**
     * The trace split by size into three elastic groups, each with a catalog of one type (1 GPU: g5.xlarge, 4: g5.12xlarge,
     * 8: p4d.24xlarge), replayed one after the other and added up: what an admin can configure today so that no
     * session lands on a larger type than it needs.
     */
    static FleetReplay.Result groupPerSize(List<FleetDayTrace.Entry> trace) {
        List<FleetReplay.Outcome> sessions = new ArrayList<>();
        List<FleetReplay.Instance> instances = new ArrayList<>();
        int passes = 0;
        int launches = 0;
        int retirements = 0;
        int peak = 0;
        long end = 0;
        long wall = 0;
        for (Object[] type : TYPES) {
            List<FleetDayTrace.Entry> part = trace.stream().filter(e -> typeFor(e.gpus()).equals(type[0])).toList();
            if (part.isEmpty()) {
                continue;
            }
            String prefix = type[0] + "/";
            FleetReplay.Result r = FleetReplay.run(part, FleetReplay.Config.elastic("group per size", group(), catalog(true, "10m",
                    List.<Object[]>of(type)), BOOT, DAY));
            for (FleetReplay.Outcome o : r.sessions()) {
                sessions.add(new FleetReplay.Outcome(o.entry(), o.placedAt(), o.agents().stream().map(a -> prefix + a).toList()));
            }
            for (FleetReplay.Instance i : r.instances()) {
                instances.add(new FleetReplay.Instance(prefix + i.id(), i.type(), i.option(), i.gpus(), i.hourlyMicroUsd(), i.requestedAt(),
                        i.joinedAt(), i.terminatedAt(), i.launchedFor()));
            }
            passes += r.passes();
            launches += r.launches();
            retirements += r.retirements();
            peak += r.peakInstances();
            end = Math.max(end, r.endSeconds());
            wall += r.wallNanos();
        }
        return new FleetReplay.Result("one elastic group per size (1, 4, 8 GPUs), each with one type", true, sessions, instances, end, passes,
                launches, retirements, peak, wall);
    }

    /** Paid and used GPU-hours by type, and how many sessions ran on a type larger than the smallest that holds them. */
    static String byType(FleetReplay.Result r) {
        Map<String, double[]> t = new LinkedHashMap<>();
        Map<String, String> typeOf = new java.util.HashMap<>();
        for (Object[] type : TYPES) {
            t.put((String) type[0], new double[2]);
        }
        for (FleetReplay.Instance i : r.instances()) {
            t.get(i.type())[0] += i.paidSeconds() * i.gpus() / 3600.0;
            typeOf.put(i.id(), i.type());
        }
        int larger = 0;
        int onP4d = 0;
        for (FleetReplay.Outcome o : r.sessions()) {
            for (String agent : o.agents()) {
                String type = typeOf.get(agent);
                t.get(type)[1] += (double) o.entry().gpus() * o.entry().durationSeconds() / 3600;
                if (gpusOf(type) > gpusOf(typeFor(o.entry().gpus()))) {
                    larger++;
                    if (type.equals("p4d.24xlarge")) {
                        onP4d++;
                    }
                }
            }
        }
        return "By type, GPU-hours paid / used: " + t.entrySet().stream().map(e -> String.format("%s %.1f / %.1f", e.getKey(), e.getValue()[0],
                e.getValue()[1])).collect(Collectors.joining(", ")) + String.format(". %d kernels ran on a larger type than the smallest that "
                + "holds them (%d of them on a p4d.24xlarge). With the catalog's `right_sizing` (on by default), an instance that holds "
                + "no session takes none that a cheaper type holds, unless it was launched for it: a small session waits for its own "
                + "instance's boot instead of re-opening a large one whose job has ended, which would keep the whole large instance "
                + "paid for the small session's hours (no fleet decision moves a running session). The variant `right_sizing off` "
                + "below is the other side of that trade: sessions start at once on whatever has room, and more GPU-hours are paid.",
                larger, onP4d);
    }

    static String hourly(FleetReplay.Result r) {
        List<String> cells = new ArrayList<>();
        for (int h = 0; h < 24; h++) {
            long from = h * 3600L;
            long to = from + 3600;
            double paid = 0;
            for (FleetReplay.Instance i : r.instances()) {
                paid += (double) overlap(i.requestedAt(), i.terminatedAt(), from, to) * i.gpus();
            }
            double used = 0;
            for (FleetReplay.Outcome o : r.sessions()) {
                if (!o.lost()) {
                    used += (double) overlap(o.placedAt(), o.placedAt() + o.entry().durationSeconds(), from, to) * o.entry().totalGpus();
                }
            }
            cells.add(String.format("%02d %.0f/%.0f", h, paid / 3600, used / 3600));
        }
        return String.join(", ", cells);
    }

    private static long overlap(long a, long b, long from, long to) {
        return Math.max(0, Math.min(b, to) - Math.max(a, from));
    }

    /** A wait as text: seconds under two minutes, minutes above. */
    static String minutes(long seconds) {
        return seconds < 120 ? seconds + " s" : String.format("%.1f min", seconds / 60.0);
    }

    static int gpusOf(String type) {
        for (Object[] t : TYPES) {
            if (t[0].equals(type)) {
                return (int) t[1];
            }
        }
        throw new IllegalArgumentException(type);
    }

    static String boots() {
        return TYPES.stream().map(t -> BOOT.get((String) t[0]).toSeconds() + " s (" + t[0] + ")").collect(Collectors.joining(", "));
    }

    static String catalogText() {
        return TYPES.stream().map(t -> String.format("%s (%d GPU%s, %d vCPU, %s GiB) $%s/h on-demand, $%s/h spot", t[0], t[1],
                (int) t[1] > 1 ? "s" : "", t[2], ((String) t[3]).replace("g", ""), t[5], t[4])).collect(Collectors.joining("; "));
    }

    static final String ELASTIC = "elastic";
    static final String STATIC = "static";
    static final String ELASTIC_ON_DEMAND = "elastic-on-demand";

    public static Report run(Path root) throws java.io.IOException {
        List<FleetDayTrace.Entry> trace = FleetDayTrace.read(root);
        Map<String, Integer> fleet = staticFleetForPeak(trace);
        ResourceGroup group = group();
        List<FleetReplay.Config> configs = List.of(
                FleetReplay.Config.elastic(ELASTIC, group, catalog(true, "10m"), BOOT, DAY),
                FleetReplay.Config.fixed(STATIC, group, catalog(true, "10m"), fleet, PurchaseOption.ON_DEMAND, DAY),
                FleetReplay.Config.elastic(ELASTIC_ON_DEMAND, group, catalog(false, "10m"), BOOT, DAY));
        Map<String, List<FleetReplay.Result>> rounds = new LinkedHashMap<>();
        for (FleetReplay.Config c : configs) {
            rounds.put(c.name(), new ArrayList<>());
        }
        // Warm-up (JIT) once each, not reported; then the rounds alternate the configurations.
        for (FleetReplay.Config c : configs) {
            FleetReplay.run(trace, c);
        }
        for (int i = 0; i < ROUNDS; i++) {
            for (FleetReplay.Config c : configs) {
                rounds.get(c.name()).add(FleetReplay.run(trace, c));
            }
        }
        List<FleetReplay.Result> variants = new ArrayList<>();
        for (String idle : List.of("2m", "5m", "20m")) {
            variants.add(FleetReplay.run(trace, FleetReplay.Config.elastic("idle_duration " + idle, group, catalog(true, idle), BOOT, DAY)));
        }
        variants.add(FleetReplay.run(trace, FleetReplay.Config.elastic("placement `dispersed` (the group default)", group("dispersed"),
                catalog(true, "10m"), BOOT, DAY)));
        variants.add(FleetReplay.run(trace, FleetReplay.Config.elastic("right_sizing off (any agent takes any session that fits it)",
                group, catalog(true, "10m").withRightSizing(false), BOOT, DAY)));
        variants.add(groupPerSize(trace));
        return new Report(trace, fleet, rounds, configs.stream().map(FleetReplay.Config::name).toList(), variants);
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args.length > 0 ? args[0] : ".").toAbsolutePath().normalize();
        Report report = run(root);
        String section = String.join("\n", "### Elastic fleet: a day of sessions replayed (issue #17)", "", Benchmarks.measured(), "",
                report.markdown(), "");
        System.out.println(section);
        if (args.length < 2 || !args[1].equals("--no-write")) {
            Benchmarks.replaceSection(root.resolve("docs/benchmarks.md"), "fleet", section);
        }
    }
}
