package dev.sluice.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.adapters.ControlPlane;
import dev.sluice.adapters.aws.AwsClients;
import dev.sluice.adapters.dynamodb.DynamoFleetStore;
import dev.sluice.core.fleet.FleetCatalog;
import dev.sluice.core.fleet.LaunchRecord;
import dev.sluice.core.group.ResourceGroup;
import dev.sluice.core.port.FleetDriver;
import dev.sluice.core.request.RequestFields;
import dev.sluice.core.usecase.FleetService;
import dev.sluice.core.usecase.SchedulingPass;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;

/**
 * The fleet following the queue through the emulator: a pass of a group with a catalog launches an instance (EC2
 * over the wire) for a session no agent takes, the session says provisioning with an ETA from the type's measured boot
 * times, then the instance's agent registers through the agent API, which joins the launch and records its boot
 * time, and the session is placed on it.
 */
class FleetPassIT {
    private final LocalStack local;
    private final ControlPlane plane;
    private final ApiClient api;
    private final DynamoFleetStore store;
    private final RunInstancesFleetDriver driver = new RunInstancesFleetDriver();

    FleetPassIT() throws Exception {
        local = LocalStack.get();
        plane = local.controlPlane();
        api = new ApiClient(local.apiUrl);
        store = new DynamoFleetStore(AwsClients.shared().dynamoDb(), local.functionEnvironment().get("FLEET_TABLE"));
    }

    private SchedulingPass fleetPass() {
        return plane.schedulingWith(new FleetService(plane.groupStore(), plane.agentStore(), store, driver, Clock.systemUTC(),
                () -> UUID.randomUUID().toString()));
    }

