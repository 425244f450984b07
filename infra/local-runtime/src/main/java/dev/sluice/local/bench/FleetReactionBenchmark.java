package dev.sluice.local.bench;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.sluice.adapters.ControlPlane;
import dev.sluice.adapters.aws.AwsClients;
import dev.sluice.adapters.dynamodb.DynamoFleetStore;
import dev.sluice.adapters.ec2.Ec2FleetDriver;
import dev.sluice.adapters.json.Json;
import dev.sluice.core.fleet.LaunchRecord;
import dev.sluice.core.fleet.PurchaseOption;
import dev.sluice.core.group.ResourceGroup;
import dev.sluice.core.port.FleetDriver;
import dev.sluice.core.request.RequestFields;
import dev.sluice.local.LocalDeployer;
import dev.sluice.local.LocalRuntime;
import dev.sluice.local.LocalUsers;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Collectors;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.DefaultTargetCapacityType;
import software.amazon.awssdk.services.ec2.model.FleetLaunchTemplateConfigRequest;
import software.amazon.awssdk.services.ec2.model.FleetType;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.SpotAllocationStrategy;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.TagSpecification;

/**
 * How fast the fleet reacts (issue #17), against the emulator with the stack's own functions and launch template:
 * (1) a session created through the API Gateway in a group with a catalog and no agent, to the launch request of its
 * instance (the PENDING event, the EventBridge rule, the nudge function, its pass, FleetService, CreateFleet), next to
 * the same CreateFleet made directly in alternating rounds; (2) the real {@link Ec2FleetDriver} falling back to the
 * next type after an injected InsufficientInstanceCapacity, through a proxy as in Ec2FleetDriverIT.
 */
public final class FleetReactionBenchmark {
    static final int ROUNDS = 7;
    private static final String TYPE = "g5.xlarge";
    private static final String FALLBACK_TYPE = "g6.xlarge";

    private FleetReactionBenchmark() {
    }

    /** One round of the Sluice path: server times, and the emulator's whole-second LaunchTime of the instance. */
    public record PathRound(Instant createdAt, Instant since, Instant visible, Instant launchTime, String instanceId, String launchedBy) {
        double toSinceMs() {
            return ReactionMath.millis(createdAt, since);
        }

        double toVisibleMs() {
            return ReactionMath.millis(createdAt, visible);
        }

        boolean consistent() {
            return ReactionMath.consistent(since, launchTime, Duration.between(since, visible));
        }
    }

    /** One direct CreateFleet: the call's time as the bench process saw it, and the LaunchTime the emulator wrote. */
    public record DirectRound(Instant callStart, double callMs, Instant launchTime) {
    }

    /** One fallback: the driver's whole launch, and the time between its first attempt and its second. */
    public record FallbackRound(double launchMs, double betweenAttemptsMs, List<String> codes, String launchedType) {
    }

