package dev.sluice.local;

import dev.sluice.core.json.JsonValue;
import dev.sluice.core.request.RequestFields;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.adapters.ControlPlane;
import dev.sluice.core.agent.Agent;
import dev.sluice.core.agent.AgentStatus;
import dev.sluice.core.group.ResourceGroup;
import dev.sluice.core.port.SessionStore;
import dev.sluice.core.session.Kernel;
import dev.sluice.core.scheduler.SchedulingPlan;
import dev.sluice.core.session.Session;
import dev.sluice.core.session.SessionBatch;
import dev.sluice.core.session.SessionChange;
import dev.sluice.core.usecase.PlanApplier;
import dev.sluice.core.session.SessionSpec;
import dev.sluice.core.session.SessionStatus;
import dev.sluice.core.slots.ResourceSlots;
import dev.sluice.core.usecase.SchedulingPass;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Scheduling through the emulator: event-triggered passes, and racing passes that never double-book. */
class SchedulerIT {

    private static String newGroup(ControlPlane plane, Map<String, Object> options) {
        String group = "sched-" + UUID.randomUUID().toString().substring(0, 8);
        plane.groupStore().put(ResourceGroup.fromDefinition(group, RequestFields.of(Map.of("scheduler_options", options)), Instant.now(), Instant.now()));
        return group;
    }

    private static void addAgent(ControlPlane plane, String id, String group, int gpus) {
        Instant now = Instant.now();
        plane.agentStore().put(new Agent(id, group, AgentStatus.ALIVE, true,
                ResourceSlots.parse(RequestFields.of(Map.of("cuda.device", gpus, "cpu", 64, "mem", "256g")).at("a")), ResourceSlots.EMPTY,
                "x86_64", "test", Map.of(), now, now));
    }

    @Test
    void anEnqueuedSessionIsScheduledByTheNudgeWithinSeconds() throws Exception {
        LocalStack local = LocalStack.get();
        ControlPlane plane = local.controlPlane();
        String group = newGroup(plane, Map.of());
        addAgent(plane, group + "-a1", group, 2);
        ApiClient api = new ApiClient(local.apiUrl);
        String token = local.token("sched-user");
        String id = api.post("/sessions", token, "{\"image\":\"python:3.12\",\"resource_group\":\"" + group
                + "\",\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\",\"cuda.device\":1}}").json().path("id").asText();
        Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
        String status = "PENDING";
        while (!status.equals("SCHEDULED") && Instant.now().isBefore(deadline)) {
            status = api.get("/sessions/" + id, token).json().path("status").asText();
            if (!status.equals("SCHEDULED")) {
                Thread.sleep(100);
            }
        }
        assertThat(status).isEqualTo("SCHEDULED");
        var session = api.get("/sessions/" + id, token).json();
        assertThat(session.path("agent_id").asText()).isEqualTo(group + "-a1");
        assertThat(session.path("occupied_slots").path("cuda.device").asText()).isEqualTo("1");
        Agent agent = plane.agentStore().find(group + "-a1").orElseThrow();
        assertThat(agent.occupiedSlots().get("cuda.device")).isEqualByComparingTo("1");

        assertThat(api.call("DELETE", "/sessions/" + id + "?forced=true", token, null, Map.of()).status()).isEqualTo(200);
        assertThat(plane.agentStore().find(group + "-a1").orElseThrow().occupiedSlots().get("cuda.device"))
                .as("a forced destroy gives the GPU back").isEqualByComparingTo("0");
    }

