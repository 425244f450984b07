package dev.sluice.local.bench;

import dev.sluice.core.request.RequestFields;

import dev.sluice.adapters.ControlPlane;
import dev.sluice.adapters.aws.AwsClients;
import dev.sluice.adapters.dynamodb.DynamoSessionStore;
import dev.sluice.core.agent.Agent;
import dev.sluice.core.agent.AgentStatus;
import dev.sluice.core.group.ResourceGroup;
import dev.sluice.core.port.SessionStore;
import dev.sluice.core.scheduler.Planner;
import dev.sluice.core.scheduler.SchedulingPlan;
import dev.sluice.core.session.Kernel;
import dev.sluice.core.session.Session;
import dev.sluice.core.session.SessionBatch;
import dev.sluice.core.session.SessionChange;
import dev.sluice.core.session.SessionSpec;
import dev.sluice.core.slots.ResourceSlots;
import dev.sluice.core.usecase.PlanApplier;
import dev.sluice.core.usecase.SchedulingPass;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;

/**
 * Placement throughput of the plan applier against the emulator, in alternating rounds of five runs, each over its
 * own fresh group of {@value #SESSIONS} pending sessions and {@value #AGENTS} agents x {@value #GPUS} GPUs:
 * today's serial pass (the same pass with an applier of concurrency 1), the concurrent pass (concurrency
 * {@code C}), the concurrent applier alone (snapshot and plan read before the clock starts), and the raw loop: the same
 * conditional TransactWriteItems, built before the clock starts, sent by {@code C} threads over disjoint agents, one a
 * placement and (like for like with the batching applier) one a batch of an agent's placements (and, for scale, one
 * a placement by one thread).
 * The groups are inactive, so the stack's once-a-minute tick never takes part of a queue while it is measured.
 */
public final class PlacementThroughput {
    static final int AGENTS = 50;
    static final int GPUS = 8;
    static final int SESSIONS = AGENTS * GPUS;

    private PlacementThroughput() {
    }

    /** Placements per second of every round of each run, and the concurrency they were measured at. */
    public record Report(int concurrency, int rounds, List<Double> serialPass, List<Double> concurrentPass,
                         List<Double> applier, List<Double> raw, List<Double> rawBatched, List<Double> rawSerial, int retried,
                         int conflicts, int batchesRefused, double loadAverage) {
        public String markdown() {
            double serial = median(serialPass);
            double pass = median(concurrentPass);
            double alone = median(applier);
            double rawRate = median(raw);
            double rawBatch = median(rawBatched);
            double rawOne = median(rawSerial);
            return String.join("\n",
                    "| placement throughput, " + SESSIONS + " sessions onto " + AGENTS + " agents x " + GPUS + " GPUs, "
                            + rounds + " alternating rounds, concurrency " + concurrency + " | median | every round |",
                    "|---|---|---|",
                    row("today's serial pass: snapshot, plan, one placement after the other, one transaction each (the same pass, "
                            + "applier concurrency 1, no batches)", serial, serialPass),
                    row("**concurrent pass**: snapshot, plan, the applier writing each agent's placements as one batched transaction, "
                            + "disjoint agents " + concurrency + " at a time", pass, concurrentPass),
                    row("**the concurrent applier alone** (the same applier; snapshot and plan read before the clock starts)", alone, applier),
                    row("baseline: the raw loop, one conditional TransactWriteItems a placement (as the applier wrote them before "
                            + "batches), prebuilt and sent by " + concurrency + " threads over disjoint agents", rawRate, raw),
                    row("baseline, like for like: the raw loop of the same batched transactions (one an agent: " + GPUS
                            + " sessions and one agent update), prebuilt and sent by " + concurrency + " threads", rawBatch, rawBatched),
                    row("for scale: the one-a-placement raw loop sent by 1 thread", rawOne, rawSerial),
                    String.format("| concurrent applier / batched raw loop (medians, like for like) — goal at least 70%% | %.0f%% | |",
                            100 * alone / rawBatch),
                    String.format("| concurrent pass / batched raw loop (medians) | %.0f%% | |", 100 * pass / rawBatch),
                    String.format("| concurrent applier / one-a-placement raw loop (medians) — goal at least 70%% | %.0f%% | |", 100 * alone / rawRate),
                    String.format("| concurrent pass / one-a-placement raw loop (medians) | %.0f%% | |", 100 * pass / rawRate),
                    String.format("| concurrent pass / serial pass (medians) — goal at least 3x | %.2fx | |", pass / serial),
                    String.format("| concurrent applier / serial pass (medians) | %.2fx | |", alone / serial),
                    String.format("| what the emulator gives to concurrency: raw loop at %d threads / raw loop at 1 (medians) | %.2fx | |",
                            concurrency, rawRate / rawOne),
                    "",
                    "Each round runs the six in a rotated order, each on its own fresh group; the rates are placements per "
                            + "second of wall time, all " + SESSIONS + " placed in every run. Placements that lost a race and took "
                            + "their one retry from fresh state: " + retried + "; left for a next pass: " + conflicts
                            + "; batches refused as a whole in the applier-alone runs (their placements then applied one by one): " + batchesRefused
                            + String.format(". 1-minute load average at the end of the run: %.2f (other builds and tests shared "
                            + "the machine; compare within a run).", loadAverage),
                    "",
                    verdict(alone / rawBatch, alone / rawRate, pass / serial, rawRate / rawOne));
        }

        /** What the medians say about the two goals, and what limits the one that is missed. */
        private String verdict(double ofBatchedRaw, double ofRaw, double ofSerial, double emulatorScaling) {
            String first = String.format("The concurrent applier reaches %.0f%% of the raw loop of the same batched transactions at "
                    + "the same concurrency (the like-for-like goal of at least 70%% is %s), and %.0f%% of the one-a-placement raw "
                    + "loop.", 100 * ofBatchedRaw, ofBatchedRaw >= 0.7 ? "met" : "missed", 100 * ofRaw);
            String second = String.format(" The concurrent pass is %.2fx today's serial pass: the goal (at least 3x) is %s.", ofSerial,
                    ofSerial >= 3 ? "met" : "missed");
            String noise = ofBatchedRaw > 1.1 ? " The applier sends the same transactions as that raw loop and does more work "
                    + "besides, so a ratio above 100% is the noise of a shared, loaded machine (the runs of a round are a minute "
                    + "apart), not a gain; read it as at par." : "";
            return first + noise + second + String.format(" Concurrency gives what the single-process emulator on this 2-core "
                    + "machine gives it (%d concurrent transactions served %.2fx as fast as one at a time); the batches cut the "
                    + "round trips besides: %d placements in %d transactions rather than %d. The passes' placement events also "
                    + "start the stack's nudge function (one invocation a PutEvents, in the same JVM), which loads the emulator "
                    + "during the runs that follow. Not measured on AWS, where each transaction is served independently.",
                    concurrency, emulatorScaling, SESSIONS, AGENTS, SESSIONS);
        }

        private static String row(String label, double median, List<Double> rounds) {
            return String.format("| %s | %.0f /s | %s |", label, median,
                    rounds.stream().map(v -> String.format("%.0f", v)).collect(Collectors.joining(", ")));
        }
    }

