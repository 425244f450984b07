package dev.sluice.local.bench;

import dev.sluice.core.request.RequestFields;

import dev.sluice.core.agent.Agent;
import dev.sluice.core.agent.AgentStatus;
import dev.sluice.core.group.ResourceGroup;
import dev.sluice.core.scheduler.BaselinePlanner;
import dev.sluice.core.scheduler.Planner;
import dev.sluice.core.scheduler.ResourcePolicy;
import dev.sluice.core.scheduler.SchedulingPlan;
import dev.sluice.core.scheduler.SchedulingSnapshot;
import dev.sluice.core.scheduler.Usage;
import dev.sluice.core.session.Session;
import dev.sluice.core.session.SessionSpec;
import dev.sluice.core.slots.ResourceSlots;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The pure planner at two sizes (10,000 pending sessions over 1,000 agents, and 100,000 over 5,000; goal: median under
 * 250 ms and a peak heap under 512 MB), in rounds that alternate with a baseline measured in the same run: the fastest
 * simple planner over the same snapshot ({@link BaselinePlanner}: the same predicates, first fit over primitive
 * arrays). The peak heap of one plan is measured from the JVM's heap pools, not taken from the -Xmx flag.
 */
public final class PlannerBenchmark {
    /** pending sessions, agents, warm-up rounds, measured rounds. */
    private static final int[][] SCALES = {{10_000, 1_000, 5, 15}, {100_000, 5_000, 3, 9}};

    private PlannerBenchmark() {
    }

    static SchedulingSnapshot workload(long seed, int sessions, int agentCount) {
        Random random = new Random(seed);
        Instant now = Instant.parse("2026-11-24T12:00:00Z");
        List<Agent> agents = new ArrayList<>();
        for (int i = 0; i < agentCount; i++) {
            ResourceSlots capacity = ResourceSlots.parse(RequestFields.of(Map.of("cuda.device", 8, "cpu", 64, "mem", "512g")).at("a"));
            ResourceSlots used = ResourceSlots.parse(RequestFields.of(Map.of("cuda.device", random.nextInt(5), "cpu", random.nextInt(16), "mem", "32g")).at("a"));
            agents.add(new Agent(String.format("i-%05d", i), "g", AgentStatus.ALIVE, true, capacity, used, "x86_64", "1", Map.of(), now, now));
        }
        List<Session> pending = new ArrayList<>();
        for (int i = 0; i < sessions; i++) {
            Map<String, Object> body = new HashMap<>();
            body.put("image", "python:3.12");
            body.put("resource_slots", Map.of("cuda.device", 1 + random.nextInt(4), "cpu", 1 + random.nextInt(8), "mem", (1 + random.nextInt(64)) + "g"));
            if (i % 50 == 0) {
                body.put("cluster_mode", "multi-node");
                body.put("cluster_size", 2);
            }
            Instant created = now.minusSeconds(sessions - i);
            pending.add(Session.enqueue(String.format("s-%06d", i), "owner-" + (i % 25), SessionSpec.parse(RequestFields.of(body), created), "g", created));
        }
        ResourceGroup group = ResourceGroup.fromDefinition("g", RequestFields.of(Map.of()), now, now);
        return new SchedulingSnapshot(group, pending, agents, Map.of(), Usage.NONE, Usage.NONE, Map.of(),
                ResourcePolicy.UNLIMITED, ResourcePolicy.UNLIMITED, Map.of(), Optional.empty(), now);
    }

    /** Heap of one plan: live before (the snapshot), the pools' peak during it, live after (with the plan), allocated. */
    public record Heap(long before, long peak, long after, long allocated) {
    }

    /** One size: every round of both, the heap of one plan of each, and what the plans decided. */
    public record Scale(int sessions, int agents, int warmup, List<Long> planner, List<Long> baseline, Heap plannerHeap, Heap baselineHeap,
                        int placed, int deferred, int baselinePlaced) {
        String markdown() {
            Stats p = Stats.of(planner);
            Stats b = Stats.of(baseline);
            String title = String.format("%,d pending sessions over %,d agents", sessions, agents);
            return String.join("\n",
                    "| planning " + title + ", " + planner.size() + " alternating rounds after " + warmup + " | p50 | p90 | max | peak heap of one plan | allocated by one plan |",
                    "|---|---|---|---|---|---|",
                    String.format("| **Sluice planner** (predicates, dispersed selection, gang, explanations) — goal %s "
                            + "| %s | %s | %s | %s | %s |", sessions >= 100_000 ? "p50 < 250 ms, peak heap < 512 MB" : "(issue #4) p50 < 50 ms", Stats.ms(p.p50()), Stats.ms(p.p90()), Stats.ms(p.max()), mb(plannerHeap.peak), mb(plannerHeap.allocated)),
                    String.format("| baseline: the fastest simple planner over the same snapshot (same predicates, first fit over primitive arrays, "
                            + "no strategy, no explanations) | %s | %s | %s | %s | %s |", Stats.ms(b.p50()), Stats.ms(b.p90()), Stats.ms(b.max()),
                            mb(baselineHeap.peak), mb(baselineHeap.allocated)),
                    "",
                    String.format("Every round (ms), planner: %s; baseline: %s. The planner placed %,d and left %,d pending, each with a reason "
                                    + "(the baseline placed %,d by first fit). Heap: %s live before the plan (the snapshot and the JVM), %s live "
                                    + "after it with the plan kept (the plan itself: %s); the peak is the sum of the heap pools' peak usage "
                                    + "during one plan, reset after a full GC, garbage included.",
                            rounds(planner), rounds(baseline), placed, deferred, baselinePlaced, mb(plannerHeap.before), mb(plannerHeap.after),
                            mb(plannerHeap.after - plannerHeap.before)));
        }
    }

