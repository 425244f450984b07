package dev.sluice.local.bench;

import dev.sluice.core.request.RequestFields;

import dev.sluice.adapters.ControlPlane;
import dev.sluice.adapters.aws.AwsCallTimer;
import dev.sluice.adapters.aws.AwsClients;
import dev.sluice.adapters.aws.CapacityMeter;
import dev.sluice.core.auth.Principal;
import dev.sluice.core.group.ResourceGroup;
import dev.sluice.local.LocalDeployer;
import dev.sluice.local.LocalRuntime;
import dev.sluice.local.LocalUsers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * Issue #5: what an agent costs. The control plane's side of one heartbeat (AWS requests, DynamoDB units, time),
 * next to the bare UpdateItem + Query it is made of; and the memory of an idle agent process (RSS and heap) next to
 * an empty JVM started with the same flags in the same run.
 */
final class AgentBenchmark {
    private static final int HEARTBEATS = 300;
    private static final int WARMUP = 100;
    private static final String JVM_FLAGS = "-Xmx64m -XX:+UseSerialGC";
    /** How long both processes run before they are measured. */
    private static final Duration SETTLE = Duration.ofSeconds(20);
    private static final double WRU_PRICE = 0.625;
    private static final double RRU_PRICE = 0.125;

    private AgentBenchmark() {
    }

    record Report(String markdown) {
    }

    /** Sleeps forever: the empty JVM that the agent's footprint is compared with. */
    public static final class IdleJvm {
        public static void main(String[] args) throws InterruptedException {
            Thread.sleep(Long.MAX_VALUE);
        }
    }

    static Report run(Path root, LocalRuntime runtime, LocalDeployer.DeployedStack stack) throws Exception {
        Map<String, String> env = runtime.host().bindings().values().iterator().next().environment();
        ControlPlane plane = dev.sluice.adapters.Wiring.fromEnvironment(env).control();
        String group = "agent-bench-" + UUID.randomUUID().toString().substring(0, 6);
        plane.groupStore().put(ResourceGroup.fromDefinition(group, RequestFields.of(Map.of()), Instant.now(), Instant.now()));

        String busyGroup = group + "-busy";
        plane.groupStore().put(ResourceGroup.fromDefinition(busyGroup, RequestFields.of(Map.of()), Instant.now(), Instant.now()));
        // Each heartbeat through the use case alternates with its baseline: the same UpdateItem (the store's own
        // request, same update expression) and the same Query of the by-agent index, sent bare; both counted.
        Cost[] idle = heartbeats(plane, env, group, "i-bench-idle", 0);
        Cost[] busy = heartbeats(plane, env, busyGroup, "i-bench-busy", 4);

        // Both processes start together and are measured after the same time.
        Process agentProcess = startAgent(root, stack, group);
        Process emptyProcess = startEmptyJvm(root);
        Footprint agent;
        Footprint empty;
        try {
            Thread.sleep(SETTLE.toMillis());
            agent = measure(agentProcess);
            empty = measure(emptyProcess);
        } finally {
            stop(agentProcess);
            stop(emptyProcess);
        }

        double perMonth = 30 * 24 * 3600 / 20.0;
        double dollarsPerAgentMonth = perMonth * (idle[0].writeUnits * WRU_PRICE + idle[0].readUnits * RRU_PRICE) / 1e6;
        String md = String.join("\n",
                "| one heartbeat, handled by the agent API's use case (" + HEARTBEATS + " after " + WARMUP + " warm) | AWS requests | write units | read units | p50 | p90 | p99 |",
                "|---|---|---|---|---|---|---|",
                row("**agent with no session**", idle[0]),
                row("baseline: the same UpdateItem (same update expression) and by-agent Query, sent bare, alternating", idle[1]),
                row("**agent running 4 sessions** (4 creation configs in the answer)", busy[0]),
                row("baseline: the same UpdateItem and Query for this agent, sent bare, alternating", busy[1]),
                "",
                String.format("A heartbeat is one UpdateItem (capacity, liveness, and free = capacity − occupied computed by DynamoDB) "
                        + "and one Query of the agent's sessions (by-agent index); an event is published only when something changed "
                        + "(registered, capacity, revived). At the default 20 s interval an agent costs %.0f heartbeats a month, "
                        + "≈ $%.3f of on-demand DynamoDB (us-east-1: $%.3f per million write units, $%.3f per million read units).",
                        perMonth, dollarsPerAgentMonth, WRU_PRICE, RRU_PRICE),
                "",
                "| both processes started together and measured " + SETTLE.toSeconds() + " s later (the agent heartbeating every second), flags `" + JVM_FLAGS + "` | RSS | heap used | heap committed |",
                "|---|---|---|---|",
                String.format("| **the agent** (`agent/target/sluice-agent.jar`, process runtime) — goal RSS < 128 MB | %s | %s | %s |",
                        mb(agent.rss), mb(agent.heapUsed), mb(agent.heapCommitted)),
                String.format("| baseline: an empty JVM (a main that sleeps), same flags | %s | %s | %s |",
                        mb(empty.rss), mb(empty.heapUsed), mb(empty.heapCommitted)),
                "",
                String.format("The agent adds %s of RSS to the JVM floor (its classes, the JDK HTTP client, Jackson, the "
                        + "threads of its loop and runtime). Both heaps are capped at 64 MB; the RSS is read from /proc, the heap "
                        + "from `jcmd GC.heap_info`.", mb(agent.rss - empty.rss)));
        return new Report(md);
    }