    public static Report run(ControlPlane plane, Map<String, String> env, int concurrency, int rounds) throws Exception {
        String prefix = "bench-put-" + UUID.randomUUID().toString().substring(0, 6);
        SchedulingPass serial = plane.schedulingWith(1, false);
        SchedulingPass concurrent = plane.schedulingWith(concurrency);
        PlanApplier applier = new PlanApplier(plane.sessionStore(), plane.agentStore(), java.time.Clock.systemUTC(), concurrency);
        DynamoDbClient dynamoDb = AwsClients.shared().dynamoDb();
        List<List<Double>> rates = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>(),
                new ArrayList<>());
        int refusedBefore = applier.batchesRefused();
        int[] retried = {0};
        int[] conflicts = {0};
        ExecutorService rawPool = Executors.newFixedThreadPool(concurrency);
        try {
            // one warm-up round, not reported: the first calls of each path load classes and open connections
            for (int round = -1; round < rounds; round++) {
                for (int k = 0; k < 6; k++) {
                    int which = Math.floorMod(k + round, 6);
                    String group = prefix + "-" + (round + 1) + which;
                    ResourceGroup g = ready(plane, group);
                    double rate = switch (which) {
                        case 0 -> pass(serial, g, retried, conflicts, round >= 0);
                        case 1 -> pass(concurrent, g, retried, conflicts, round >= 0);
                        case 2 -> applierAlone(concurrent, applier, g);
                        case 3 -> rawLoop(dynamoDb, env, plane, g, rawPool, concurrency, false);
                        case 4 -> rawLoop(dynamoDb, env, plane, g, rawPool, concurrency, true);
                        default -> rawLoop(dynamoDb, env, plane, g, rawPool, 1, false);
                    };
                    if (round >= 0) {
                        rates.get(which).add(rate);
                    }
                }
            }
        } finally {
            rawPool.shutdownNow();
        }
        double load = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        return new Report(concurrency, rounds, rates.get(0), rates.get(1), rates.get(2), rates.get(3), rates.get(4), rates.get(5),
                retried[0], conflicts[0], applier.batchesRefused() - refusedBefore, load);
    }

    private static double pass(SchedulingPass pass, ResourceGroup g, int[] retried, int[] conflicts, boolean counted) {
        long t = System.nanoTime();
        SchedulingPass.Result result = pass.run(g);
        double seconds = (System.nanoTime() - t) / 1e9;
        if (counted) {
            retried[0] += result.retried();
            conflicts[0] += result.conflicts();
        }
        if (result.placed() != SESSIONS) {
            throw new IllegalStateException("the pass placed " + result.placed() + " of " + SESSIONS + ": " + result);
        }
        return SESSIONS / seconds;
    }

    private static double applierAlone(SchedulingPass pass, PlanApplier applier, ResourceGroup g) {
        SchedulingPlan plan = Planner.plan(pass.snapshot(g, Instant.now()));
        long t = System.nanoTime();
        PlanApplier.Report report = applier.apply(plan.placements(), p -> { });
        double seconds = (System.nanoTime() - t) / 1e9;
        if (report.placed().size() != SESSIONS) {
            throw new IllegalStateException("the applier placed " + report.placed().size() + " of " + SESSIONS);
        }
        return SESSIONS / seconds;
    }

    /**
     * The same transactions the applier sends, prebuilt, sent by {@code concurrency} threads, each over its own agents:
     * one a placement, or ({@code batched}) one a batch of an agent's placements cut as the applier cuts them.
     */
    private static double rawLoop(DynamoDbClient dynamoDb, Map<String, String> env, ControlPlane plane, ResourceGroup g,
                                  ExecutorService pool, int concurrency, boolean batched) throws Exception {
        List<Session> pending = plane.sessionStore().pendingIn(g.name());
        ResourceSlots one = ResourceSlots.parse(RequestFields.of(Map.of("cuda.device", 1, "cpu", 1, "mem", "1g")).at("s"));
        Instant now = Instant.now();
        Map<Integer, List<List<TransactWriteItem>>> byThread = new LinkedHashMap<>();
        Map<Integer, List<SessionChange>> byAgent = new LinkedHashMap<>();
        for (int i = 0; i < pending.size(); i++) {
            int agent = i % AGENTS;
            SessionChange change = SessionChange.place(pending.get(i), List.of(new Kernel(agentId(g.name(), agent), one)), "scheduled",
                    dev.sluice.core.session.StatusData.placed(List.of(agentId(g.name(), agent))), now);
            if (batched) {
                byAgent.computeIfAbsent(agent, a -> new ArrayList<>()).add(change);
            } else {
                byThread.computeIfAbsent(agent % concurrency, t -> new ArrayList<>())
                        .add(DynamoSessionStore.items(env.get("SESSIONS_TABLE"), env.get("AGENTS_TABLE"), change));
            }
        }
        for (Map.Entry<Integer, List<SessionChange>> lane : byAgent.entrySet()) {
            for (List<SessionChange> chunk : SessionBatch.chunks(lane.getValue(), SessionChange.MAX_TRANSACTION_ITEMS,
                    SessionBatch.MAX_TRANSACTION_BYTES, plane.sessionStore()::writeBytes)) {
                byThread.computeIfAbsent(lane.getKey() % concurrency, t -> new ArrayList<>())
                        .add(DynamoSessionStore.items(env.get("SESSIONS_TABLE"), env.get("AGENTS_TABLE"), new SessionBatch(chunk)));
            }
        }
        long t = System.nanoTime();
        List<Future<?>> sent = new ArrayList<>();
        for (List<List<TransactWriteItem>> mine : byThread.values()) {
            sent.add(pool.submit(() -> {
                for (List<TransactWriteItem> items : mine) {
                    dynamoDb.transactWriteItems(b -> b.transactItems(items));
                }
            }));
        }
        for (Future<?> f : sent) {
            f.get();
        }
        return pending.size() / ((System.nanoTime() - t) / 1e9);
    }

    /** A fresh inactive group (the tick passes it over) with its agents and a full queue. */
    private static ResourceGroup ready(ControlPlane plane, String group) {
        plane.groupStore().put(ResourceGroup.fromDefinition(group, RequestFields.of(Map.of("active", false)), Instant.now(), Instant.now()));
        Instant now = Instant.now();
        for (int i = 0; i < AGENTS; i++) {
            plane.agentStore().put(new Agent(agentId(group, i), group, AgentStatus.ALIVE, true,
                    ResourceSlots.parse(RequestFields.of(Map.of("cuda.device", GPUS, "cpu", 64, "mem", "512g")).at("a")), ResourceSlots.EMPTY,
                    "x86_64", "bench", Map.of(), now, now));
        }
        Instant base = Instant.now().minusSeconds(60);
        for (int i = 0; i < SESSIONS; i++) {
            Instant created = base.plusMillis(i);
            Session s = Session.enqueue(UUID.randomUUID().toString(), "bench-" + (i % 10), SessionSpec.parse(RequestFields.of(Map.of("image", "python:3.12",
                    "resource_slots", Map.of("cuda.device", 1, "cpu", 1, "mem", "1g"))), created), group, created);
            if (!(plane.sessionStore().create(s, Optional.empty()) instanceof SessionStore.CreateOutcome.Created)) {
                throw new IllegalStateException("could not enqueue");
            }
        }
        return plane.groupStore().find(group).orElseThrow();
    }

    private static String agentId(String group, int i) {
        return String.format("%s-a%03d", group, i);
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}