    public record Report(List<PathRound> path, List<DirectRound> direct, List<FallbackRound> fallback, int discarded, String group) {
        public String markdown() {
            List<Double> toSince = path.stream().map(PathRound::toSinceMs).toList();
            List<Double> directMs = direct.stream().map(DirectRound::callMs).toList();
            List<Double> toVisible = path.stream().map(PathRound::toVisibleMs).toList();
            double[] vs = ReactionMath.versusBaseline(toVisible, directMs);
            double medianSince = ReactionMath.median(toSince);
            List<Double> fallbackMs = fallback.stream().map(FallbackRound::launchMs).toList();
            double medianFallback = ReactionMath.median(fallbackMs);
            List<String> lines = new ArrayList<>();
            lines.add("| fleet reaction | median | rounds (ms) | goal |");
            lines.add("|---|---|---|---|");
            lines.add(String.format("| **enqueue -> launch request**: a session created through the API Gateway in a group with a catalog and no agent,"
                            + " from its `created_at` to `pending.provisioning.since` (the launch record's request time; both server times) | %.0f ms | %s | p50 < 2 s: %s |",
                    medianSince, list(toSince), medianSince < 2000 ? "met" : String.format("missed by %.0f ms", medianSince - 2000)));
            lines.add(String.format("| baseline, alternating rounds: the same instant `CreateFleet` (the stack's launch template, %s spot) made directly"
                            + " through the SDK from the bench process, the call's time | %.0f ms | %s | the floor the emulator sets |",
                    TYPE, ReactionMath.median(directMs), list(directMs)));
            lines.add(String.format("| the same rounds to the end of the launch: `created_at` to the first GET /sessions/{id} that shows the provisioning"
                            + " reason (so after the CreateFleet call and the explanation write; the bench's clock, polled every 25 ms) | %.0f ms | %s | |",
                    ReactionMath.median(toVisible), list(toVisible)));
            lines.add(String.format("| Sluice path (to the reason shown) against the direct call, medians: ratio and difference (what the event,"
                            + " the nudge, the pass and the writes add to a bare launch) | %.1f x, +%.0f ms | | |", vs[0], vs[1]));
            lines.add(String.format("| **fallback after an injected capacity error**: the real `Ec2FleetDriver`, %s answered InsufficientInstanceCapacity"
                            + " (in the instant fleet's errorSet) by a proxy, to the %s instance launched instead (the whole launch call) | %.0f ms | %s | < 30 s: %s |",
                    TYPE, FALLBACK_TYPE, medianFallback, list(fallbackMs), medianFallback < 30_000 ? "met" : "missed"));
            lines.add("");
            long agree = path.stream().filter(PathRound::consistent).count();
            lines.add("Every round of the Sluice path (server times). Cross-check with the emulator's DescribeInstances: it writes LaunchTime in"
                    + " whole seconds, so the launch lies in [LaunchTime, LaunchTime + 1 s); in " + agree + " of " + path.size()
                    + " rounds that agrees with a launch requested at `since` and done by the time the reason was shown:");
            lines.add("");
            lines.add("| round | created_at | provisioning.since | created -> since | created -> reason shown | LaunchTime | created -> LaunchTime window | agrees | launched by |");
            lines.add("|---|---|---|---|---|---|---|---|---|");
            for (int i = 0; i < path.size(); i++) {
                PathRound r = path.get(i);
                double[] w = ReactionMath.truncatedSecondWindow(r.createdAt(), r.launchTime());
                lines.add(String.format("| %d | %s | %s | %.0f ms | %.0f ms | %s | %.0f to %.0f ms | %s | %s |", i + 1, r.createdAt(), r.since(),
                        r.toSinceMs(), r.toVisibleMs(), r.launchTime(), w[0], w[1], r.consistent() ? "yes" : "no", r.launchedBy()));
            }
            lines.add("");
            long directAgree = direct.stream().filter(d -> ReactionMath.consistent(d.callStart(), d.launchTime(),
                    Duration.ofNanos((long) (d.callMs() * 1e6)))).count();
            lines.add("Direct rounds (the call's time; their instances' LaunchTime agrees with the call in " + directAgree + " of " + direct.size()
                    + "): " + direct.stream().map(d -> String.format("%.0f ms", d.callMs())).collect(Collectors.joining(", ")) + ".");
            lines.add("");
            lines.add("Fallback rounds (first attempt -> second attempt, codes): " + fallback.stream()
                    .map(f -> String.format("%.0f ms (%.0f ms, %s -> %s)", f.launchMs(), f.betweenAttemptsMs(), String.join(" then ", f.codes()), f.launchedType()))
                    .collect(Collectors.joining("; ")) + ".");
            lines.add("");
            lines.add("What it says and does not: the emulator answers CreateFleet in milliseconds and launches nothing that boots; real EC2's"
                    + " instant CreateFleet takes longer, which adds to \"reason shown\" and to each fallback attempt, but not to"
                    + " \"created -> since\" (the request time is taken before the call), the part the goal is about. The first round"
                    + " is the first session of the run (the first use of the nudge's fleet path in this JVM) and is the slowest in it.");
            lines.add("");
            lines.add("How it runs: the group (`" + group + "`) gets its catalog through the admin API (`PUT /resource-groups/{name}/fleet`: " + TYPE
                    + ", spot and on-demand, in the subnets of the emulator's default VPC from DescribeSubnets); no agent runs, so no agent"
                    + " can take the session and the pass launches one. The nudge path: the API writes the session PENDING and puts its"
                    + " `Session Status Changed` event on the bus; the stack's EventBridge rule invokes the scheduler nudge function; its"
                    + " scheduling pass (under the group's lease) plans, finds no agent, and hands the plan to `FleetService`, which"
                    + " records the request time and calls `Ec2FleetDriver` (one instant `CreateFleet`), then writes the `provisioning`"
                    + " reason with that time as `since`. \"launched by\" names the scheduler function whose invocation was running when"
                    + " `since` fell (the nudge, or the once-a-minute tick). Between rounds the bench destroys the session (`DELETE"
                    + " ?forced=true`), terminates the instance, marks its launch record terminated, and waits until the group has no"
                    + " live launch for 2 s; each round launches anew. Rounds alternate which side goes first. " + (discarded == 0 ? ""
                    : discarded + " round(s) discarded: the instance that answered was launched by a pass before the session existed"
                    + " (a launch left from the previous round's teardown). ")
                    + "The fallback runs in the bench process: `Ec2FleetDriver` with the stack's launch template, its EC2 client pointed"
                    + " at a proxy that answers CreateFleet for " + TYPE + " as EC2 does when a pool has no capacity (HTTP 200, the pool's"
                    + " error in `errorSet`, no instance) and forwards the rest to the emulator; candidates " + TYPE + " spot then "
                    + FALLBACK_TYPE + " spot in another zone, budget 25 s (the same set-up Ec2FleetDriverIT asserts < 30 s with).");
            return String.join("\n", lines);
        }
    }

