package dev.sluice.local.bench;

import dev.sluice.core.agent.Agent;
import dev.sluice.core.agent.AgentStatus;
import dev.sluice.core.group.ResourceGroup;
import dev.sluice.core.scheduler.Planner;
import dev.sluice.core.scheduler.ResourcePolicy;
import dev.sluice.core.scheduler.SchedulingPlan;
import dev.sluice.core.scheduler.SchedulingSnapshot;
import dev.sluice.core.scheduler.Usage;
import dev.sluice.core.session.Session;
import dev.sluice.core.session.SessionSpec;
import dev.sluice.core.slots.ResourceSlots;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/**
 * The pure planner on 10,000 pending sessions over 1,000 agents (goal: median under 50 ms, in under 200 MB of heap:
 * run with -Xmx200m), next to a baseline measured in the same run: the plainest first-fit loop over the same snapshot
 * (no predicates, no strategy, no explanations).
 */
public final class PlannerBenchmark {
    private static final int AGENTS = 1_000;
    private static final int SESSIONS = 10_000;
    private static final int WARMUP = 5;
    private static final int RUNS = 15;

    private PlannerBenchmark() {
    }

    static SchedulingSnapshot workload(long seed) {
        Random random = new Random(seed);
        Instant now = Instant.parse("2026-11-24T12:00:00Z");
        List<Agent> agents = new ArrayList<>();
        for (int i = 0; i < AGENTS; i++) {
            ResourceSlots capacity = ResourceSlots.parse("a", Map.of("cuda.device", 8, "cpu", 64, "mem", "512g"));
            ResourceSlots used = ResourceSlots.parse("a", Map.of("cuda.device", random.nextInt(5), "cpu", random.nextInt(16), "mem", "32g"));
            agents.add(new Agent(String.format("i-%05d", i), "g", AgentStatus.ALIVE, true, capacity, used, "x86_64", "1", Map.of(), now, now));
        }
        List<Session> pending = new ArrayList<>();
        for (int i = 0; i < SESSIONS; i++) {
            Map<String, Object> body = new HashMap<>();
            body.put("image", "python:3.12");
            body.put("resource_slots", Map.of("cuda.device", 1 + random.nextInt(4), "cpu", 1 + random.nextInt(8), "mem", (1 + random.nextInt(64)) + "g"));
            if (i % 50 == 0) {
                body.put("cluster_mode", "multi-node");
                body.put("cluster_size", 2);
            }
            Instant created = now.minusSeconds(SESSIONS - i);
            pending.add(Session.enqueue(String.format("s-%05d", i), "owner-" + (i % 25), SessionSpec.parse(body, created), "g", created));
        }
        ResourceGroup group = ResourceGroup.fromDefinition("g", Map.of(), now, now);
        return new SchedulingSnapshot(group, pending, agents, Map.of(), Usage.NONE, Usage.NONE, Map.of(),
                ResourcePolicy.UNLIMITED, ResourcePolicy.UNLIMITED, Map.of(), Optional.empty(), now);
    }

    /** The baseline: first fit, in queue order, with the domain's own slot arithmetic. */
    static int firstFit(SchedulingSnapshot snap) {
        Map<String, ResourceSlots> free = new HashMap<>();
        snap.agents().forEach(a -> free.put(a.id(), a.freeSlots()));
        int placed = 0;
        for (Session s : snap.pending()) {
            ResourceSlots request = s.spec().requestedSlots();
            for (Agent a : snap.agents()) {
                ResourceSlots f = free.get(a.id());
                if (request.fitsIn(f)) {
                    free.put(a.id(), f.subtract(request));
                    placed++;
                    break;
                }
            }
        }
        return placed;
    }

    public record Report(Stats planner, Stats baseline, long allocatedBytesPerPlan, long maxHeapBytes, int placed, int deferred) {
        public String markdown() {
            return String.join("\n",
                    "| planning 10,000 pending sessions over 1,000 agents, " + RUNS + " runs after " + WARMUP + " | p50 | p90 | p99 | max |",
                    "|---|---|---|---|---|",
                    planner.row("**Sluice planner** (predicates, dispersed selection, gang, explanations) — goal p50 < 50 ms"),
                    baseline.row("baseline: plain first-fit loop over the same snapshot, same run"),
                    "",
                    String.format("Per plan: %d placed, %d left pending with a reason; %.1f MB allocated; run in a JVM with a %d MB heap cap "
                            + "(-Xmx200m; goal: under 200 MB).", placed, deferred, allocatedBytesPerPlan / 1e6, maxHeapBytes >> 20));
        }
    }

    public static Report run() {
        SchedulingSnapshot snap = workload(42);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        List<Long> plannerTimes = new ArrayList<>();
        List<Long> baselineTimes = new ArrayList<>();
        SchedulingPlan last = null;
        long allocated = 0;
        for (int i = 0; i < WARMUP + RUNS; i++) {
            long before = threads.getCurrentThreadAllocatedBytes();
            long t = System.nanoTime();
            last = Planner.plan(snap);
            long planner = System.nanoTime() - t;
            allocated = threads.getCurrentThreadAllocatedBytes() - before;
            t = System.nanoTime();
            firstFit(snap);
            long baseline = System.nanoTime() - t;
            if (i >= WARMUP) {
                plannerTimes.add(planner);
                baselineTimes.add(baseline);
            }
        }
        return new Report(Stats.of(plannerTimes), Stats.of(baselineTimes), allocated, Runtime.getRuntime().maxMemory(),
                last.placements().size(), last.deferrals().size());
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args.length > 0 ? args[0] : ".").toAbsolutePath().normalize();
        Report report = run();
        String section = String.join("\n",
                "### Scheduler planner (issue #4)",
                "",
                "Measured " + java.time.LocalDate.now(java.time.ZoneOffset.UTC) + " on " + Benchmarks.machine() + ".",
                "",
                report.markdown(),
                "");
        System.out.println(section);
        Benchmarks.replaceSection(root.resolve("docs/benchmarks.md"), "planner", section);
    }
}