    public record Report(List<Scale> scales, String flags) {
        public String markdown() {
            List<String> parts = new ArrayList<>();
            for (Scale s : scales) {
                parts.add(s.markdown());
                parts.add("");
            }
            parts.add("One JVM, flags `" + flags + "`; the two sizes run one after the other, each with its own snapshot (seeded, the same for both "
                    + "planners). Agents: 8 GPUs, 64 CPUs, 512 GiB, 0-4 GPUs already used; sessions ask 1-4 GPUs, 1-8 CPUs, 1-64 GiB, every "
                    + "50th a multi-node pair. The baseline's numbers are a floor for planning over that snapshot, not an alternative with "
                    + "the same features.");
            return String.join("\n", parts);
        }
    }

    static Scale measure(int sessions, int agents, int warmup, int runs) {
        SchedulingSnapshot snap = workload(42, sessions, agents);
        List<Long> plannerTimes = new ArrayList<>();
        List<Long> baselineTimes = new ArrayList<>();
        for (int i = 0; i < warmup + runs; i++) {
            // Alternate which side goes first, so neither always runs right after the other's garbage.
            long planner;
            long baseline;
            if (i % 2 == 0) {
                planner = time(() -> Planner.plan(snap));
                baseline = time(() -> BaselinePlanner.plan(snap));
            } else {
                baseline = time(() -> BaselinePlanner.plan(snap));
                planner = time(() -> Planner.plan(snap));
            }
            if (i >= warmup) {
                plannerTimes.add(planner);
                baselineTimes.add(baseline);
            }
        }
        SchedulingPlan[] plan = new SchedulingPlan[1];
        BaselinePlanner.Result[] first = new BaselinePlanner.Result[1];
        Heap plannerHeap = heap(() -> plan[0] = Planner.plan(snap));
        Heap baselineHeap = heap(() -> first[0] = BaselinePlanner.plan(snap));
        return new Scale(sessions, agents, warmup, plannerTimes, baselineTimes, plannerHeap, baselineHeap, plan[0].placements().size(),
                plan[0].deferrals().size(), first[0].placed());
    }

    private static long time(Supplier<?> plan) {
        long t = System.nanoTime();
        Object result = plan.get();
        long spent = System.nanoTime() - t;
        java.lang.ref.Reference.reachabilityFence(result);
        return spent;
    }

    private static Heap heap(Supplier<?> plan) {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        List<MemoryPoolMXBean> pools = ManagementFactory.getMemoryPoolMXBeans().stream().filter(p -> p.getType() == MemoryType.HEAP).toList();
        System.gc();
        long before = used(pools);
        pools.forEach(MemoryPoolMXBean::resetPeakUsage);
        long allocated = threads.getCurrentThreadAllocatedBytes();
        Object result = plan.get();
        allocated = threads.getCurrentThreadAllocatedBytes() - allocated;
        long peak = pools.stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum();
        System.gc();
        long after = used(pools);
        java.lang.ref.Reference.reachabilityFence(result);
        return new Heap(before, peak, after, allocated);
    }

    private static long used(List<MemoryPoolMXBean> pools) {
        return pools.stream().mapToLong(p -> p.getUsage().getUsed()).sum();
    }

    private static String rounds(List<Long> nanos) {
        return nanos.stream().map(n -> String.format("%.0f", n / 1e6)).collect(Collectors.joining(", "));
    }

    private static String mb(long bytes) {
        return String.format("%.1f MB", bytes / 1e6);
    }

    public static Report run() {
        List<Scale> scales = new ArrayList<>();
        for (int[] s : SCALES) {
            scales.add(measure(s[0], s[1], s[2], s[3]));
        }
        String flags = String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments()) + " (GC: "
                + ManagementFactory.getGarbageCollectorMXBeans().stream().map(g -> g.getName()).collect(Collectors.joining(", ")) + ")";
        return new Report(scales, flags);
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args.length > 0 ? args[0] : ".").toAbsolutePath().normalize();
        Report report = run();
        String section = String.join("\n",
                "### Scheduler planner (issue #4)",
                "",
                Benchmarks.measured(),
                "",
                report.markdown(),
                "");
        System.out.println(section);
        if (args.length < 2 || !args[1].equals("--no-write")) {
            Benchmarks.replaceSection(root.resolve("docs/benchmarks.md"), "planner", section);
        }
    }
}