    /** Runs one pass under the group's lease (waiting while a nudged pass holds it). */
    private SchedulingPass.Result runPass(SchedulingPass pass, ResourceGroup group) throws InterruptedException {
        Instant deadline = Instant.now().plusSeconds(20);
        while (Instant.now().isBefore(deadline)) {
            List<SchedulingPass.Result> results = pass.runCoalesced(group, plane.passLease());
            if (!results.isEmpty()) {
                return results.get(0);
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the lease of " + group.name() + " stayed held for 20 s");
    }

    private ResourceGroup newGroup(String prefix) {
        String name = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        ResourceGroup g = ResourceGroup.fromDefinition(name, RequestFields.of(Map.of()), Instant.now(), Instant.now());
        plane.groupStore().put(g);
        return g;
    }

    private static FleetCatalog catalog(String type) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("name", type);
        t.put("slots", Map.of("cuda.device", 1, "cpu", 4, "mem", "16g"));
        t.put("purchase_options", List.of("spot", "on-demand"));
        t.put("spot_price", "0.40");
        t.put("on_demand_price", "1.006");
        t.put("max_instances", 4);
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("subnets", List.of(Map.of("zone", "us-east-1a", "subnet_id", "subnet-0123456789abcdef0"),
                Map.of("zone", "us-east-1b", "subnet_id", "subnet-0fedcba9876543210")));
        d.put("min_instances", 0);
        d.put("max_instances", 4);
        d.put("idle_duration", "10m");
        d.put("instance_types", List.of(t));
        return FleetCatalog.parse(RequestFields.of(d));
    }

    private String enqueue(String group, String token) {
        return api.post("/sessions", token, "{\"image\":\"python:3.12\",\"resource_group\":\"" + group
                + "\",\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\",\"cuda.device\":1}}").json().path("id").asText();
    }

    @Test
    void aPendingSessionLaunchesAnInstanceSaysProvisioningAndRunsOnItsAgentOnceItJoins() throws Exception {
        ResourceGroup group = newGroup("fleet");
        // a type of its own, with two measured boots: 60 s and 100 s, so the ETA is the request plus 80 s
        StringBuilder family = new StringBuilder("g");
        for (int i = 0; i < 6; i++) {
            family.append((char) ('a' + java.util.concurrent.ThreadLocalRandom.current().nextInt(26)));
        }
        String type = family + ".xlarge";
        assertThat(plane.groupStore().saveFleet(group.name(), catalog(type))).isTrue();
        store.recordBootTime(type, Duration.ofSeconds(60), Instant.now());
        store.recordBootTime(type, Duration.ofSeconds(100), Instant.now());
        String token = local.token("fleet-user");
        String id = enqueue(group.name(), token);
        local.awaitPassOver(group.name(), Duration.ofSeconds(15)); // the nudged pass (no fleet driver in the functions here)
        // (where the functions have a fleet driver, the nudged pass may have launched already: then ours launches nothing more)
        JsonNode before = api.get("/sessions/" + id, token).json().path("pending");
        boolean launchedBefore = before.path("reason").asText().equals("provisioning");

        Instant passStart = Instant.now();
        SchedulingPass.Result result = runPass(fleetPass(), group);
        assertThat(result.placed()).isZero();

        // one instance in the emulator's EC2, tagged with the group and the launch's ref
        List<Instance> instances = driver.described(List.of(Filter.builder().name("tag:" + RunInstancesFleetDriver.GROUP_TAG)
                .values(group.name()).build()));
        assertThat(instances).hasSize(1);
        Instance instance = instances.get(0);
        String instanceId = instance.instanceId();
        assertThat(instance.instanceTypeAsString()).isEqualTo(type);
        assertThat(RunInstancesFleetDriver.tag(instance, RunInstancesFleetDriver.REF_TAG)).hasValueSatisfying(ref -> assertThat(ref).startsWith("launch-"));
        assertThat(RunInstancesFleetDriver.tag(instance, RunInstancesFleetDriver.OPTION_TAG)).contains("spot");
        LaunchRecord launched = store.find(instanceId).orElseThrow();
        assertThat(launched.group()).isEqualTo(group.name());
        assertThat(launched.sessionIds()).containsExactly(id);
        assertThat(launched.zone()).isEqualTo("us-east-1a");
        assertThat(launched.isLaunching()).isTrue();
        assertThat(store.live(group.name())).extracting(LaunchRecord::instanceId).containsExactly(instanceId);

        // the session says what is coming, in one explanation write of that pass
        JsonNode pending = api.get("/sessions/" + id, token).json().path("pending");
        assertThat(pending.path("reason").asText()).isEqualTo("provisioning");
        if (!launchedBefore) {
            assertThat(pending.path("retries").asInt()).as("one write per pass").isEqualTo(before.path("retries").asInt() + 1);
        }
        assertThat(pending.path("message").asText()).startsWith("waits for a " + type + " spot instance in us-east-1a (" + instanceId + "), requested ");
        JsonNode p = pending.path("provisioning");
        assertThat(p.path("instance_id").asText()).isEqualTo(instanceId);
        assertThat(p.path("instance_type").asText()).isEqualTo(type);
        assertThat(p.path("zone").asText()).isEqualTo("us-east-1a");
        assertThat(p.path("purchase_option").asText()).isEqualTo("spot");
        Instant since = Instant.parse(p.path("since").asText());
        assertThat(since).isEqualTo(launched.requestedAt());
        if (!launchedBefore) {
            assertThat(since).isBetween(passStart.minusSeconds(1), Instant.now());
        }
        assertThat(Instant.parse(p.path("eta").asText())).isEqualTo(since.plusSeconds(80));
        assertThat(pending.path("estimated_start").asText()).isEqualTo(p.path("eta").asText());

        // a second pass launches nothing more: the instance on the way takes the session
        runPass(fleetPass(), group);
        assertThat(driver.instances(group.name())).hasSize(1);

        // the instance's agent registers: the launch is joined and the type's boot time recorded, by the agent API
        String agentHeartbeat = "{\"resource_group\":\"" + group.name() + "\",\"available_slots\":{\"cpu\":\"4\",\"mem\":\"16g\","
                + "\"cuda.device\":\"1\"},\"architecture\":\"x86_64\",\"version\":\"0.1.0\",\"compute_plugins\":{},\"running\":[]}";
        assertThat(api.post("/agent/heartbeat", local.agentToken(instanceId), agentHeartbeat).status()).isEqualTo(200);
        LaunchRecord joined = store.find(instanceId).orElseThrow();
        assertThat(joined.joinedAt()).isPresent();
        List<Duration> boots = store.bootTimes(type);
        assertThat(boots).hasSize(3);
        assertThat(boots.get(2).toMillis()).as("request to first heartbeat, in ms").isEqualTo(Duration.between(joined.requestedAt(), joined.joinedAt().get()).toMillis());
        assertThat(api.post("/agent/heartbeat", local.agentToken(instanceId), agentHeartbeat).status()).isEqualTo(200);
        assertThat(store.bootTimes(type)).as("a later heartbeat measures nothing again").hasSize(3);

        // the session is placed on it (by the pass the registration nudges, or by ours)
        Instant deadline = Instant.now().plusSeconds(20);
        JsonNode session = api.get("/sessions/" + id, token).json();
        while (session.path("status").asText().equals("PENDING") && Instant.now().isBefore(deadline)) {
            runPass(fleetPass(), group);
            session = api.get("/sessions/" + id, token).json();
        }
        assertThat(session.path("status").asText()).isEqualTo("SCHEDULED");
        assertThat(session.path("agent_id").asText()).isEqualTo(instanceId);
        assertThat(driver.instances(group.name())).as("nothing more was launched").hasSize(1);

        assertThat(api.call("DELETE", "/sessions/" + id + "?forced=true", token, null, Map.of()).status()).isEqualTo(200);
        driver.terminate(List.of(instanceId));
        store.markTerminated(instanceId, Instant.now(), "test-over");
    }

    @Test
    void aGroupWithoutACatalogLaunchesNothingAndKeepsItsReasons() throws Exception {
        ResourceGroup group = newGroup("nofleet");
        String token = local.token("fleet-user");
        String id = enqueue(group.name(), token);
        local.awaitPassOver(group.name(), Duration.ofSeconds(15));
        runPass(fleetPass(), group);
        assertThat(driver.instances(group.name())).isEmpty();
        assertThat(store.live(group.name())).isEmpty();
        assertThat(api.get("/sessions/" + id, token).json().path("pending").path("reason").asText()).isEqualTo("waiting-for-agent");
        assertThat(api.call("DELETE", "/sessions/" + id + "?forced=true", token, null, Map.of()).status()).isEqualTo(200);
    }

    private static String family() {
        StringBuilder f = new StringBuilder("g");
        for (int i = 0; i < 6; i++) {
            f.append((char) ('a' + java.util.concurrent.ThreadLocalRandom.current().nextInt(26)));
        }
        return f.toString();
    }

    private static Map<String, Object> type(String name, int gpus, String spot) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("name", name);
        t.put("slots", Map.of("cuda.device", gpus, "cpu", 4 * gpus, "mem", (16 * gpus) + "g"));
        t.put("purchase_options", List.of("spot"));
        t.put("spot_price", spot);
        t.put("max_instances", 4);
        return t;
    }