    /** The nudge invoked through the emulator's Lambda Invoke with an event as the bus would deliver it. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> nudge(LocalStack local, String source, String detailType, Map<String, Object> detail) {
        try (software.amazon.awssdk.services.lambda.LambdaClient lambda = software.amazon.awssdk.services.lambda.LambdaClient.builder().build()) {
            String event = dev.sluice.adapters.json.Json.write(Map.of("version", "0", "id", UUID.randomUUID().toString(),
                    "source", source, "detail-type", detailType, "account", "000000000000", "region", "us-east-1",
                    "time", Instant.now().toString().substring(0, 19) + "Z", "resources", List.of(), "detail", detail));
            var r = lambda.invoke(b -> b.functionName(local.functionNamed("SchedulerNudge"))
                    .payload(software.amazon.awssdk.core.SdkBytes.fromUtf8String(event)));
            String payload = r.payload().asUtf8String();
            assertThat(r.functionError()).as(payload).isNull();
            return dev.sluice.adapters.json.Json.readObjectUnchecked(payload);
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void aSessionsEndRunsAPassOnlyWhenSomethingWaitsInItsGroup() throws Exception {
        LocalStack local = LocalStack.get();
        ControlPlane plane = local.controlPlane();
        String group = newGroup(plane, Map.of());
        addAgent(plane, group + "-a1", group, 1);
        // Nothing waits: the end's nudge answers without a pass.
        Map<String, Object> idle = nudge(local, "sluice.sessions", "Session Status Changed", Map.of("status", "TERMINATED", "resource_group", group));
        assertThat(idle.get("passes")).isEqualTo(Map.of(group, "nothing pending"));
        // An enqueue is never skipped, nor an end while something waits.
        ApiClient api = new ApiClient(local.apiUrl);
        String token = local.token("sched-user");
        String first = api.post("/sessions", token, "{\"image\":\"python:3.12\",\"resource_group\":\"" + group
                + "\",\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\",\"cuda.device\":1}}").json().path("id").asText();
        assertThat(awaitStatus(plane, first, SessionStatus.SCHEDULED)).isEqualTo(SessionStatus.SCHEDULED);
        Session waiting = quietlyEnqueued(plane, group);
        assertThat(api.call("DELETE", "/sessions/" + first + "?forced=true", token, null, Map.of()).status()).isEqualTo(200);
        assertThat(awaitStatus(plane, waiting.id(), SessionStatus.SCHEDULED)).as("placed by the nudge of the first one's end")
                .isEqualTo(SessionStatus.SCHEDULED);
        Map<String, Object> busy = nudge(local, "sluice.sessions", "Session Status Changed", Map.of("status", "PENDING", "resource_group", group));
        assertThat(busy.get("passes")).as("an enqueue always runs a pass").isInstanceOf(Map.class);
        assertThat(((Map<String, Object>) busy.get("passes")).get(group)).isInstanceOf(List.class);
    }

    private static Session quietlyEnqueued(ControlPlane plane, String group) {
        Instant created = Instant.now();
        Session s = Session.enqueue(UUID.randomUUID().toString(), "quiet", SessionSpec.parse(RequestFields.of(Map.of("image", "python:3.12",
                "resource_slots", Map.of("cpu", 1, "mem", "1g", "cuda.device", 1))), created), group, created);
        assertThat(plane.sessionStore().create(s, Optional.empty())).isInstanceOf(SessionStore.CreateOutcome.Created.class);
        return s;
    }

    private static SessionStatus awaitStatus(ControlPlane plane, String id, SessionStatus wanted) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
        SessionStatus status = plane.sessionStore().find(id).orElseThrow().status();
        while (status != wanted && Instant.now().isBefore(deadline)) {
            Thread.sleep(100);
            status = plane.sessionStore().find(id).orElseThrow().status();
        }
        if (status != wanted) {
            throw new AssertionError("session " + id + " did not become " + wanted + " within 10 s; it is " + status);
        }
        return status;
    }

    @Test
    void aResourceGroupChangeOrAnAgentCapacityEventTriggersAPass() throws Exception {
        LocalStack local = LocalStack.get();
        ControlPlane plane = local.controlPlane();
        String group = newGroup(plane, Map.of());
        addAgent(plane, group + "-a1", group, 2);
        Session first = quietlyEnqueued(plane, group);
        assertThat(local.anyPassRan(group)).as("nothing triggered a pass yet").isFalse();
        assertThat(plane.sessionStore().find(first.id()).orElseThrow().status()).as("nothing triggered a pass yet").isEqualTo(SessionStatus.PENDING);
        assertThat(new ApiClient(local.apiUrl).call("PATCH", "/resource-groups/" + group, local.adminToken(),
                "{\"description\":\"more GPUs soon\"}", Map.of()).status()).isEqualTo(200);
        assertThat(awaitStatus(plane, first.id(), SessionStatus.SCHEDULED)).isEqualTo(SessionStatus.SCHEDULED);

        // The real producer of Agent Capacity Changed: an agent registering through the agent API.
        // The pass that placed the first one has ended: it cannot place the second, which nothing has triggered a pass for.
        local.awaitPassOver(group, Duration.ofSeconds(10));
        Session second = quietlyEnqueued(plane, group);
        assertThat(plane.sessionStore().find(second.id()).orElseThrow().status()).isEqualTo(SessionStatus.PENDING);
        String newcomer = group + "-a2";
        ApiClient.Reply registered = new ApiClient(local.apiUrl).post("/agent/heartbeat", local.agentToken(newcomer),
                AgentApiIT.heartbeat(group, "2", ""));
        assertThat(registered.status()).as(registered.body()).isEqualTo(200);
        assertThat(awaitStatus(plane, second.id(), SessionStatus.SCHEDULED)).isEqualTo(SessionStatus.SCHEDULED);
    }

    @Test
    void pendingSessionsSayWhyTheyWaitAndWhereTheyAreInTheQueue() throws Exception {
        LocalStack local = LocalStack.get();
        ControlPlane plane = local.controlPlane();
        String group = newGroup(plane, Map.of());
        addAgent(plane, group + "-a1", group, 1);
        ApiClient api = new ApiClient(local.apiUrl);
        String token = local.token("queue-user");
        List<String> ids = new ArrayList<>();
        for (String gpus : List.of("1", "1", "1", "8")) {
            ids.add(api.post("/sessions", token, "{\"image\":\"python:3.12\",\"resource_group\":\"" + group
                    + "\",\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\",\"cuda.device\":" + gpus + "}}").json().path("id").asText());
        }
        plane.scheduling().run(plane.groupStore().find(group).orElseThrow());
        var first = api.get("/sessions/" + ids.get(0), token).json();
        assertThat(first.path("status").asText()).isEqualTo("SCHEDULED");
        assertThat(first.has("pending")).isFalse();
        var second = api.get("/sessions/" + ids.get(1), token).json().path("pending");
        var third = api.get("/sessions/" + ids.get(2), token).json().path("pending");
        assertThat(second.path("reason").asText()).isEqualTo("waiting-for-capacity");
        assertThat(second.path("waiting").asBoolean()).isTrue();
        assertThat(second.path("queue_position").asInt()).isEqualTo(1);
        assertThat(third.path("queue_position").asInt()).isEqualTo(2);
        var never = api.get("/sessions/" + ids.get(3), token).json();
        assertThat(never.path("status_info").asText()).isEqualTo("no-available-instances");
        assertThat(never.path("pending").path("reason").asText()).isEqualTo("larger-than-any-agent");
        assertThat(never.path("pending").path("waiting").asBoolean()).isFalse();
        assertThat(never.path("pending").path("message").asText()).contains("never");
    }

    @Test
    void everyPassThatCannotPlaceAPendingSessionCountsATryAndWhenItWas() throws Exception {
        LocalStack local = LocalStack.get();
        ControlPlane plane = local.controlPlane();
        String group = newGroup(plane, Map.of());
        addAgent(plane, group + "-a1", group, 1);
        ApiClient api = new ApiClient(local.apiUrl);
        String token = local.token("retry-user");
        String body = "{\"image\":\"python:3.12\",\"resource_group\":\"" + group
                + "\",\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\",\"cuda.device\":1}}";
        String placed = api.post("/sessions", token, body).json().path("id").asText();
        plane.scheduling().run(plane.groupStore().find(group).orElseThrow());
        assertThat(api.get("/sessions/" + placed, token).json().path("status").asText()).isEqualTo("SCHEDULED");
        // The agent's one GPU is taken: this one waits for capacity, pass after pass.
        String id = api.post("/sessions", token, body).json().path("id").asText();
        List<Integer> retries = new ArrayList<>();
        List<Instant> tries = new ArrayList<>();
        for (int pass = 0; pass < 3; pass++) {
            plane.scheduling().run(plane.groupStore().find(group).orElseThrow());
            var pending = api.get("/sessions/" + id, token).json().path("pending");
            assertThat(pending.path("reason").asText()).isEqualTo("waiting-for-capacity");
            retries.add(pending.path("retries").asInt());
            tries.add(Instant.parse(pending.path("last_try").asText()));
            Thread.sleep(dev.sluice.core.usecase.SchedulingPass.REFRESH_UNCHANGED.toMillis() + 200);
        }
        assertThat(retries).as("retries after each pass").containsExactly(1, 2, 3);
        assertThat(tries).as("last_try after each pass").isSorted().doesNotHaveDuplicates();
        // A burst of passes (nudges) refreshes an unchanged reason once: no write per pass within the refresh window.
        plane.scheduling().run(plane.groupStore().find(group).orElseThrow());
        plane.scheduling().run(plane.groupStore().find(group).orElseThrow());
        assertThat(api.get("/sessions/" + id, token).json().path("pending").path("retries").asInt()).isEqualTo(4);
    }

    @Test
    void aUsersConcurrencyLimitFromTheirResourcePolicyHoldsTheSecondSession() throws Exception {
        LocalStack local = LocalStack.get();
        ControlPlane plane = local.controlPlane();
        String group = newGroup(plane, Map.of());
        addAgent(plane, group + "-a1", group, 8);
        ApiClient api = new ApiClient(local.apiUrl);
        String token = local.token("limited-" + UUID.randomUUID().toString().substring(0, 6));
        String first = api.post("/sessions", token, "{\"image\":\"python:3.12\",\"resource_group\":\"" + group
                + "\",\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\",\"cuda.device\":1}}").json().path("id").asText();
        String owner = api.get("/sessions/" + first, token).json().path("owner").asText();
        assertThat(api.put("/resource-policies/user:" + owner, local.adminToken(), "{\"max_concurrent_sessions\":1}").status()).isEqualTo(200);
        plane.scheduling().run(plane.groupStore().find(group).orElseThrow());
        String second = api.post("/sessions", token, "{\"image\":\"python:3.12\",\"resource_group\":\"" + group
                + "\",\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\",\"cuda.device\":1}}").json().path("id").asText();
        plane.scheduling().run(plane.groupStore().find(group).orElseThrow());
        assertThat(api.get("/sessions/" + first, token).json().path("status").asText()).isEqualTo("SCHEDULED");
        var held = api.get("/sessions/" + second, token).json();
        assertThat(held.path("status").asText()).isEqualTo("PENDING");
        assertThat(held.path("status_info").asText()).isEqualTo("predicate-checks-failed");
        assertThat(held.path("pending").path("reason").asText()).isEqualTo("waiting-for-quota");
        assertThat(held.path("status_data").path("failed_predicates").get(0).path("name").asText()).isEqualTo("concurrency");

        assertThat(api.call("DELETE", "/resource-policies/user:" + owner, local.adminToken(), null, Map.of()).status()).isEqualTo(200);
        plane.scheduling().run(plane.groupStore().find(group).orElseThrow());
        assertThat(api.get("/sessions/" + second, token).json().path("status").asText()).isEqualTo("SCHEDULED");
    }

    @Test
    void drfServesTheOwnerHoldingLessEvenWhenTheyHoldItElsewhere() throws Exception {
        ControlPlane plane = LocalStack.get().controlPlane();
        String heavy = "heavy-" + UUID.randomUUID().toString().substring(0, 6);
        String light = "light-" + UUID.randomUUID().toString().substring(0, 6);
        String elsewhere = newGroup(plane, Map.of());
        addAgent(plane, elsewhere + "-a1", elsewhere, 1);
        Instant t0 = Instant.now().minusSeconds(600);
        Session held = Session.enqueue(UUID.randomUUID().toString(), heavy, SessionSpec.parse(RequestFields.of(Map.of("image", "python:3.12",
                "resource_slots", Map.of("cpu", 1, "mem", "1g", "cuda.device", 1))), t0), elsewhere, t0);
        plane.sessionStore().create(held, Optional.empty());
        plane.scheduling().run(plane.groupStore().find(elsewhere).orElseThrow());
        assertThat(plane.sessionStore().find(held.id()).orElseThrow().status()).isEqualTo(SessionStatus.SCHEDULED);

        String fair = "drf-" + UUID.randomUUID().toString().substring(0, 8);
        plane.groupStore().put(ResourceGroup.fromDefinition(fair, RequestFields.of(Map.of("scheduler", "drf")), Instant.now(), Instant.now()));
        addAgent(plane, fair + "-a1", fair, 1);
        Session heavyWaits = Session.enqueue(UUID.randomUUID().toString(), heavy, SessionSpec.parse(RequestFields.of(Map.of("image", "python:3.12",
                "resource_slots", Map.of("cpu", 1, "mem", "1g", "cuda.device", 1))), t0.plusSeconds(1)), fair, t0.plusSeconds(1));
        Session lightGoes = Session.enqueue(UUID.randomUUID().toString(), light, SessionSpec.parse(RequestFields.of(Map.of("image", "python:3.12",
                "resource_slots", Map.of("cpu", 1, "mem", "1g", "cuda.device", 1))), t0.plusSeconds(2)), fair, t0.plusSeconds(2));
        plane.sessionStore().create(heavyWaits, Optional.empty());
        plane.sessionStore().create(lightGoes, Optional.empty());
        plane.scheduling().run(plane.groupStore().find(fair).orElseThrow());
        assertThat(plane.sessionStore().find(lightGoes.id()).orElseThrow().status()).isEqualTo(SessionStatus.SCHEDULED);
        assertThat(plane.sessionStore().find(heavyWaits.id()).orElseThrow().status()).isEqualTo(SessionStatus.PENDING);
    }

    @Test
    void racingPassesOverHundredsOfSessionsNeverDoubleBook() throws Exception {
        ControlPlane plane = LocalStack.get().controlPlane();
        String group = newGroup(plane, Map.of("agent_selection_strategy", "concentrated"));
        int agents = 12;
        for (int i = 0; i < agents; i++) {
            addAgent(plane, String.format("%s-a%02d", group, i), group, 4);
        }
        Instant base = Instant.now().minusSeconds(3600);
        int sessions = 240;
        for (int i = 0; i < sessions; i++) {
            Instant created = base.plusMillis(i);
            Map<String, Object> body = new HashMap<>(Map.of("image", "python:3.12",
                    "resource_slots", Map.of("cpu", 1, "mem", "1g", "cuda.device", 1 + (i % 3 == 0 ? 1 : 0))));
            Session s = Session.enqueue(UUID.randomUUID().toString(), "stress-" + (i % 7), SessionSpec.parse(RequestFields.of(body), created), group, created);
            assertThat(plane.sessionStore().create(s, Optional.empty())).isInstanceOf(SessionStore.CreateOutcome.Created.class);
        }

        int racers = 4;
        CyclicBarrier start = new CyclicBarrier(racers);
        ExecutorService pool = Executors.newFixedThreadPool(racers);
        List<Future<SchedulingPass.Result>> results = new ArrayList<>();
        ResourceGroup g = plane.groupStore().find(group).orElseThrow();
        for (int r = 0; r < racers; r++) {
            results.add(pool.submit(() -> {
                start.await();
                return plane.scheduling().run(g);
            }));
        }
        int placed = 0;
        for (Future<SchedulingPass.Result> f : results) {
            placed += f.get().placed();
        }
        pool.shutdown();
        // What lost a race is left pending for the next pass, which fills what is still free.
        placed += plane.scheduling().run(g).placed();

        Map<String, BigDecimal> heldByAgent = new HashMap<>();
        int scheduled = 0;
        for (Session s : allSessions(plane, group)) {
            if (s.status() == SessionStatus.SCHEDULED) {
                scheduled++;
                for (Kernel k : s.kernels()) {
                    heldByAgent.merge(k.agentId(), k.slots().get("cuda.device"), BigDecimal::add);
                }
            } else {
                assertThat(s.status()).isEqualTo(SessionStatus.PENDING);
                assertThat(s.statusData().fields()).as("a session left pending says why").containsKey("reason");
            }
        }
        assertThat(scheduled).as("what the passes placed is what is scheduled").isEqualTo(placed);
        BigDecimal total = BigDecimal.ZERO;
        for (Agent a : plane.agentStore().inGroup(group)) {
            BigDecimal held = heldByAgent.getOrDefault(a.id(), BigDecimal.ZERO);
            assertThat(held).as(a.id()).isLessThanOrEqualTo(new BigDecimal(4));
            assertThat(a.occupiedSlots().get("cuda.device")).as("the agent's own count matches its sessions").isEqualByComparingTo(held);
            total = total.add(held);
        }
        assertThat(total).as("every GPU is used: the queue is far longer than the capacity").isEqualByComparingTo(new BigDecimal(agents * 4));
    }

    /**
     * The largest multi-node session (50 kernels) is placed and released in one DynamoDB transaction of 100 items; one
     * of 51 kernels stored before creation refused it is explained and skipped, and the pass places the others.
     */
    @Test
    void theLargestMultiNodeSessionFitsOneTransactionAndABiggerOneNeverBreaksThePass() throws Exception {
        ControlPlane plane = LocalStack.get().controlPlane();
        String group = newGroup(plane, Map.of());
        int max = dev.sluice.core.session.SessionChange.MAX_KERNELS;
        for (int i = 0; i < max + 5; i++) {
            addAgent(plane, String.format("%s-a%02d", group, i), group, 1);
        }
        Instant created = Instant.now().minusSeconds(60);
        Map<String, Object> multi = Map.of("image", "python:3.12", "cluster_mode", "multi-node", "cluster_size", max,
                "resource_slots", Map.of("cpu", 1, "mem", "1g", "cuda.device", 1));
        SessionSpec largest = SessionSpec.parse(RequestFields.of(multi), created);
        SessionSpec tooBig = new SessionSpec(largest.name(), largest.type(), largest.image(), largest.requestedResourceGroup(),
                largest.requestedSlots(), largest.startupCommand(), largest.startsAt(), largest.batchTimeout(), largest.dependencies(),
                largest.priority(), largest.callbackUrl(), largest.clusterMode(), max + 1, largest.environment(), largest.mounts(),
                largest.tags(), largest.folderMounts());
        Session huge = Session.enqueue(UUID.randomUUID().toString(), "gang", tooBig, group, created);
        Session gang = Session.enqueue(UUID.randomUUID().toString(), "gang", largest, group, created.plusMillis(1));
        Session small = Session.enqueue(UUID.randomUUID().toString(), "gang", SessionSpec.parse(RequestFields.of(Map.of("image", "python:3.12",
                "resource_slots", Map.of("cpu", 1, "mem", "1g", "cuda.device", 1))), created), group, created.plusMillis(2));
        for (Session s : List.of(huge, gang, small)) {
            assertThat(plane.sessionStore().create(s, Optional.empty())).isInstanceOf(SessionStore.CreateOutcome.Created.class);
        }

        SchedulingPass.Result result = plane.scheduling().run(plane.groupStore().find(group).orElseThrow());

        assertThat(result.placed()).isEqualTo(2);
        Session placed = plane.sessionStore().find(gang.id()).orElseThrow();
        assertThat(placed.status()).isEqualTo(SessionStatus.SCHEDULED);
        assertThat(placed.kernels()).hasSize(max);
        assertThat(plane.sessionStore().find(small.id()).orElseThrow().status()).isEqualTo(SessionStatus.SCHEDULED);
        Session explained = plane.sessionStore().find(huge.id()).orElseThrow();
        assertThat(explained.status()).isEqualTo(SessionStatus.PENDING);
        assertThat(explained.statusData().fields()).containsEntry("reason", JsonValue.of("too-many-kernels"));
        assertThat(plane.agentStore().inGroup(group).stream().filter(a -> a.occupiedSlots().get("cuda.device").signum() > 0))
                .hasSize(max + 1);

        // Its release is one transaction of 100 items too: every agent gets its GPU back.
        dev.sluice.core.auth.Principal root = new dev.sluice.core.auth.Principal("root", "root", java.util.Set.of("admin"));
        plane.sessions().destroy(root, gang.id(), true);
        assertThat(plane.sessionStore().find(gang.id()).orElseThrow().status().occupiesSlots()).isFalse();
        assertThat(plane.agentStore().inGroup(group).stream().filter(a -> a.occupiedSlots().get("cuda.device").signum() > 0))
                .as("only the small session's agent").hasSize(1);
    }