    private static String list(List<Double> values) {
        return values.stream().map(v -> String.format("%.0f", v)).collect(Collectors.joining(", "));
    }

    public static Report run(LocalRuntime runtime, LocalDeployer.DeployedStack stack) throws Exception {
        Map<String, String> env = runtime.host().bindings().values().stream().map(b -> b.environment())
                .filter(e -> e.get(Ec2FleetDriver.LAUNCH_TEMPLATE_ENV) != null).findFirst()
                .orElseThrow(() -> new IllegalStateException("no function has the agents' launch template: the stack was deployed without it"));
        ControlPlane plane = dev.sluice.adapters.Wiring.fromEnvironment(env).control();
        String template = env.get(Ec2FleetDriver.LAUNCH_TEMPLATE_ENV);
        DynamoFleetStore fleetStore = new DynamoFleetStore(AwsClients.shared().dynamoDb(), env.get("FLEET_TABLE"));
        Ec2Client ec2 = Ec2Client.builder().httpClient(AwsClients.httpClient()).build();
        List<String[]> subnets = defaultSubnets(ec2);
        String group = "bench-react-" + UUID.randomUUID().toString().substring(0, 6);
        plane.groupStore().put(ResourceGroup.fromDefinition(group, RequestFields.of(Map.of()), Instant.now(), Instant.now()));

        String apiUrl = LocalRuntime.apiUrl(stack);
        LocalUsers users = LocalUsers.of(stack);
        String admin = users.token("bench-admin", List.of("admin", "users"));
        String user = users.token("bench-react", List.of("users"));
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> put = http.send(HttpRequest.newBuilder(URI.create(apiUrl + "/resource-groups/" + group + "/fleet"))
                .header("Authorization", "Bearer " + admin).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(Json.write(catalog(subnets)))).build(), HttpResponse.BodyHandlers.ofString());
        if (put.statusCode() / 100 != 2) {
            throw new IllegalStateException("the catalog was refused: " + put.statusCode() + " " + put.body());
        }

