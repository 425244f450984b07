package dev.sluice.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.sluice.adapters.aws.AwsClients;
import dev.sluice.adapters.ec2.Ec2FleetDriver;
import dev.sluice.core.fleet.PurchaseOption;
import dev.sluice.core.port.FleetDriver.Attempt;
import dev.sluice.core.port.FleetDriver.Candidate;
import dev.sluice.core.port.FleetDriver.FleetInstance;
import dev.sluice.core.port.FleetDriver.LaunchOutcome;
import dev.sluice.core.port.FleetDriver.LaunchRequest;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.Tag;

/**
 * The EC2 Fleet driver over the wire against the emulator's EC2, with the stack's own launch template, run as the
 * scheduler function (so its calls are in the IAM contract's recording). Capacity errors, which the emulator never
 * gives, come from a proxy between the driver's SDK client and the emulator that answers CreateFleet for chosen pools
 * as EC2 does: an instant fleet's 200 with the pool's error in {@code errorSet} and no instance, or an error response
 * for the whole call. Everything else it forwards, and it records every call.
 */
class Ec2FleetDriverIT {
    private static LocalStack local;
    private static Ec2Client direct;
    private static String tick;
    private static String subnetA;
    private static String subnetB;
    private static FaultProxy proxy;
    private static Ec2FleetDriver driver;
    private static final List<String> LAUNCHED = new CopyOnWriteArrayList<>();

    /** How the proxy answers CreateFleet for one pool. */
    record Fault(String instanceType, String subnetId, int status, String code, Duration delay, boolean forward) {
        static Fault errorSet(String type, String subnet, String code) {
            return new Fault(type, subnet, 200, code, Duration.ZERO, false);
        }

        static Fault error(String type, String subnet, int status, String code) {
            return new Fault(type, subnet, status, code, Duration.ZERO, false);
        }

        static Fault slow(String type, Duration delay) {
            return new Fault(type, null, 200, "InsufficientInstanceCapacity", delay, false);
        }

        /** The call reaches EC2 (the instance launches) but its answer comes too late for the caller. */
        static Fault lateAnswer(String type, Duration delay) {
            return new Fault(type, null, 0, null, delay, true);
        }

        boolean matches(String type, String subnet) {
            return instanceType.equals(type) && (subnetId == null || subnetId.equals(subnet));
        }
    }

    /** One EC2 call the driver made, as the proxy saw it. */
    record Seen(String action, String instanceType, String subnetId, int status) {
    }

    /** Forwards the driver's EC2 calls to the emulator, but answers CreateFleet for the faulted pools itself. */
    static final class FaultProxy implements AutoCloseable {
        final List<Seen> seen = new CopyOnWriteArrayList<>();
        final List<Fault> faults = new CopyOnWriteArrayList<>();
        private final HttpServer server;
        private final HttpClient http = HttpClient.newHttpClient();
        private final String target;

        FaultProxy(String target) throws IOException {
            this.target = target;
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.setExecutor(Executors.newCachedThreadPool(r -> {
                Thread t = new Thread(r, "ec2-fault-proxy");
                t.setDaemon(true);
                return t;
            }));
            server.createContext("/", this::handle);
            server.start();
        }

        URI url() {
            return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        }

        List<Seen> createFleets() {
            return seen.stream().filter(s -> s.action().equals("CreateFleet")).toList();
        }