    private static List<Session> enqueued(ControlPlane plane, String group, int n) {
        Instant base = Instant.now().minusSeconds(60);
        List<Session> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Session s = Session.enqueue(UUID.randomUUID().toString(), "batch", SessionSpec.parse(RequestFields.of(Map.of("image", "python:3.12",
                    "resource_slots", Map.of("cpu", 1, "mem", "1g", "cuda.device", 1))), base), group, base.plusMillis(i));
            assertThat(plane.sessionStore().create(s, Optional.empty())).isInstanceOf(SessionStore.CreateOutcome.Created.class);
            out.add(s);
        }
        return out;
    }

    private static final ResourceSlots ONE_GPU = ResourceSlots.parse(RequestFields.of(Map.of("cpu", 1, "mem", "1g", "cuda.device", 1)).at("s"));

    private static List<SchedulingPlan.Placement> onAgent(List<Session> sessions, String agent) {
        return sessions.stream().map(s -> new SchedulingPlan.Placement(s, List.of(new SchedulingPlan.Kernel(agent, ONE_GPU)))).toList();
    }

    private static BigDecimal gpusHeld(ControlPlane plane, String agent) {
        return plane.agentStore().find(agent).orElseThrow().occupiedSlots().get("cuda.device");
    }

    /**
     * A batch of placements on one agent is one transaction: every session written and one reservation on the agent
     * for their sum; a batch whose sum the agent no longer has free writes nothing at all.
     */
    @Test
    void aBatchOfPlacementsOnOneAgentIsOneTransactionConditionalOnTheirSum() throws Exception {
        ControlPlane plane = LocalStack.get().controlPlane();
        String group = newGroup(plane, Map.of());
        String agent = group + "-a";
        addAgent(plane, agent, group, 8);
        List<Session> pending = enqueued(plane, group, 8);
        Instant now = Instant.now();
        List<SessionChange> changes = pending.stream().map(s -> SessionChange.place(s, List.of(new Kernel(agent, ONE_GPU)), "scheduled",
                dev.sluice.core.session.StatusData.placed(List.of(agent)), now)).toList();

        SessionStore.BatchOutcome outcome = plane.sessionStore().applyAll(new SessionBatch(changes.subList(0, 5)));
        assertThat(outcome).isInstanceOf(SessionStore.BatchOutcome.Saved.class);
        for (Session s : pending.subList(0, 5)) {
            Session stored = plane.sessionStore().find(s.id()).orElseThrow();
            assertThat(stored.status()).isEqualTo(SessionStatus.SCHEDULED);
            assertThat(stored.kernels()).extracting(Kernel::agentId).containsExactly(agent);
        }
        assertThat(gpusHeld(plane, agent)).isEqualByComparingTo(new BigDecimal(5));

        // 3 GPUs are left: a batch of 2 fits; then a batch of 2 against the 1 left is refused whole.
        assertThat(plane.sessionStore().applyAll(new SessionBatch(List.of(changes.get(5), changes.get(6)))))
                .isInstanceOf(SessionStore.BatchOutcome.Saved.class);
        assertThat(gpusHeld(plane, agent)).isEqualByComparingTo(new BigDecimal(7));
        Session another = enqueued(plane, group, 1).get(0);
        assertThat(plane.sessionStore().applyAll(new SessionBatch(List.of(changes.get(7), SessionChange.place(another,
                List.of(new Kernel(agent, ONE_GPU)), "scheduled", dev.sluice.core.session.StatusData.placed(List.of(agent)), now)))))
                .as("2 GPUs asked, 1 free").isInstanceOf(SessionStore.BatchOutcome.Conflict.class);
        assertThat(gpusHeld(plane, agent)).isEqualByComparingTo(new BigDecimal(7));
        assertThat(plane.sessionStore().find(pending.get(7).id()).orElseThrow().status()).isEqualTo(SessionStatus.PENDING);
        assertThat(plane.sessionStore().find(another.id()).orElseThrow().status()).isEqualTo(SessionStatus.PENDING);
    }

    /** A session cancelled between the plan and the write: the batch is refused, the others are placed one by one. */
    @Test
    void aBatchWithASessionCancelledBeforeTheWriteStillPlacesTheOthers() throws Exception {
        ControlPlane plane = LocalStack.get().controlPlane();
        String group = newGroup(plane, Map.of());
        String agent = group + "-a";
        addAgent(plane, agent, group, 8);
        List<Session> pending = enqueued(plane, group, 4);
        List<SchedulingPlan.Placement> plan = onAgent(pending, agent);
        Session gone = pending.get(2);
        assertThat(plane.sessionStore().apply(SessionChange.update(gone.transitionTo(SessionStatus.CANCELLED, "user-requested",
                dev.sluice.core.session.StatusData.NONE, Instant.now()), SessionStatus.PENDING, gone.sequence())))
                .isInstanceOf(SessionStore.SaveOutcome.Saved.class);

        PlanApplier applier = new PlanApplier(plane.sessionStore(), plane.agentStore(), java.time.Clock.systemUTC(), 8);
        PlanApplier.Report report = applier.apply(plan, p -> { });

        assertThat(applier.batchesRefused()).isEqualTo(1);
        assertThat(report.placed()).extracting(p -> p.session().id())
                .containsExactlyInAnyOrder(pending.get(0).id(), pending.get(1).id(), pending.get(3).id());
        assertThat(report.retried()).isZero();
        assertThat(report.conflicted()).extracting(Session::id).containsExactly(gone.id());
        Session cancelled = plane.sessionStore().find(gone.id()).orElseThrow();
        assertThat(cancelled.status()).isEqualTo(SessionStatus.CANCELLED);
        assertThat(cancelled.kernels()).isEmpty();
        assertThat(gpusHeld(plane, agent)).isEqualByComparingTo(new BigDecimal(3));
    }

    /** A lane longer than a transaction holds is placed in chunks that each fit (99 sessions and the agent, then the rest). */
    @Test
    void aLaneLongerThanTheItemLimitIsPlacedInChunks() throws Exception {
        ControlPlane plane = LocalStack.get().controlPlane();
        String group = newGroup(plane, Map.of());
        String agent = group + "-a";
        Instant now = Instant.now();
        plane.agentStore().put(new Agent(agent, group, AgentStatus.ALIVE, true,
                ResourceSlots.parse(RequestFields.of(Map.of("cuda.device", 128, "cpu", 128, "mem", "1024g")).at("a")), ResourceSlots.EMPTY,
                "x86_64", "test", Map.of(), now, now));
        List<Session> pending = enqueued(plane, group, 120);

        PlanApplier applier = new PlanApplier(plane.sessionStore(), plane.agentStore(), java.time.Clock.systemUTC(), 8);
        PlanApplier.Report report = applier.apply(onAgent(pending, agent), p -> { });

        assertThat(report.placed()).hasSize(120);
        assertThat(report.conflicted()).isEmpty();
        assertThat(applier.batchesRefused()).isZero();
        assertThat(gpusHeld(plane, agent)).isEqualByComparingTo(new BigDecimal(120));
        assertThat(plane.sessionStore().pendingIn(group)).isEmpty();
    }

    private static List<Session> allSessions(ControlPlane plane, String group) {
        List<Session> out = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            String cursor = null;
            do {
                Map<String, String> params = new HashMap<>(Map.of("resource_group", group, "limit", "200", "owner", "stress-" + i));
                if (cursor != null) {
                    params.put("cursor", cursor);
                }
                var page = plane.sessions().list(dev.sluice.core.session.SessionQuery.parse(params,
                        new dev.sluice.core.auth.Principal("root", "root", java.util.Set.of("admin")), flag -> false));
                out.addAll(page.items());
                cursor = page.nextCursor().orElse(null);
            } while (cursor != null);
        }
        return out;
    }
}