        // Which scheduler function was running when a launch was requested: its invocations' spans, as the host reports them.
        List<Object[]> spans = java.util.Collections.synchronizedList(new ArrayList<>());
        runtime.host().listenToInvocationsWith((function, label, e, nanos, ok) -> {
            if (function.contains("Scheduler")) {
                Instant end = Instant.now();
                spans.add(new Object[] {function, end.minusNanos(nanos), end});
            }
        });
        List<PathRound> path = new ArrayList<>();
        List<DirectRound> direct = new ArrayList<>();
        int discarded = 0;
        try {
            waitQuiet(fleetStore, ec2, group);
            for (int round = 0; path.size() < ROUNDS; round++) {
                boolean directFirst = round % 2 == 1;
                if (directFirst && direct.size() < ROUNDS) {
                    direct.add(directLaunch(ec2, template, subnets.get(0)[1]));
                }
                PathRound r = pathRound(http, apiUrl, user, group, ec2, fleetStore, spans);
                if (r.since().isBefore(r.createdAt())) {
                    if (++discarded > ROUNDS) {
                        throw new IllegalStateException("too many rounds answered by an earlier launch");
                    }
                } else {
                    path.add(r);
                }
                if (!directFirst && direct.size() < ROUNDS) {
                    direct.add(directLaunch(ec2, template, subnets.get(0)[1]));
                }
                waitQuiet(fleetStore, ec2, group);
            }
        } finally {
            runtime.host().listenToInvocationsWith((function, label, e, nanos, ok) -> { });
        }
        List<FallbackRound> fallback = fallback(ec2, template, env.get(Ec2FleetDriver.STACK_ENV), subnets);
        return new Report(path, direct, fallback, discarded, group);
    }

    private static Map<String, Object> catalog(List<String[]> subnets) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("name", TYPE);
        t.put("slots", Map.of("cuda.device", 1, "cpu", 4, "mem", "16g"));
        t.put("purchase_options", List.of("spot", "on-demand"));
        t.put("spot_price", "0.40");
        t.put("on_demand_price", "1.006");
        t.put("max_instances", 4);
        Map<String, Object> d = new LinkedHashMap<>();
        List<Map<String, Object>> s = new ArrayList<>();
        for (String[] z : subnets.subList(0, Math.min(2, subnets.size()))) {
            s.add(Map.of("zone", z[0], "subnet_id", z[1]));
        }
        d.put("subnets", s);
        d.put("min_instances", 0);
        d.put("max_instances", 4);
        d.put("idle_duration", "10m");
        d.put("instance_types", List.of(t));
        return d;
    }

    /** The subnets of the emulator's default VPC, as {zone, subnet id}, by zone (one made when it has none). */
    static List<String[]> defaultSubnets(Ec2Client ec2) {
        String vpc = ec2.describeVpcs(b -> b.filters(f -> f.name("isDefault").values("true"))).vpcs().stream()
                .filter(v -> Boolean.TRUE.equals(v.isDefault())).map(v -> v.vpcId()).findFirst()
                .orElseGet(() -> ec2.createDefaultVpc(b -> { }).vpc().vpcId());
        List<String[]> out = new ArrayList<>(ec2.describeSubnets(b -> b.filters(f -> f.name("vpc-id").values(vpc))).subnets().stream()
                .map(s -> new String[] {s.availabilityZone(), s.subnetId()}).sorted(java.util.Comparator.comparing((String[] a) -> a[0])).toList());
        if (out.isEmpty()) {
            var made = ec2.createSubnet(b -> b.vpcId(vpc).cidrBlock("172.31.0.0/20").availabilityZone("us-east-1a")).subnet();
            out.add(new String[] {made.availabilityZone(), made.subnetId()});
        }
        if (out.size() == 1) {
            var made = ec2.createSubnet(b -> b.vpcId(vpc).cidrBlock("172.31.16.0/20").availabilityZone("us-east-1b")).subnet();
            out.add(new String[] {made.availabilityZone(), made.subnetId()});
        }
        return out;
    }

    private static PathRound pathRound(HttpClient http, String apiUrl, String token, String group, Ec2Client ec2,
                                       DynamoFleetStore fleetStore, List<Object[]> spans) throws Exception {
        HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create(apiUrl + "/sessions"))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"image\":\"python:3.12\",\"resource_group\":\"" + group
                        + "\",\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\",\"cuda.device\":1}}")).build(), HttpResponse.BodyHandlers.ofString());
        if (created.statusCode() / 100 != 2) {
            throw new IllegalStateException("the session was refused: " + created.statusCode() + " " + created.body());
        }
        Map<String, Object> session = Json.readObjectUnchecked(created.body());
        String id = (String) session.get("id");
        Instant createdAt = Instant.parse((String) session.get("created_at"));
        Instant deadline = Instant.now().plusSeconds(90);
        Map<?, ?> provisioning = null;
        Instant visible = null;
        while (provisioning == null) {
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("no launch for session " + id + " within 90 s");
            }
            Thread.sleep(25);
            HttpResponse<String> got = http.send(HttpRequest.newBuilder(URI.create(apiUrl + "/sessions/" + id))
                    .header("Authorization", "Bearer " + token).GET().build(), HttpResponse.BodyHandlers.ofString());
            Object pending = Json.readObjectUnchecked(got.body()).get("pending");
            if (pending instanceof Map<?, ?> p && p.get("provisioning") instanceof Map<?, ?> pr && pr.get("since") != null) {
                provisioning = pr;
                visible = Instant.now();
            }
        }
        Instant since = Instant.parse((String) provisioning.get("since"));
        String instanceId = (String) provisioning.get("instance_id");
        Instance instance = ec2.describeInstances(b -> b.instanceIds(instanceId)).reservations().get(0).instances().get(0);
        String by;
        synchronized (spans) {
            by = spans.stream().filter(s -> !since.isBefore((Instant) s[1]) && !since.isAfter((Instant) s[2]))
                    .map(s -> ((String) s[0]).contains("Nudge") ? "nudge" : ((String) s[0]).contains("Tick") ? "tick" : (String) s[0])
                    .distinct().collect(Collectors.joining(", "));
        }
        // Teardown: the session destroyed, the instance terminated and its launch record closed, so the next round launches anew.
        http.send(HttpRequest.newBuilder(URI.create(apiUrl + "/sessions/" + id + "?forced=true"))
                .header("Authorization", "Bearer " + token).DELETE().build(), HttpResponse.BodyHandlers.ofString());
        ec2.terminateInstances(b -> b.instanceIds(instanceId));
        fleetStore.markTerminated(instanceId, Instant.now(), "bench-over");
        return new PathRound(createdAt, since, visible, instance.launchTime(), instanceId, by.isEmpty() ? "?" : by);
    }

    /** Until the group has had no live launch for 2 s (a launch a late pass made for the destroyed session is undone). */
    private static void waitQuiet(DynamoFleetStore fleetStore, Ec2Client ec2, String group) throws InterruptedException {
        Instant quietSince = Instant.now();
        Instant giveUp = Instant.now().plusSeconds(60);
        while (Duration.between(quietSince, Instant.now()).toMillis() < 2000) {
            List<LaunchRecord> live = fleetStore.live(group);
            if (!live.isEmpty()) {
                ec2.terminateInstances(b -> b.instanceIds(live.stream().map(LaunchRecord::instanceId).toList()));
                live.forEach(r -> fleetStore.markTerminated(r.instanceId(), Instant.now(), "bench-over"));
                quietSince = Instant.now();
            }
            if (Instant.now().isAfter(giveUp)) {
                throw new IllegalStateException("the group " + group + " did not become quiet within 60 s");
            }
            Thread.sleep(200);
        }
    }

    private static DirectRound directLaunch(Ec2Client ec2, String template, String subnet) {
        Instant start = Instant.now();
        long t = System.nanoTime();
        var answer = ec2.createFleet(b -> b.type(FleetType.INSTANT)
                .clientToken("bench-" + UUID.randomUUID())
                .launchTemplateConfigs(FleetLaunchTemplateConfigRequest.builder()
                        .launchTemplateSpecification(s -> s.launchTemplateId(template).version("$Latest"))
                        .overrides(o -> o.instanceType(TYPE).subnetId(subnet).priority(0.0).maxPrice("0.40"))
                        .build())
                .targetCapacitySpecification(c -> c.totalTargetCapacity(1).onDemandTargetCapacity(0).spotTargetCapacity(1)
                        .defaultTargetCapacityType(DefaultTargetCapacityType.SPOT))
                .spotOptions(s -> s.allocationStrategy(SpotAllocationStrategy.CAPACITY_OPTIMIZED_PRIORITIZED).maxTotalPrice("0.40"))
                .tagSpecifications(TagSpecification.builder().resourceType(ResourceType.INSTANCE)
                        .tags(Tag.builder().key("sluice:bench").value("fleet-reaction-direct").build()).build()));
        double ms = (System.nanoTime() - t) / 1e6;
        List<String> ids = answer.instances().stream().flatMap(i -> i.instanceIds().stream()).toList();
        if (ids.isEmpty()) {
            throw new IllegalStateException("the direct CreateFleet launched nothing: " + answer.errors());
        }
        Instance instance = ec2.describeInstances(b -> b.instanceIds(ids)).reservations().get(0).instances().get(0);
        ec2.terminateInstances(b -> b.instanceIds(ids));
        return new DirectRound(start, ms, instance.launchTime());
    }

    private static List<FallbackRound> fallback(Ec2Client ec2, String template, String stackName, List<String[]> subnets) throws IOException {
        List<FallbackRound> out = new ArrayList<>();
        try (CapacityFaultProxy proxy = new CapacityFaultProxy(LocalRuntime.endpoint(), TYPE)) {
            Ec2FleetDriver driver = new Ec2FleetDriver(Ec2FleetDriver.clientBuilder().endpointOverride(proxy.url()).build(), template,
                    stackName, Clock.systemUTC());
            String group = "bench-fallback-" + UUID.randomUUID().toString().substring(0, 6);
            FleetDriver.Candidate first = new FleetDriver.Candidate(TYPE, PurchaseOption.SPOT, subnets.get(0)[0], subnets.get(0)[1], 500_000);
            FleetDriver.Candidate second = new FleetDriver.Candidate(FALLBACK_TYPE, PurchaseOption.SPOT, subnets.get(1)[0], subnets.get(1)[1], 450_000);
            for (int i = 0; i < ROUNDS; i++) {
                long t = System.nanoTime();
                FleetDriver.LaunchOutcome outcome = driver.launch(new FleetDriver.LaunchRequest(group, group + "-" + i, List.of(first, second),
                        Map.of("sluice:bench", "fleet-reaction-fallback"), Duration.ofSeconds(25)));
                double ms = (System.nanoTime() - t) / 1e6;
                List<FleetDriver.Attempt> attempts = outcome.attempts();
                if (outcome.launched().isEmpty() || !outcome.launched().get().equals(second) || attempts.size() != 2) {
                    throw new IllegalStateException("the fallback did not launch " + FALLBACK_TYPE + " on its second attempt: " + attempts);
                }
                out.add(new FallbackRound(ms, ReactionMath.millis(attempts.get(0).at(), attempts.get(1).at()),
                        attempts.stream().map(a -> a.error().orElse("ok")).toList(), second.instanceType()));
                driver.terminate(List.of(outcome.instanceId().orElseThrow()));
            }
        }
        return out;
    }

    /**
     * Forwards EC2 calls to the emulator but answers CreateFleet for one instance type as EC2 does when its pool has no
     * capacity: HTTP 200 with the pool's InsufficientInstanceCapacity in {@code errorSet} and no instance (the same
     * answer Ec2FleetDriverIT's proxy gives).
     */
    static final class CapacityFaultProxy implements AutoCloseable {
        private final HttpServer server;
        private final ExecutorService executor;
        private final HttpClient http = HttpClient.newHttpClient();
        private final String target;
        private final String faultedType;

        CapacityFaultProxy(String target, String faultedType) throws IOException {
            this.target = target;
            this.faultedType = faultedType;
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            executor = Executors.newCachedThreadPool(r -> {
                Thread t = new Thread(r, "bench-ec2-fault-proxy");
                t.setDaemon(true);
                return t;
            });
            server.setExecutor(executor);
            server.createContext("/", this::handle);
            server.start();
        }

        URI url() {
            return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        }

        private void handle(HttpExchange ex) throws IOException {
            byte[] in = ex.getRequestBody().readAllBytes();
            Map<String, String> form = CreateFleetFaults.form(new String(in, StandardCharsets.UTF_8));
            String type = form.get("LaunchTemplateConfigs.1.Overrides.1.InstanceType");
            if ("CreateFleet".equals(form.get("Action")) && faultedType.equals(type)) {
                String lifecycle = "spot".equals(form.get("TargetCapacitySpecification.DefaultTargetCapacityType")) ? "spot" : "on-demand";
                byte[] body = CreateFleetFaults.errorSet(form, type, form.get("LaunchTemplateConfigs.1.Overrides.1.SubnetId"), lifecycle,
                        "InsufficientInstanceCapacity").getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().add("Content-Type", "text/xml;charset=UTF-8");
                ex.sendResponseHeaders(200, body.length);
                ex.getResponseBody().write(body);
                ex.close();
                return;
            }
            HttpResponse<byte[]> r = Forwarding.send(http, target + ex.getRequestURI(), ex, in, Forwarding.ALL_BUT_HOP_BY_HOP);
            Forwarding.answer(ex, r.statusCode(), r.body(), r.headers().firstValue("Content-Type").orElse("text/xml"));
        }

        @Override
        public void close() {
            server.stop(0);
            executor.shutdownNow();
        }
    }
}