    record Cost(int calls, double writeUnits, double readUnits, Stats stats) {
    }

    private static Cost[] heartbeats(ControlPlane plane, Map<String, String> env, String group, String agentId, int sessions) {
        Map<String, Object> body = Map.of("resource_group", group, "available_slots", Map.of("cpu", "64", "mem", "256g", "cuda.device", "8"),
                "compute_plugins", Map.of("cuda.version", "12.2", "cuda.driver", "535.104.05"));
        plane.agentWork().heartbeat(agentId, RequestFields.of(body));
        Principal owner = new Principal("agent-bench", "agent-bench", Set.of("users"));
        for (int i = 0; i < sessions; i++) {
            plane.sessions().create(owner, RequestFields.of(Map.of("image", "python:3.12", "resource_group", group,
                    "resource_slots", Map.of("cuda.device", 1, "cpu", 1, "mem", "1g"))), Optional.empty());
        }
        for (int i = 0; i < 50 && plane.sessionStore().onAgent(agentId).size() < sessions; i++) {
            plane.scheduling().run(plane.groupStore().find(group).orElseThrow());
        }
        var dynamo = AwsClients.shared().dynamoDb();
        var store = (dev.sluice.adapters.dynamodb.DynamoAgentStore) plane.agentStore();
        dev.sluice.core.agent.Heartbeat hb = dev.sluice.core.agent.Heartbeat.parse(agentId, RequestFields.of(body));
        Tally useCase = new Tally();
        Tally bare = new Tally();
        for (int i = 0; i < WARMUP + HEARTBEATS; i++) {
            boolean measured = i >= WARMUP;
            AwsCallTimer.take();
            CapacityMeter.take();
            long t = System.nanoTime();
            var reply = plane.agentWork().heartbeat(agentId, RequestFields.of(body));
            long spent = System.nanoTime() - t;
            if (reply.assignments().size() != sessions) {
                throw new IllegalStateException("expected " + sessions + " assignments, got " + reply.assignments().size());
            }
            useCase.add(measured, spent);

            AwsCallTimer.take();
            CapacityMeter.take();
            t = System.nanoTime();
            dynamo.updateItem(store.heartbeatUpdate(hb, Instant.now()));
            int found = 0;
            Map<String, AttributeValue> start = null;
            do {
                var q = software.amazon.awssdk.services.dynamodb.model.QueryRequest.builder().tableName(env.get("SESSIONS_TABLE"))
                        .indexName("by-agent").keyConditionExpression("hostingAgent = :a")
                        .expressionAttributeValues(Map.of(":a", AttributeValue.fromS(agentId)));
                if (start != null) {
                    q.exclusiveStartKey(start);
                }
                var page = dynamo.query(q.build());
                found += page.count();
                start = page.hasLastEvaluatedKey() && !page.lastEvaluatedKey().isEmpty() ? page.lastEvaluatedKey() : null;
            } while (start != null);
            spent = System.nanoTime() - t;
            if (found != sessions) {
                throw new IllegalStateException("the bare query found " + found + " sessions, not " + sessions);
            }
            bare.add(measured, spent);
        }
        return new Cost[] {useCase.cost(), bare.cost()};
    }