    private String enqueue(String group, String token, int gpus) {
        return api.post("/sessions", token, "{\"image\":\"python:3.12\",\"resource_group\":\"" + group
                + "\",\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\",\"cuda.device\":" + gpus + "}}").json().path("id").asText();
    }

    /** The live launch of {@code type} in the group, waiting for a pass (nudged or ours) to have made it. */
    private LaunchRecord launchOf(ResourceGroup group, String type) throws InterruptedException {
        Instant deadline = Instant.now().plusSeconds(20);
        while (Instant.now().isBefore(deadline)) {
            java.util.Optional<LaunchRecord> r = store.live(group.name()).stream().filter(x -> x.instanceType().equals(type)).findFirst();
            if (r.isPresent()) {
                return r.get();
            }
            runPass(fleetPass(), group);
        }
        throw new AssertionError("no " + type + " was launched in " + group.name());
    }

    private JsonNode awaitStatus(String id, String token, String status) throws InterruptedException {
        Instant deadline = Instant.now().plusSeconds(20);
        JsonNode s = api.get("/sessions/" + id, token).json();
        while (!s.path("status").asText().equals(status) && Instant.now().isBefore(deadline)) {
            Thread.sleep(200);
            s = api.get("/sessions/" + id, token).json();
        }
        assertThat(s.path("status").asText()).as(s.toString()).isEqualTo(status);
        return s;
    }

