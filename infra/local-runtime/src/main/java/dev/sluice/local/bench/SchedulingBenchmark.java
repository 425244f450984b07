package dev.sluice.local.bench;

import dev.sluice.core.request.RequestFields;

import dev.sluice.adapters.ControlPlane;
import dev.sluice.adapters.aws.AwsClients;
import dev.sluice.adapters.dynamodb.DynamoSessionStore;
import dev.sluice.adapters.dynamodb.SessionItem;
import dev.sluice.core.agent.Agent;
import dev.sluice.core.agent.AgentStatus;
import dev.sluice.core.group.ResourceGroup;
import dev.sluice.core.port.SessionStore;
import dev.sluice.core.session.Kernel;
import dev.sluice.core.session.Session;
import dev.sluice.core.session.SessionSpec;
import dev.sluice.core.session.SessionStatus;
import dev.sluice.core.session.StatusChange;
import dev.sluice.core.slots.ResourceSlots;
import dev.sluice.core.usecase.SchedulingPass;
import dev.sluice.local.LocalDeployer;
import dev.sluice.local.LocalRuntime;
import dev.sluice.local.LocalUsers;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Scheduling against the emulator: placements per second of a whole pass next to the raw rate of the same conditional
 * TransactWriteItems issued in a loop (same run), DynamoDB requests per placement and per session life with an
 * on-demand cost estimate, and create -> SCHEDULED latency with idle agents (from the session's own history times).
 */
public final class SchedulingBenchmark {
    private static final int AGENTS = 50;
    private static final int GPUS = 8;
    private static final int SESSIONS = AGENTS * GPUS;
    /** Alternating rounds of the pass and of its raw baseline; the medians are reported, every round listed. */
    private static final int ROUNDS = 3;
    /** On-demand prices (us-east-1, USD per million request units) used for the estimate. */
    private static final double WRU_PRICE = 0.625;
    private static final double RRU_PRICE = 0.125;

    private SchedulingBenchmark() {
    }

    public record Report(List<Double> passRates, List<Double> rawRates, double callsPerPlacement, double unitsPerPlacement,
                         Stats createToScheduled, SessionLife.Result life, BigQueue bigQueue, int discardedRounds) {
        public String markdown() {
            double passPerSecond = median(passRates);
            double rawPerSecond = median(rawRates);
            return String.join("\n",
                    "| scheduling, " + SESSIONS + " sessions onto " + AGENTS + " agents x " + GPUS + " GPUs | value |",
                    "|---|---|",
                    String.format("| **placements per second, one whole pass** (snapshot, plan, one transaction each; median of %d rounds: %s%s) | %.0f /s |",
                            passRates.size(), list(passRates), discardedRounds == 0 ? "" : "; " + discardedRounds
                                    + " more discarded because the stack's once-a-minute tick placed part of that queue meanwhile", passPerSecond),
                    String.format("| baseline: the same conditional TransactWriteItems in a plain loop, alternating with the passes in the same run (rounds: %s) | %.0f /s |",
                            list(rawRates), rawPerSecond),
                    String.format("| pass rate / raw rate (medians) — goal at least 70%% | %.0f%% |", 100 * passPerSecond / rawPerSecond),
                    String.format("| AWS requests per placed session, whole pass included (one TransactWriteItems; events batched 10 a PutEvents) | %.2f |", callsPerPlacement),
                    String.format("| DynamoDB capacity units consumed per placed session, whole pass included (as DynamoDB reports them) | %.2f |", unitsPerPlacement),
                    String.format("| **one pass over a queue of 10,000 pending sessions** (the nudge function, invoked through Lambda; "
                                    + "100 agents x 8 GPUs) | %.1f s, no error: %d placed, %d left pending, %d explanations written%s |",
                            bigQueue.seconds(), bigQueue.placed(), bigQueue.deferred(), bigQueue.explained(), bigQueue.coalesced() == 0 ? ""
                                    : " (asked " + (bigQueue.coalesced() + 1) + " times: a pass of the tick held the group before)"),
                    "",
                    "| create -> SCHEDULED with idle agents (server times from the status history), 30 sessions | p50 | p90 | p99 | max |",
                    "|---|---|---|---|---|",
                    createToScheduled.row("through the API Gateway, the event nudge and one pass — goal p50 < 1 s"),
                    "",
                    SessionLife.markdown(life));
        }
    }

    public static Report run(java.nio.file.Path root, LocalRuntime runtime, LocalDeployer.DeployedStack stack) throws Exception {
        Map<String, String> env = runtime.host().bindings().values().iterator().next().environment();
        ControlPlane plane = dev.sluice.adapters.Wiring.fromEnvironment(env).control();

        // A whole pass over a full queue, and the raw rate of the same transactions planned by hand in a loop, in
        // ROUNDS alternating rounds (a fresh group each), so a burst of load on the shared machine hits both sides.
        String group = "bench-" + UUID.randomUUID().toString().substring(0, 6);
        // Whole session lives through the real path, with the real agent, counted (SessionLife): first, while the
        // stack is quiet (the rounds below leave a backlog of nudges behind them).
        SessionLife.Result life = SessionLife.run(root, runtime, stack, plane, group + "-life-agent");

        var dynamoDb = AwsClients.shared().dynamoDb();
        ResourceSlots one = ResourceSlots.parse(RequestFields.of(Map.of("cuda.device", 1, "cpu", 1, "mem", "1g")).at("s"));
        List<Double> passRates = new ArrayList<>();
        List<Double> rawRates = new ArrayList<>();
        // The first measured pass's requests and units, counted by the JVM-wide SDK interceptor: the applier writes from
        // worker threads (issue #15), which per-thread meters do not see.
        long passRequests = -1;
        double passUnits = 0;
        int placedInFirst = 0;
        int discarded = 0;
        for (int round = 0, attempt = 0; round < ROUNDS; attempt++) {
            String passGroup = group + "-p" + attempt;
            plane.groupStore().put(ResourceGroup.fromDefinition(passGroup, RequestFields.of(Map.of()), Instant.now(), Instant.now()));
            addAgents(plane, passGroup, "p");
            enqueue(plane, passGroup, SESSIONS);
            ResourceGroup g = plane.groupStore().find(passGroup).orElseThrow();
            AwsTally.start();
            long t = System.nanoTime();
            SchedulingPass.Result result = plane.scheduling().run(g);
            double passSeconds = (System.nanoTime() - t) / 1e9;
            // Only what the pass asked (this thread and the applier's workers), not the stack's tick or nudges meanwhile.
            List<AwsTally.Counts> pass = AwsTally.stop().entrySet().stream()
                    .filter(e -> e.getKey().invocation().equals(AwsTally.OUTSIDE)).map(Map.Entry::getValue).toList();
            if (result.placed() != SESSIONS) {
                // The stack's own once-a-minute tick passes over every group, so it can take part of this queue
                // while the measured pass runs: such a round is measured again on a fresh group, and counted.
                if (++discarded > 2 * ROUNDS) {
                    throw new IllegalStateException("the pass placed " + result.placed() + " of " + SESSIONS + " in " + discarded + " rounds");
                }
                continue;
            }
            if (passRequests < 0) {
                passRequests = pass.stream().mapToLong(AwsTally.Counts::requests).sum();
                passUnits = pass.stream().mapToDouble(c -> c.readUnits() + c.writeUnits()).sum();
                placedInFirst = result.placed();
            }
            passRates.add(SESSIONS / passSeconds);

            String rawGroup = group + "-r" + round;
            round++;
            plane.groupStore().put(ResourceGroup.fromDefinition(rawGroup, RequestFields.of(Map.of()), Instant.now(), Instant.now()));
            addAgents(plane, rawGroup, "r");
            List<Session> raw = enqueue(plane, rawGroup, SESSIONS);
            Instant now = Instant.now();
            t = System.nanoTime();
            boolean refused = false;
            for (int i = 0; i < raw.size() && !refused; i++) {
                Session s = raw.get(i);
                var items = DynamoSessionStore.items(env.get("SESSIONS_TABLE"), env.get("AGENTS_TABLE"), dev.sluice.core.session.SessionChange.place(
                        s, List.of(new Kernel(agentId(rawGroup, "r", i % AGENTS), one)), "scheduled", dev.sluice.core.session.StatusData.NONE, now));
                try {
                    dynamoDb.transactWriteItems(b -> b.transactItems(items));
                } catch (software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException e) {
                    refused = true;
                }
            }
            if (refused) {
                // The stack's tick placed part of this raw queue meanwhile (it passes over every group): the whole
                // round, pass and baseline, is measured again on fresh groups, and counted.
                if (++discarded > 2 * ROUNDS) {
                    throw new IllegalStateException("raw placement refused in " + discarded + " rounds");
                }
                passRates.remove(passRates.size() - 1);
                round--;
                continue;
            }
            rawRates.add(SESSIONS / ((System.nanoTime() - t) / 1e9));
        }

        String lifeGroup = group + "-life";
        plane.groupStore().put(ResourceGroup.fromDefinition(lifeGroup, RequestFields.of(Map.of()), Instant.now(), Instant.now()));
        addAgents(plane, lifeGroup, "l");
        Stats latency = createToScheduled(runtime, stack, plane, lifeGroup);
        BigQueue big = bigQueue(runtime, plane, env);
        return new Report(passRates, rawRates, (double) passRequests / placedInFirst, passUnits / placedInFirst, latency, life, big,
                discarded);
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private static String list(List<Double> values) {
        return values.stream().map(v -> String.format("%.0f", v)).collect(java.util.stream.Collectors.joining(", "));
    }

    /** The outcome of one pass over a 10,000-session queue. */
    public record BigQueue(double seconds, int placed, int deferred, int explained, int coalesced) {
    }

    private static BigQueue bigQueue(LocalRuntime runtime, ControlPlane plane, Map<String, String> env) throws Exception {
        String group = "bench-10k-" + UUID.randomUUID().toString().substring(0, 6);
        // Inactive while it fills, so the stack's tick passes over it only after the measured pass has started.
        plane.groupStore().put(ResourceGroup.fromDefinition(group, RequestFields.of(Map.of("active", false)), Instant.now(), Instant.now()));
        Instant now = Instant.now();
        var ddb = AwsClients.shared().dynamoDb();
        String table = env.get("SESSIONS_TABLE");
        Instant base = now.minusSeconds(3600);
        List<software.amazon.awssdk.services.dynamodb.model.WriteRequest> batch = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            Instant created = base.plusMillis(i);
            Session s = Session.enqueue(UUID.randomUUID().toString(), "bench-q" + (i % 50), SessionSpec.parse(RequestFields.of(Map.of("image", "python:3.12",
                    "resource_slots", Map.of("cuda.device", 1 + (i % 4), "cpu", 1, "mem", "1g"))), created), group, created);
            batch.add(software.amazon.awssdk.services.dynamodb.model.WriteRequest.builder().putRequest(p -> p
                    .item(SessionItem.SCHEMA.itemToMap(SessionItem.from(s), true))).build());
            if (batch.size() == 25 || i == 9_999) {
                Map<String, List<software.amazon.awssdk.services.dynamodb.model.WriteRequest>> request = Map.of(table, new ArrayList<>(batch));
                while (!request.isEmpty()) {
                    Map<String, List<software.amazon.awssdk.services.dynamodb.model.WriteRequest>> pending = request;
                    var response = ddb.batchWriteItem(b -> b.requestItems(pending));
                    request = response.hasUnprocessedItems() && !response.unprocessedItems().isEmpty() ? response.unprocessedItems() : Map.of();
                }
                batch.clear();
            }
        }
        // The stack's once-a-minute tick passes over every active group and holds a group's lease while it does: the
        // group is made active right after a tick has finished, and the measured pass started at once.
        java.util.concurrent.CountDownLatch tick = new java.util.concurrent.CountDownLatch(1);
        runtime.host().listenToInvocationsWith((function, label, e, nanos, ok) -> {
            if (function.contains("SchedulerTick")) {
                tick.countDown();
            }
        });
        try {
            tick.await(75, java.util.concurrent.TimeUnit.SECONDS);
        } finally {
            runtime.host().listenToInvocationsWith((function, label, e, nanos, ok) -> { });
        }
        for (int i = 0; i < 100; i++) {
            plane.agentStore().put(new Agent(agentId(group, "q", i), group, AgentStatus.ALIVE, true,
                    ResourceSlots.parse(RequestFields.of(Map.of("cuda.device", GPUS, "cpu", 64, "mem", "512g")).at("a")), ResourceSlots.EMPTY,
                    "x86_64", "bench", Map.of(), now, now));
        }
        plane.groupStore().put(ResourceGroup.fromDefinition(group, RequestFields.of(Map.of("active", true)), Instant.now(), Instant.now()));
        String nudge = runtime.host().bindings().keySet().stream().filter(n -> n.contains("SchedulerNudge")).findFirst().orElseThrow();
        String event = "{\"version\":\"0\",\"id\":\"bench\",\"detail-type\":\"Session Status Changed\",\"source\":\"sluice.sessions\","
                + "\"account\":\"000000000000\",\"time\":\"" + now + "\",\"region\":\"us-east-1\",\"resources\":[],"
                + "\"detail\":{\"resource_group\":\"" + group + "\",\"status\":\"PENDING\"}}";
        try (var lambda = software.amazon.awssdk.services.lambda.LambdaClient.builder().httpClient(AwsClients.httpClient()).build()) {
            // A pass still running from the tick holds the group's lease (the nudge then runs none): asked again until one runs.
            Instant giveUp = Instant.now().plusSeconds(180);
            int waited = 0;
            while (true) {
                long t = System.nanoTime();
                var response = lambda.invoke(b -> b.functionName(nudge).payload(software.amazon.awssdk.core.SdkBytes.fromUtf8String(event)));
                double seconds = (System.nanoTime() - t) / 1e9;
                String payload = response.payload().asUtf8String();
                if (response.functionError() != null) {
                    throw new IllegalStateException("the pass over 10,000 sessions failed: " + payload);
                }
                Map<String, Object> summary = dev.sluice.adapters.json.Json.readObjectUnchecked(payload);
                Map<?, ?> passes = (Map<?, ?>) summary.get("passes");
                List<?> groupPasses = (List<?>) passes.get(group);
                if (groupPasses == null || groupPasses.isEmpty()) {
                    if (Instant.now().isAfter(giveUp)) {
                        throw new IllegalStateException("the nudge ran no pass over the 10,000-session group (another pass held it): " + payload);
                    }
                    Thread.sleep(2_000);
                    waited++;
                    continue;
                }
                Map<?, ?> first = (Map<?, ?>) groupPasses.get(0);
                return new BigQueue(seconds, ((Number) first.get("placed")).intValue(), ((Number) first.get("deferred")).intValue(),
                        ((Number) first.get("explanationsWritten")).intValue(), waited);
            }
        }
    }

    private static Stats createToScheduled(LocalRuntime runtime, LocalDeployer.DeployedStack stack, ControlPlane plane, String group)
            throws Exception {
        String apiUrl = LocalRuntime.apiUrl(stack);
        String token = LocalUsers.of(stack).token("bench-latency", List.of("users"));
        HttpClient http = HttpClient.newHttpClient();
        List<Long> latencies = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create(apiUrl + "/sessions"))
                    .header("Authorization", "Bearer " + token)
                    .POST(HttpRequest.BodyPublishers.ofString("{\"image\":\"python:3.12\",\"resource_group\":\"" + group
                            + "\",\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\",\"cuda.device\":1}}")).build(), HttpResponse.BodyHandlers.ofString());
            String id = created.body().replaceAll("(?s).*\"id\":\"([^\"]+)\".*", "$1");
            Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
            Session s = plane.sessionStore().find(id).orElseThrow();
            while (s.status() == SessionStatus.PENDING && Instant.now().isBefore(deadline)) {
                Thread.sleep(20);
                s = plane.sessionStore().find(id).orElseThrow();
            }
            Instant pending = s.statusHistory().get(0).at();
            Instant scheduled = s.statusHistory().stream().filter(c -> c.status() == SessionStatus.SCHEDULED)
                    .map(StatusChange::at).findFirst().orElseThrow(() -> new IllegalStateException("never scheduled"));
            latencies.add(Duration.between(pending, scheduled).toNanos());
            plane.sessions().destroy(new dev.sluice.core.auth.Principal(s.owner(), "x", java.util.Set.of("users")), id, true);
        }
        return Stats.of(latencies);
    }

    private static String agentId(String group, String prefix, int i) {
        return String.format("%s-%s%03d", group, prefix, i);
    }

    private static void addAgents(ControlPlane plane, String group, String prefix) {
        Instant now = Instant.now();
        for (int i = 0; i < AGENTS; i++) {
            plane.agentStore().put(new Agent(agentId(group, prefix, i), group, AgentStatus.ALIVE, true,
                    ResourceSlots.parse(RequestFields.of(Map.of("cuda.device", GPUS, "cpu", 64, "mem", "512g")).at("a")), ResourceSlots.EMPTY,
                    "x86_64", "bench", Map.of(), now, now));
        }
    }

    private static List<Session> enqueue(ControlPlane plane, String group, int n) {
        List<Session> out = new ArrayList<>();
        Instant base = Instant.now().minusSeconds(60);
        for (int i = 0; i < n; i++) {
            Instant created = base.plusMillis(i);
            Session s = Session.enqueue(UUID.randomUUID().toString(), "bench-" + (i % 10), SessionSpec.parse(RequestFields.of(Map.of("image", "python:3.12",
                    "resource_slots", Map.of("cuda.device", 1, "cpu", 1, "mem", "1g"))), created), group, created);
            if (!(plane.sessionStore().create(s, Optional.empty()) instanceof SessionStore.CreateOutcome.Created)) {
                throw new IllegalStateException("could not enqueue");
            }
            out.add(s);
        }
        return out;
    }
}