    /** Times, AWS requests and DynamoDB units of the measured rounds of one side. */
    private static final class Tally {
        final List<Long> times = new ArrayList<>();
        int calls;
        double write;
        double read;

        void add(boolean measured, long spent) {
            AwsCallTimer.Spent c = AwsCallTimer.take();
            CapacityMeter.Units u = CapacityMeter.take();
            if (measured) {
                times.add(spent);
                calls += c.calls();
                write += u.write();
                read += u.read();
            }
        }

        Cost cost() {
            return new Cost(calls, write / times.size(), read / times.size(), Stats.of(times));
        }
    }

    private static String row(String what, Cost c) {
        return String.format("| %s | %.2f | %.2f | %.2f | %s | %s | %s |", what, c.calls / (double) HEARTBEATS, c.writeUnits, c.readUnits,
                Stats.ms(c.stats.p50()), Stats.ms(c.stats.p90()), Stats.ms(c.stats.p99()));
    }

    record Footprint(long rss, long heapUsed, long heapCommitted) {
    }

    static Process startAgent(Path root, LocalDeployer.DeployedStack stack, String group) throws Exception {
        return startAgent(root, stack, group, "i-bench-footprint");
    }

    /** The agent jar as a process (process runtime, heartbeat every second) in {@code group}, logging to a temporary directory. */
    static Process startAgent(Path root, LocalDeployer.DeployedStack stack, String group, String agentId) throws Exception {
        Path work = Files.createTempDirectory("agent-bench-");
        Path token = work.resolve("token");
        Files.writeString(token, LocalUsers.of(stack).token(agentId, List.of("agents")));
        // The agent refuses a token file others may read, and a process runtime that is not declared single-tenant
        // (this one runs no workload: it is measured idle).
        Files.setPosixFilePermissions(token, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        List<String> command = new ArrayList<>(List.of(java()));
        command.addAll(List.of(JVM_FLAGS.split(" ")));
        command.addAll(List.of("-jar", root.resolve("agent/target/sluice-agent.jar").toString()));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(work.resolve("agent.log").toFile());
        pb.environment().putAll(Map.of("SLUICE_AGENT_API_ENDPOINT", LocalRuntime.apiUrl(stack), "SLUICE_AGENT_AGENT_ID", agentId,
                "SLUICE_AGENT_RESOURCE_GROUP", group, "SLUICE_AGENT_AUTH", "token", "SLUICE_AGENT_AUTH_TOKEN_FILE", token.toString(),
                "SLUICE_AGENT_RUNTIME", "process", "SLUICE_AGENT_SLOTS", "cpu=4,mem=16g,cuda.device=2",
                "SLUICE_AGENT_WORK_DIR", work.toString(), "SLUICE_AGENT_HEARTBEAT_INTERVAL", "1s", "SLUICE_AGENT_SINGLE_TENANT", "true"));
        return pb.start();
    }

    private static Process startEmptyJvm(Path root) throws Exception {
        List<String> command = new ArrayList<>(List.of(java()));
        command.addAll(List.of(JVM_FLAGS.split(" ")));
        command.addAll(List.of("-cp", root.resolve("infra/local-runtime/target/classes").toString(), IdleJvm.class.getName()));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    static void stop(Process p) {
        p.descendants().forEach(ProcessHandle::destroy);
        p.destroy();
    }

    private static Footprint measure(Process p) throws Exception {
        if (!p.isAlive()) {
            throw new IllegalStateException("the measured process ended early with " + p.exitValue());
        }
        long rss = 0;
        for (String line : Files.readAllLines(Path.of("/proc/" + p.pid() + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                rss = Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        Process jcmd = new ProcessBuilder("jcmd", Long.toString(p.pid()), "GC.heap_info").redirectErrorStream(true).start();
        String info = new String(jcmd.getInputStream().readAllBytes());
        jcmd.waitFor();
        long used = 0;
        long committed = 0;
        for (String line : info.split("\n")) {
            var m = java.util.regex.Pattern.compile("total (\\d+)K, used (\\d+)K").matcher(line);
            if (m.find()) {
                committed += Long.parseLong(m.group(1)) * 1024;
                used += Long.parseLong(m.group(2)) * 1024;
            }
        }
        return new Footprint(rss, used, committed);
    }

    private static String java() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    private static String mb(long bytes) {
        return String.format("%.1f MB", bytes / 1e6);
    }
}