    @Test
    void anEmptiedLargeInstanceIsKeptFromASmallSessionWhichGetsACheaperInstanceOfItsOwn() throws Exception {
        ResourceGroup group = newGroup("rightsize");
        String small = family() + ".xlarge";
        String large = family() + ".24xlarge";
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("subnets", List.of(Map.of("zone", "us-east-1a", "subnet_id", "subnet-0123456789abcdef0")));
        d.put("max_instances", 4);
        d.put("instance_types", List.of(type(small, 1, "0.40"), type(large, 8, "12.00")));
        assertThat(plane.groupStore().saveFleet(group.name(), FleetCatalog.parse(RequestFields.of(d)))).isTrue();
        String token = local.token("fleet-user");

        // An 8-GPU session launches the large type; its agent joins and runs it; the session ends.
        String big = enqueue(group.name(), token, 8);
        LaunchRecord largeLaunch = launchOf(group, large);
        assertThat(largeLaunch.sessionIds()).containsExactly(big);
        String agentId = largeLaunch.instanceId();
        String heartbeat = "{\"resource_group\":\"" + group.name() + "\",\"available_slots\":{\"cpu\":\"32\",\"mem\":\"128g\","
                + "\"cuda.device\":\"8\"},\"architecture\":\"x86_64\",\"version\":\"0.1.0\",\"compute_plugins\":{},\"running\":[]}";
        assertThat(api.post("/agent/heartbeat", local.agentToken(agentId), heartbeat).status()).isEqualTo(200);
        runPass(fleetPass(), group);
        assertThat(awaitStatus(big, token, "SCHEDULED").path("agent_id").asText()).isEqualTo(agentId);
        assertThat(api.call("DELETE", "/sessions/" + big + "?forced=true", token, null, Map.of()).status()).isEqualTo(200);
        assertThat(plane.agentStore().find(agentId).orElseThrow().occupiedSlots().isEmpty()).isTrue();

        // A 1-GPU session: the empty large agent, launched for another session, does not take it; a small instance
        // is launched for it, and the session says so.
        String one = enqueue(group.name(), token, 1);
        LaunchRecord smallLaunch = launchOf(group, small);
        assertThat(smallLaunch.sessionIds()).containsExactly(one);
        runPass(fleetPass(), group);
        JsonNode waiting = api.get("/sessions/" + one, token).json();
        assertThat(waiting.path("status").asText()).as(waiting.toString()).isEqualTo("PENDING");
        assertThat(waiting.path("pending").path("reason").asText()).isEqualTo("provisioning");
        assertThat(waiting.path("pending").path("provisioning").path("instance_type").asText()).isEqualTo(small);
        assertThat(plane.agentStore().find(agentId).orElseThrow().occupiedSlots().isEmpty()).as("the large agent holds nothing").isTrue();
        assertThat(store.live(group.name()).stream().filter(r -> r.instanceType().equals(small)).count()).as("one small launch").isEqualTo(1);

        // A large session still takes the large agent at once.
        String big2 = enqueue(group.name(), token, 6);
        runPass(fleetPass(), group);
        assertThat(awaitStatus(big2, token, "SCHEDULED").path("agent_id").asText()).isEqualTo(agentId);

        for (String id : List.of(one, big2)) {
            assertThat(api.call("DELETE", "/sessions/" + id + "?forced=true", token, null, Map.of()).status()).isEqualTo(200);
        }
        for (LaunchRecord r : store.live(group.name())) {
            driver.terminate(List.of(r.instanceId()));
            store.markTerminated(r.instanceId(), Instant.now(), "test-over");
        }
    }
}