        private void handle(HttpExchange ex) throws IOException {
            byte[] in = ex.getRequestBody().readAllBytes();
            Map<String, String> form = dev.sluice.local.bench.CreateFleetFaults.form(new String(in, StandardCharsets.UTF_8));
            String action = form.getOrDefault("Action", "?");
            String type = form.get("LaunchTemplateConfigs.1.Overrides.1.InstanceType");
            String subnet = form.get("LaunchTemplateConfigs.1.Overrides.1.SubnetId");
            Optional<Fault> fault = action.equals("CreateFleet")
                    ? faults.stream().filter(f -> f.matches(type, subnet)).findFirst() : Optional.empty();
            if (fault.isPresent() && !fault.get().forward()) {
                Fault f = fault.get();
                seen.add(new Seen(action, type, subnet, f.status()));
                if (!f.delay().isZero()) {
                    try {
                        Thread.sleep(f.delay().toMillis());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                String lifecycle = "spot".equals(form.get("TargetCapacitySpecification.DefaultTargetCapacityType")) ? "spot" : "on-demand";
                respond(ex, f.status(), f.status() == 200 ? dev.sluice.local.bench.CreateFleetFaults.errorSet(form, type, subnet, lifecycle, f.code())
                        : dev.sluice.local.bench.CreateFleetFaults.errorResponse(f.code(), type));
                return;
            }
            HttpResponse<byte[]> r = dev.sluice.local.bench.Forwarding.send(http, target + ex.getRequestURI(), ex, in,
                    dev.sluice.local.bench.Forwarding.ALL_BUT_HOP_BY_HOP);
            seen.add(new Seen(action, type, subnet, r.statusCode()));
            if (fault.isPresent()) {
                try {
                    Thread.sleep(fault.get().delay().toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            ex.getResponseHeaders().add("Content-Type", r.headers().firstValue("Content-Type").orElse("text/xml"));
            try {
                ex.sendResponseHeaders(r.statusCode(), r.body().length == 0 ? -1 : r.body().length);
                if (r.body().length > 0) {
                    ex.getResponseBody().write(r.body());
                }
            } catch (IOException gone) {
                // The client gave up waiting (the late answer): nothing to answer.
            }
            ex.close();
        }

        private static void respond(HttpExchange ex, int status, String body) throws IOException {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "text/xml;charset=UTF-8");
            try {
                ex.sendResponseHeaders(status, bytes.length);
                ex.getResponseBody().write(bytes);
            } catch (IOException gone) {
                // The client gave up waiting (the slow fault): nothing to answer.
            }
            ex.close();
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    @BeforeAll
    static void stack() throws Exception {
        local = LocalStack.get();
        tick = local.functionNamed("SchedulerTickFunction");
        Map<String, String> env = local.functions.bindings().get(tick).environment();
        String template = env.get(Ec2FleetDriver.LAUNCH_TEMPLATE_ENV);
        assertThat(template).as("the stack's agent launch template, in the scheduler function's environment").startsWith("lt-");
        direct = Ec2Client.builder().httpClient(AwsClients.httpClient()).build();
        String vpc = direct.createVpc(b -> b.cidrBlock("10.42.0.0/16")).vpc().vpcId();
        subnetA = direct.createSubnet(b -> b.vpcId(vpc).cidrBlock("10.42.1.0/24").availabilityZone("us-east-1a")).subnet().subnetId();
        subnetB = direct.createSubnet(b -> b.vpcId(vpc).cidrBlock("10.42.2.0/24").availabilityZone("us-east-1b")).subnet().subnetId();
        proxy = new FaultProxy(local.endpoint);
        driver = new Ec2FleetDriver(Ec2FleetDriver.clientBuilder().endpointOverride(proxy.url()).build(), template,
                env.get(Ec2FleetDriver.STACK_ENV), Clock.systemUTC());
    }

    @AfterAll
    static void cleanUp() {
        if (!LAUNCHED.isEmpty()) {
            driver.terminate(LAUNCHED);
        }
        if (proxy != null) {
            proxy.close();
        }
    }

    @BeforeEach
    void noFaults() {
        proxy.faults.clear();
    }

    /** Runs the driver as the scheduler tick function runs it, so that its AWS calls are recorded as that function's. */
    private static <T> T asScheduler(Supplier<T> work) throws Exception {
        AtomicReference<T> out = new AtomicReference<>();
        FunctionHost.runAs(tick, () -> out.set(work.get()));
        return out.get();
    }

    private static LaunchOutcome launch(String group, String ref, Duration budget, Candidate... candidates) throws Exception {
        LaunchOutcome outcome = asScheduler(() -> driver.launch(new LaunchRequest(group, ref, List.of(candidates), Map.of("sluice:demo", "yes"), budget)));
        outcome.instanceId().ifPresent(LAUNCHED::add);
        return outcome;
    }

    private static String group() {
        return "ec2-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static List<String> codes(LaunchOutcome outcome) {
        return outcome.attempts().stream().map(a -> a.error().orElse("ok")).toList();
    }

    @Test
    void aLaunchMakesOneTaggedInstanceThatTheGroupListsOnceEvenWhenRepeatedAndTerminateRemoves() throws Exception {
        String group = group();
        Candidate g5 = new Candidate("g5.xlarge", PurchaseOption.SPOT, "us-east-1a", subnetA, 500_000);

        LaunchOutcome outcome = launch(group, group + "-1", Duration.ofSeconds(25), g5);

        assertThat(outcome.instanceId()).isPresent();
        assertThat(outcome.launched()).contains(g5);
        assertThat(outcome.attempts()).singleElement().satisfies(a -> {
            assertThat(a.error()).isEmpty();
            assertThat(a.candidate()).isEqualTo(g5);
        });
        String id = outcome.instanceId().get();
        Instance instance = direct.describeInstances(b -> b.instanceIds(id)).reservations().get(0).instances().get(0);
        assertThat(instance.instanceTypeAsString()).isEqualTo("g5.xlarge");
        assertThat(instance.subnetId()).isEqualTo(subnetA);
        assertThat(instance.tags().stream().collect(Collectors.toMap(Tag::key, Tag::value))).containsAllEntriesOf(Map.of(
                "sluice:resource-group", group, "sluice:launch-ref", group + "-1", "sluice:purchase-option", "spot",
                "sluice:stack", local.stack.name(), "sluice:demo", "yes", "Name", "sluice-agent"));

        List<FleetInstance> listed = asScheduler(() -> driver.instances(group));
        assertThat(listed).singleElement().satisfies(i -> {
            assertThat(i.instanceId()).isEqualTo(id);
            assertThat(i.group()).isEqualTo(group);
            assertThat(i.instanceType()).isEqualTo("g5.xlarge");
            assertThat(i.option()).isEqualTo(PurchaseOption.SPOT);
            assertThat(i.zone()).startsWith("us-east-1");
            assertThat(i.state()).isIn("pending", "running");
            assertThat(i.launchedAt()).isNotNull();
        });

        // The same ref again (a pass that ran twice): the same instance, no second launch.
        int before = proxy.createFleets().size();
        LaunchOutcome again = launch(group, group + "-1", Duration.ofSeconds(25), g5);
        assertThat(again.instanceId()).contains(id);
        assertThat(proxy.createFleets()).hasSize(before);
        assertThat(asScheduler(() -> driver.instances(group))).hasSize(1);

        // An id EC2 does not know beside it does not keep it from being terminated.
        asScheduler(() -> {
            driver.terminate(List.of(id, "i-0123456789abcdef0"));
            return null;
        });
        assertThat(asScheduler(() -> driver.instances(group))).isEmpty();
        assertThat(direct.describeInstances(b -> b.instanceIds(id)).reservations().get(0).instances().get(0).state().nameAsString())
                .isIn("shutting-down", "terminated");
    }

    @Test
    void anInsufficientCapacityPoolInTheFleetsErrorSetFallsBackToTheNextTypeWellWithinThirtySeconds() throws Exception {
        String group = group();
        proxy.faults.add(Fault.errorSet("g5.xlarge", null, "InsufficientInstanceCapacity"));
        Candidate g5 = new Candidate("g5.xlarge", PurchaseOption.SPOT, "us-east-1a", subnetA, 500_000);
        Candidate g6 = new Candidate("g6.xlarge", PurchaseOption.SPOT, "us-east-1b", subnetB, 450_000);

        int before = proxy.createFleets().size();
        long started = System.nanoTime();
        LaunchOutcome outcome = launch(group, group + "-1", Duration.ofSeconds(25), g5, g6);
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        System.out.println("Ec2FleetDriverIT: fallback from g5.xlarge (InsufficientInstanceCapacity in errorSet) to g6.xlarge took "
                + took.toMillis() + " ms");

        assertThat(outcome.launched()).contains(g6);
        assertThat(codes(outcome)).containsExactly("InsufficientInstanceCapacity", "ok");
        Attempt first = outcome.attempts().get(0);
        assertThat(first.candidate()).isEqualTo(g5);
        assertThat(first.message()).contains("do not have sufficient g5.xlarge capacity");
        assertThat(first.at()).isBeforeOrEqualTo(outcome.attempts().get(1).at());
        assertThat(took).isLessThan(Duration.ofSeconds(30));
        assertThat(proxy.createFleets().subList(before, proxy.createFleets().size())).as("each pool asked once, in order")
                .extracting(Seen::instanceType).containsExactly("g5.xlarge", "g6.xlarge");
        String id = outcome.instanceId().orElseThrow();
        Instance instance = direct.describeInstances(b -> b.instanceIds(id)).reservations().get(0).instances().get(0);
        assertThat(instance.instanceTypeAsString()).isEqualTo("g6.xlarge");
        assertThat(instance.subnetId()).isEqualTo(subnetB);
    }

    @Test
    void anInsufficientCapacityErrorOfTheWholeCallFallsBackToTheNextZoneWithoutAnSdkRetry() throws Exception {
        String group = group();
        proxy.faults.add(Fault.error("g5.xlarge", subnetA, 500, "InsufficientInstanceCapacity"));
        Candidate inA = new Candidate("g5.xlarge", PurchaseOption.ON_DEMAND, "us-east-1a", subnetA, 0);
        Candidate inB = new Candidate("g5.xlarge", PurchaseOption.ON_DEMAND, "us-east-1b", subnetB, 0);

        int before = proxy.createFleets().size();
        long started = System.nanoTime();
        LaunchOutcome outcome = launch(group, group + "-1", Duration.ofSeconds(25), inA, inB);
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        System.out.println("Ec2FleetDriverIT: fallback from us-east-1a (InsufficientInstanceCapacity as an HTTP 500) to us-east-1b took "
                + took.toMillis() + " ms");

        assertThat(outcome.launched()).contains(inB);
        assertThat(codes(outcome)).containsExactly("InsufficientInstanceCapacity", "ok");
        assertThat(outcome.attempts().get(0).message()).contains("do not have sufficient g5.xlarge capacity");
        assertThat(took).isLessThan(Duration.ofSeconds(30));
        assertThat(proxy.createFleets().subList(before, proxy.createFleets().size()))
                .as("a capacity error is not retried by the SDK: the next zone is the faster way")
                .extracting(Seen::subnetId).containsExactly(subnetA, subnetB);
        String id = outcome.instanceId().orElseThrow();
        assertThat(direct.describeInstances(b -> b.instanceIds(id)).reservations().get(0).instances().get(0).subnetId()).isEqualTo(subnetB);
        assertThat(asScheduler(() -> driver.instances(group))).singleElement()
                .satisfies(i -> assertThat(i.option()).isEqualTo(PurchaseOption.ON_DEMAND));
    }

    @Test
    void whenEveryCandidateFailsNothingIsLaunchedAndEveryAttemptIsReported() throws Exception {
        String group = group();
        proxy.faults.add(Fault.errorSet("g5.xlarge", null, "InsufficientInstanceCapacity"));
        proxy.faults.add(Fault.errorSet("g6.xlarge", null, "SpotMaxPriceTooLow"));
        proxy.faults.add(Fault.error("g4dn.xlarge", null, 400, "MaxSpotInstanceCountExceeded"));
        List<Candidate> candidates = List.of(
                new Candidate("g5.xlarge", PurchaseOption.SPOT, "us-east-1a", subnetA, 500_000),
                new Candidate("g6.xlarge", PurchaseOption.SPOT, "us-east-1b", subnetB, 100_000),
                new Candidate("g4dn.xlarge", PurchaseOption.SPOT, "us-east-1a", subnetA, 300_000));

        LaunchOutcome outcome = launch(group, group + "-1", Duration.ofSeconds(25), candidates.toArray(Candidate[]::new));

        assertThat(outcome.instanceId()).isEmpty();
        assertThat(outcome.launched()).isEmpty();
        assertThat(codes(outcome)).containsExactly("InsufficientInstanceCapacity", "SpotMaxPriceTooLow", "MaxSpotInstanceCountExceeded");
        assertThat(outcome.attempts().stream().map(Attempt::candidate).toList()).isEqualTo(candidates);
        assertThat(asScheduler(() -> driver.instances(group))).isEmpty();
    }

    @Test
    void anErrorEveryCandidateWouldMeetStopsAtOnce() throws Exception {
        String group = group();
        proxy.faults.add(Fault.error("g5.xlarge", null, 403, "UnauthorizedOperation"));
        Candidate g5 = new Candidate("g5.xlarge", PurchaseOption.SPOT, "us-east-1a", subnetA, 500_000);
        Candidate g6 = new Candidate("g6.xlarge", PurchaseOption.SPOT, "us-east-1b", subnetB, 450_000);

        int before = proxy.createFleets().size();
        LaunchOutcome outcome = launch(group, group + "-1", Duration.ofSeconds(25), g5, g6);

        assertThat(outcome.instanceId()).isEmpty();
        assertThat(codes(outcome)).containsExactly("UnauthorizedOperation");
        assertThat(outcome.attempts().get(0).message()).contains("not authorized");
        assertThat(proxy.createFleets().subList(before, proxy.createFleets().size())).as("g6.xlarge never asked for")
                .singleElement().satisfies(s -> assertThat(s.instanceType()).isEqualTo("g5.xlarge"));
        assertThat(asScheduler(() -> driver.instances(group))).isEmpty();
    }

    @Test
    void aCallThatOutlastsTheBudgetEndsTheLaunchWhenTheBudgetIsSpent() throws Exception {
        String group = group();
        proxy.faults.add(Fault.slow("p4d.24xlarge", Duration.ofSeconds(6)));
        Candidate slow = new Candidate("p4d.24xlarge", PurchaseOption.ON_DEMAND, "us-east-1a", subnetA, 0);
        Candidate next = new Candidate("g5.xlarge", PurchaseOption.ON_DEMAND, "us-east-1b", subnetB, 0);
        int before = proxy.createFleets().size();

        long started = System.nanoTime();
        LaunchOutcome outcome = launch(group, group + "-1", Duration.ofMillis(1500), slow, next);
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        assertThat(outcome.instanceId()).isEmpty();
        assertThat(codes(outcome)).containsExactly("Timeout");
        assertThat(took).as("bounded by the budget, not by the 6 s the call would take").isLessThan(Duration.ofMillis(3000));
        assertThat(proxy.createFleets().subList(before, proxy.createFleets().size()))
                .as("no call for the next candidate once the budget is spent").noneMatch(s -> s.instanceType().equals("g5.xlarge"));
    }

    @Test
    void aCallWhoseAnswerIsLostButWhoseInstanceLaunchedIsFoundInsteadOfLaunchingTheNextCandidate() throws Exception {
        String group = group();
        proxy.faults.add(Fault.lateAnswer("g5.12xlarge", Duration.ofSeconds(7)));
        Candidate late = new Candidate("g5.12xlarge", PurchaseOption.ON_DEMAND, "us-east-1a", subnetA, 0);
        Candidate next = new Candidate("g6.xlarge", PurchaseOption.ON_DEMAND, "us-east-1b", subnetB, 0);
        int before = proxy.createFleets().size();

        long started = System.nanoTime();
        LaunchOutcome outcome = launch(group, group + "-1", Duration.ofSeconds(20), late, next);
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        System.out.println("Ec2FleetDriverIT: a CreateFleet answer lost after the launch: the instance found after " + took.toMillis() + " ms");

        assertThat(codes(outcome)).containsExactly("Timeout");
        assertThat(outcome.launched()).contains(late);
        String id = outcome.instanceId().orElseThrow();
        assertThat(direct.describeInstances(b -> b.instanceIds(id)).reservations().get(0).instances().get(0).instanceTypeAsString())
                .isEqualTo("g5.12xlarge");
        assertThat(proxy.createFleets().subList(before, proxy.createFleets().size())).as("the next candidate is not launched as well")
                .extracting(Seen::instanceType).containsExactly("g5.12xlarge");
        assertThat(asScheduler(() -> driver.instances(group))).hasSize(1);
        assertThat(took).as("one attempt's timeout (5 s) and a look").isBetween(Duration.ofSeconds(4), Duration.ofSeconds(10));
    }
}
