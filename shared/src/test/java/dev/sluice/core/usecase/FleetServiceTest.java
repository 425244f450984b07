package dev.sluice.core.usecase;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.agent.Agent;
import dev.sluice.core.agent.AgentStatus;
import dev.sluice.core.fleet.FleetCatalog;
import dev.sluice.core.fleet.LaunchRecord;
import dev.sluice.core.fleet.PurchaseOption;
import dev.sluice.core.json.JsonObject;
import dev.sluice.core.port.FleetDriver;
import dev.sluice.core.port.ResourceGroupStore;
import dev.sluice.core.request.RequestFields;
import dev.sluice.core.scheduler.PendingExplanation;
import dev.sluice.core.scheduler.SchedulingPlan;
import dev.sluice.core.session.Session;
import dev.sluice.core.session.SessionSpec;
import dev.sluice.core.slots.ResourceSlots;
import dev.sluice.core.usecase.FleetTestDoubles.MemAgentStore;
import dev.sluice.core.usecase.FleetTestDoubles.MemFleetStore;
import dev.sluice.core.usecase.FleetTestDoubles.MovableClock;
import dev.sluice.core.usecase.FleetTestDoubles.RecordingDriver;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The fleet's reaction to a pass, over in-memory ports and a recording driver. */
class FleetServiceTest {
    static final Instant T0 = Instant.parse("2026-12-03T12:00:00Z");
    static final String GROUP = "elastic";

    final MovableClock clock = new MovableClock(T0);
    final MemFleetStore store = new MemFleetStore();
    final MemAgentStore agents = new MemAgentStore();
    final RecordingDriver driver = new RecordingDriver();
    final AtomicInteger ids = new AtomicInteger();
    final FleetService fleet = new FleetService(null, agents, store, driver, clock, () -> "id" + ids.incrementAndGet());

    static Map<String, Object> type(String name, int gpus, String spot, String onDemand, int max) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("name", name);
        t.put("slots", Map.of("cuda.device", gpus, "cpu", gpus * 4, "mem", gpus * 16 + "g"));
        t.put("purchase_options", List.of("spot", "on-demand"));
        t.put("spot_price", spot);
        t.put("on_demand_price", onDemand);
        t.put("max_instances", max);
        return t;
    }

    static FleetCatalog catalog(int min, int max) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("subnets", List.of(Map.of("zone", "us-east-1a", "subnet_id", "subnet-0123456789abcdef0"),
                Map.of("zone", "us-east-1b", "subnet_id", "subnet-0fedcba9876543210")));
        d.put("min_instances", min);
        d.put("max_instances", max);
        d.put("idle_duration", "10m");
        d.put("instance_types", List.of(type("g5.xlarge", 1, "0.40", "1.006", max), type("g5.12xlarge", 4, "1.40", "5.672", max)));
        return FleetCatalog.parse(RequestFields.of(d));
    }

    static Session session(String id, int gpus) {
        Map<String, Object> body = new HashMap<>();
        body.put("image", "python:3.12");
        body.put("resource_slots", Map.of("cuda.device", gpus, "cpu", 2, "mem", "8g"));
        return Session.enqueue(id, "owner", SessionSpec.parse(RequestFields.of(body), T0), GROUP, T0);
    }

    static SchedulingPlan.Deferral waiting(Session s) {
        return new SchedulingPlan.Deferral(s, new PendingExplanation(PendingExplanation.WAITING_FOR_CAPACITY, true,
                "no agent has room", List.of(), List.of(), Optional.empty()));
    }

    static SchedulingPlan plan(Session... pending) {
        List<SchedulingPlan.Deferral> d = new ArrayList<>();
        for (Session s : pending) {
            d.add(waiting(s));
        }
        return new SchedulingPlan(List.of(), List.of(), d, Optional.empty());
    }

    static ResourceSlots gpus(int n) {
        return ResourceSlots.parse(RequestFields.of(Map.of("cuda.device", n, "cpu", n * 4, "mem", n * 16 + "g")).at("slots"));
    }

    Agent agent(String id, int gpus, ResourceSlots occupied) {
        Agent a = new Agent(id, GROUP, AgentStatus.ALIVE, true, gpus(gpus), occupied, "x86_64", "test", Map.of(), T0, clock.instant());
        agents.put(a);
        return a;
    }

    /** A launch the fleet made earlier, joined at {@code joined} (or still launching) and idle since {@code idle}. */
    LaunchRecord launched(String id, Instant requested, Optional<Instant> joined, Optional<Instant> idle) {
        LaunchRecord r = new LaunchRecord(id, GROUP, "g5.xlarge", PurchaseOption.SPOT, "us-east-1a", "subnet-0123456789abcdef0",
                400_000, requested, List.of(), joined, idle, Optional.empty(), Optional.empty(), Optional.empty());
        store.recordLaunch(r);
        return r;
    }

    @Test
    void aSessionNoAgentTakesLaunchesAnInstanceFallingBackPastAnInsufficientCapacityAndSaysProvisioning() {
        driver.failing.add("g5.xlarge/spot/us-east-1a");
        Session s = session("s1", 1);
        var out = fleet.react(GROUP, catalog(0, 4), List.of(), plan(s));

        assertThat(driver.requests).hasSize(1);
        FleetDriver.LaunchRequest req = driver.requests.get(0);
        assertThat(req.group()).isEqualTo(GROUP);
        assertThat(req.budget()).isLessThanOrEqualTo(Duration.ofSeconds(25)).isPositive();
        assertThat(req.candidates().get(0)).isEqualTo(new FleetDriver.Candidate("g5.xlarge", PurchaseOption.SPOT, "us-east-1a",
                "subnet-0123456789abcdef0", 400_000));
        assertThat(req.candidates().get(1).zone()).isEqualTo("us-east-1b");
        // the record is what it launched as: the second candidate, in the other zone
        LaunchRecord r = store.find("i-1").orElseThrow();
        assertThat(r.zone()).isEqualTo("us-east-1b");
        assertThat(r.option()).isEqualTo(PurchaseOption.SPOT);
        assertThat(r.sessionIds()).containsExactly("s1");
        assertThat(r.requestedAt()).isEqualTo(T0);
        assertThat(r.isLaunching()).isTrue();

        PendingExplanation why = out.explanations().get("s1");
        assertThat(why.reason()).isEqualTo(PendingExplanation.PROVISIONING);
        assertThat(why.message()).isEqualTo("waits for a g5.xlarge spot instance in us-east-1b (i-1), requested at "
                + clockTime(T0) + ", expected by " + clockTime(T0.plusSeconds(120)) + " (no boot of the type measured yet: assumed 120 s)");
        assertThat(why.estimatedStart()).contains(T0.plus(FleetService.DEFAULT_BOOT_TIME));
        JsonObject p = (JsonObject) why.toStatusData(1, T0).json().get("provisioning").orElseThrow();
        assertThat(p.text("instance_id")).contains("i-1");
        assertThat(p.text("instance_type")).contains("g5.xlarge");
        assertThat(p.text("zone")).contains("us-east-1b");
        assertThat(p.text("purchase_option")).contains("spot");
        assertThat(p.text("since")).contains(T0.toString());
        assertThat(p.text("eta")).contains(T0.plusSeconds(120).toString());
    }

    @Test
    void theEtaIsTheMedianOfTheTypesBootTimesAndALaunchingInstanceIsNotLaunchedAgain() {
        store.recordBootTime("g5.xlarge", Duration.ofSeconds(60), T0);
        store.recordBootTime("g5.xlarge", Duration.ofSeconds(300), T0);
        store.recordBootTime("g5.xlarge", Duration.ofSeconds(90), T0);
        Session s = session("s1", 1);
        var first = fleet.react(GROUP, catalog(0, 4), List.of(), plan(s));
        clock.advance(Duration.ofSeconds(12));
        var out = fleet.react(GROUP, catalog(0, 4), List.of(), plan(s));

        assertThat(driver.requests).as("the instance on the way takes the session").hasSize(1);
        PendingExplanation why = out.explanations().get("s1");
        assertThat(why.reason()).isEqualTo(PendingExplanation.PROVISIONING);
        assertThat(why.message()).isEqualTo("waits for a g5.xlarge spot instance in us-east-1a (i-1), requested at " + clockTime(T0)
                + ", expected by " + clockTime(T0.plusSeconds(90)) + " (the median of its type's last 3 boots: 90 s)");
        assertThat(first.explanations().get("s1").message()).as("the same words a pass later: a burst of passes rewrites nothing")
                .isEqualTo(why.message());
        assertThat(why.estimatedStart()).contains(T0.plusSeconds(90));
        assertThat(FleetService.expectedBootTime(List.of(Duration.ofSeconds(10), Duration.ofSeconds(30)))).isEqualTo(Duration.ofSeconds(20));
    }

    @Test
    void whenNoCandidateLaunchesTheSessionKeepsItsReasonAndSaysSo() {
        for (String t : List.of("g5.xlarge", "g5.12xlarge")) {
            for (String o : List.of("spot", "on-demand")) {
                for (String z : List.of("us-east-1a", "us-east-1b")) {
                    driver.failing.add(t + "/" + o + "/" + z);
                }
            }
        }
        var out = fleet.react(GROUP, catalog(0, 4), List.of(), plan(session("s1", 1)));
        assertThat(store.records).isEmpty();
        assertThat(driver.requests.get(0).candidates()).hasSize(8);
        assertThat(out.explanations().get("s1").reason()).isEqualTo(PendingExplanation.WAITING_FOR_CAPACITY);
        assertThat(out.explanations().get("s1").message()).startsWith("no agent has room; no instance could be launched");
    }

    @Test
    void aSessionOverTheFleetsMaxSaysFleetAtMax() {
        launched("i-9", T0, Optional.empty(), Optional.empty());
        var out = fleet.react(GROUP, catalog(0, 1), List.of(), plan(session("s1", 1), session("s2", 1)));
        assertThat(driver.requests).isEmpty();
        assertThat(out.explanations().get("s1").reason()).isEqualTo(PendingExplanation.PROVISIONING);
        assertThat(out.explanations().get("s2").reason()).isEqualTo(PendingExplanation.FLEET_AT_MAX);
        assertThat(out.explanations().get("s2").waiting()).isTrue();
        assertThat(out.explanations().get("s2").message()).startsWith("no agent can take it and it needs 1 more instance");
    }

    @Test
    void anIdleAgentIsDrainedAfterIdleDurationThenTerminatedAtTheNextPassNeverABusyOne() {
        launched("i-1", T0.minusSeconds(3600), Optional.of(T0.minusSeconds(3500)), Optional.of(T0.minus(Duration.ofMinutes(11))));
        launched("i-2", T0.minusSeconds(3600), Optional.of(T0.minusSeconds(3500)), Optional.of(T0.minus(Duration.ofMinutes(5))));
        launched("i-3", T0.minusSeconds(3600), Optional.of(T0.minusSeconds(3500)), Optional.of(T0.minus(Duration.ofMinutes(30))));
        agent("i-1", 1, ResourceSlots.EMPTY);
        agent("i-2", 1, ResourceSlots.EMPTY);
        agent("i-3", 1, gpus(1)); // holds a session: its stale idle-since is cleared, it is never retired
        agent("static-1", 1, ResourceSlots.EMPTY); // not launched by the fleet: never retired

        var first = fleet.react(GROUP, catalog(0, 4), agents.inGroup(GROUP), plan());
        assertThat(first.drained()).containsExactly("i-1");
        assertThat(first.terminated()).isEmpty();
        assertThat(driver.terminated).as("drained, not yet terminated").isEmpty();
        assertThat(agents.find("i-1").orElseThrow().schedulable()).isFalse();
        assertThat(store.find("i-1").orElseThrow().drainingSince()).contains(T0);
        assertThat(store.find("i-3").orElseThrow().idleSince()).as("busy: cleared").isEmpty();
        assertThat(agents.find("i-3").orElseThrow().schedulable()).isTrue();

        clock.advance(Duration.ofSeconds(5));
        var second = fleet.react(GROUP, catalog(0, 4), agents.inGroup(GROUP), plan());
        assertThat(second.terminated()).containsExactly("i-1");
        assertThat(second.drained()).isEmpty();
        assertThat(driver.terminated).containsExactly("i-1");
        assertThat(store.find("i-1").orElseThrow().terminatedAt()).contains(T0.plusSeconds(5));
        assertThat(store.find("i-1").orElseThrow().endReason()).contains("retired");
        assertThat(store.live(GROUP)).extracting(LaunchRecord::instanceId).containsExactly("i-2", "i-3");
    }

    @Test
    void aDrainedAgentThatHoldsASessionIsNotTerminated() {
        launched("i-1", T0.minusSeconds(3600), Optional.of(T0.minusSeconds(3500)), Optional.of(T0.minus(Duration.ofMinutes(11))));
        agent("i-1", 1, ResourceSlots.EMPTY);
        fleet.react(GROUP, catalog(0, 4), agents.inGroup(GROUP), plan());
        assertThat(store.find("i-1").orElseThrow().drainingSince()).isPresent();
        // a placement that raced the drain got there first: the agent now holds a session
        Agent a = agents.find("i-1").orElseThrow();
        agents.put(new Agent(a.id(), GROUP, AgentStatus.ALIVE, false, a.availableSlots(), gpus(1), "x86_64", "test", Map.of(), T0, T0));
        clock.advance(Duration.ofMinutes(1));
        var out = fleet.react(GROUP, catalog(0, 4), agents.inGroup(GROUP), plan());
        assertThat(out.terminated()).isEmpty();
        assertThat(driver.terminated).isEmpty();
        assertThat(store.find("i-1").orElseThrow().terminatedAt()).isEmpty();
    }

    @Test
    void aDrainedInstanceWhoseTerminationFailsStaysLiveAndIsTriedAgain() {
        launched("i-1", T0.minusSeconds(3600), Optional.of(T0.minusSeconds(3500)), Optional.of(T0.minus(Duration.ofMinutes(11))));
        agent("i-1", 1, ResourceSlots.EMPTY);
        fleet.react(GROUP, catalog(0, 4), agents.inGroup(GROUP), plan());
        FleetService failing = new FleetService(null, agents, store, new RecordingDriver() {
            @Override
            public void terminate(List<String> ids) {
                throw new IllegalStateException("RequestLimitExceeded");
            }
        }, clock, () -> "x");
        clock.advance(Duration.ofSeconds(5));
        assertThat(failing.react(GROUP, catalog(0, 4), agents.inGroup(GROUP), plan()).terminated()).isEmpty();
        assertThat(store.live(GROUP)).extracting(LaunchRecord::instanceId).containsExactly("i-1");
        clock.advance(Duration.ofSeconds(5));
        // its agent is gone meanwhile (not in the group's agents any more): nothing can run there, it is terminated
        assertThat(fleet.react(GROUP, catalog(0, 4), List.of(), plan()).terminated()).containsExactly("i-1");
        assertThat(driver.terminated).containsExactly("i-1");
    }

    @Test
    void aPlacementOfThisPassMakesAnAgentBusyAndAnAgentPlacedOnIsNotRetired() {
        launched("i-1", T0.minusSeconds(3600), Optional.of(T0.minusSeconds(3500)), Optional.of(T0.minus(Duration.ofMinutes(11))));
        agent("i-1", 1, ResourceSlots.EMPTY);
        Session s = session("s1", 1);
        SchedulingPlan placed = new SchedulingPlan(List.of(new SchedulingPlan.Placement(s, List.of(new SchedulingPlan.Kernel("i-1", gpus(1))))),
                List.of(), List.of(), Optional.empty());
        var out = fleet.react(GROUP, catalog(0, 4), agents.inGroup(GROUP), placed);
        assertThat(out.drained()).isEmpty();
        assertThat(store.find("i-1").orElseThrow().idleSince()).isEmpty();
    }

    @Test
    void idleSinceIsSetWhenIdleClearedWhenBusyAndWrittenOnlyOnAChange() {
        launched("i-1", T0.minusSeconds(600), Optional.of(T0.minusSeconds(500)), Optional.empty());
        agent("i-1", 1, ResourceSlots.EMPTY);
        fleet.react(GROUP, catalog(0, 4), agents.inGroup(GROUP), plan());
        assertThat(store.find("i-1").orElseThrow().idleSince()).contains(T0);
        assertThat(store.idleWrites).isEqualTo(1);
        clock.advance(Duration.ofSeconds(30));
        fleet.react(GROUP, catalog(0, 4), agents.inGroup(GROUP), plan());
        assertThat(store.idleWrites).as("unchanged: no write").isEqualTo(1);
        assertThat(store.find("i-1").orElseThrow().idleSince()).contains(T0);
        agent("i-1", 1, gpus(1));
        fleet.react(GROUP, catalog(0, 4), agents.inGroup(GROUP), plan());
        assertThat(store.find("i-1").orElseThrow().idleSince()).isEmpty();
        assertThat(store.idleWrites).isEqualTo(2);
    }

    @Test
    void minInstancesAreLaunchedWhenBelowAndNotAgainOnceThere() {
        var out = fleet.react(GROUP, catalog(2, 4), List.of(), plan());
        assertThat(out.launched()).hasSize(2);
        assertThat(out.launched()).extracting(LaunchRecord::instanceType).containsOnly("g5.xlarge");
        assertThat(out.launched()).extracting(LaunchRecord::zone).containsExactly("us-east-1a", "us-east-1b");
        assertThat(out.launched()).allSatisfy(r -> assertThat(r.sessionIds()).isEmpty());
        clock.advance(Duration.ofSeconds(10));
        fleet.react(GROUP, catalog(2, 4), List.of(), plan());
        assertThat(driver.requests).hasSize(2);
    }

    @Test
    void minInstancesAreNeverRetiredBelow() {
        launched("i-1", T0.minusSeconds(3600), Optional.of(T0.minusSeconds(3500)), Optional.of(T0.minus(Duration.ofHours(1))));
        agent("i-1", 1, ResourceSlots.EMPTY);
        var out = fleet.react(GROUP, catalog(1, 4), agents.inGroup(GROUP), plan());
        assertThat(out.drained()).isEmpty();
        assertThat(driver.requests).isEmpty();
    }

    @Test
    void anInstanceWhoseAgentNeverJoinedIsTerminatedAfterTheJoinTimeout() {
        launched("i-1", T0.minus(FleetService.JOIN_TIMEOUT), Optional.empty(), Optional.empty());
        launched("i-2", T0.minusSeconds(60), Optional.empty(), Optional.empty());
        var out = fleet.react(GROUP, catalog(0, 4), List.of(), plan());
        assertThat(out.terminated()).containsExactly("i-1");
        assertThat(store.find("i-1").orElseThrow().endReason()).contains("never-joined");
        assertThat(store.find("i-2").orElseThrow().terminatedAt()).isEmpty();
    }

    @Test
    void anAgentJoiningMarksItsLaunchOnceAndRecordsTheBootTimeOnce() {
        launched("i-1", T0, Optional.empty(), Optional.empty());
        FleetService.agentJoined(store, "i-1", T0.plusSeconds(75));
        FleetService.agentJoined(store, "i-1", T0.plusSeconds(80));
        FleetService.agentJoined(store, "static-agent", T0.plusSeconds(80));
        assertThat(store.find("i-1").orElseThrow().joinedAt()).contains(T0.plusSeconds(75));
        assertThat(store.bootTimes("g5.xlarge")).containsExactly(Duration.ofSeconds(75));
    }

    @Test
    void anAgentThatRegisteredWithoutJoiningItsLaunchIsJoinedByThePassAtItsFirstContact() {
        launched("i-1", T0.minusSeconds(70), Optional.empty(), Optional.empty());
        agent("i-1", 1, ResourceSlots.EMPTY); // first contact T0
        var out = fleet.react(GROUP, catalog(0, 4), agents.inGroup(GROUP), plan(session("s1", 1)));
        assertThat(store.find("i-1").orElseThrow().joinedAt()).contains(T0);
        assertThat(store.bootTimes("g5.xlarge")).containsExactly(Duration.ofSeconds(70));
        assertThat(out.launched()).as("the agent is there: nothing launched for s1").isEmpty();
        assertThat(out.explanations()).doesNotContainKey("s1");
    }

    @Test
    void aGroupWithoutACatalogIsLeftAlone() {
        ResourceGroupStore groups = (ResourceGroupStore) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {ResourceGroupStore.class}, (proxy, method, args) -> {
                    if (method.getName().equals("fleet")) {
                        return Optional.empty();
                    }
                    throw new AssertionError("the fleet reads only the catalog: " + method.getName());
                });
        FleetService service = new FleetService(groups, agents, store, driver, clock, () -> "x");
        var group = dev.sluice.core.group.ResourceGroup.fromDefinition(GROUP, RequestFields.of(Map.of()), T0, T0);
        assertThat(service.afterPass(group, null, plan(session("s1", 1)), null, FleetReaction.NOTHING)).isEmpty();
        assertThat(driver.requests).isEmpty();
    }

    /** A batch session with {@code retry}, placed on {@code agentId} and RUNNING. */
    static Session runningWithRetry(String id, String agentId, boolean retriesOnSpot) {
        Map<String, Object> body = new HashMap<>();
        body.put("image", "python:3.12");
        body.put("type", "batch");
        body.put("startup_command", "train");
        body.put("resource_slots", Map.of("cuda.device", 1, "cpu", 2, "mem", "8g"));
        body.put("retry", Map.of("attempts", 3, "rules", List.of(Map.of("on", retriesOnSpot ? "spot-interrupted" : "agent-lost",
                "action", "retry"))));
        Session pending = Session.enqueue(id, "owner", SessionSpec.parse(RequestFields.of(body), T0), GROUP, T0);
        ResourceSlots one = ResourceSlots.parse(RequestFields.of(Map.of("cuda.device", 1, "cpu", 2, "mem", "8g")).at("s"));
        return dev.sluice.core.session.SessionChange.place(pending, List.of(new dev.sluice.core.session.Kernel(agentId, one)),
                        "scheduled", dev.sluice.core.session.StatusData.placed(List.of(agentId)), T0.plusSeconds(1)).next()
                .transitionTo(dev.sluice.core.session.SessionStatus.PREPARING, "preparing", dev.sluice.core.session.StatusData.NONE, T0.plusSeconds(2))
                .transitionTo(dev.sluice.core.session.SessionStatus.RUNNING, "running", dev.sluice.core.session.StatusData.NONE, T0.plusSeconds(3));
    }

    /** The sessions on each agent, the one question the fleet asks a session store. */
    static dev.sluice.core.port.SessionStore onAgents(Map<String, List<Session>> byAgent) {
        return (dev.sluice.core.port.SessionStore) java.lang.reflect.Proxy.newProxyInstance(FleetServiceTest.class.getClassLoader(),
                new Class<?>[] {dev.sluice.core.port.SessionStore.class}, (proxy, method, args) -> {
                    if (method.getName().equals("onAgent")) {
                        return byAgent.getOrDefault((String) args[0], List.of());
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }

    @Test
    void aWarningOfASpotInterruptionLaunchesTheReplacementOfTheSessionsItsRulesWillRetryAtOnceAndOnlyOnce() {
        Agent warned = agent("i-0aaaaaaaaaaaaaaaa", 1, gpus(1));
        warned = new Agent(warned.id(), warned.resourceGroup(), warned.status(), false, warned.availableSlots(), warned.occupiedSlots(),
                warned.architecture(), warned.version(), warned.computePlugins(), warned.firstContact(), warned.lastHeartbeat(),
                Optional.of(dev.sluice.core.agent.Interruption.warning(T0.plusSeconds(10))));
        Agent other = agent("i-0bbbbbbbbbbbbbbbb", 1, gpus(1));
        other = new Agent(other.id(), other.resourceGroup(), other.status(), false, other.availableSlots(), other.occupiedSlots(),
                other.architecture(), other.version(), other.computePlugins(), other.firstContact(), other.lastHeartbeat(),
                Optional.of(dev.sluice.core.agent.Interruption.warning(T0.plusSeconds(10))));
        Session retried = runningWithRetry("s-retry", warned.id(), true);
        Session notRetried = runningWithRetry("s-ends", other.id(), false);
        FleetService withSessions = new FleetService(null, agents, store, driver, clock, () -> "id" + ids.incrementAndGet(),
                Optional.of(onAgents(Map.of(warned.id(), List.of(retried), other.id(), List.of(notRetried)))));

        var out = withSessions.react(GROUP, catalog(0, 4), List.of(warned, other), plan());
        assertThat(driver.requests).as("one launch, for the session its rules will re-queue; none for the one that will end").hasSize(1);
        assertThat(out.launched()).singleElement().satisfies(r -> assertThat(r.sessionIds()).containsExactly("s-retry"));
        assertThat(out.explanations()).as("a running session gets no pending explanation").isEmpty();

        // The next pass (still running there, or back in the queue) takes the instance on its way: no second launch.
        withSessions.react(GROUP, catalog(0, 4), List.of(warned, other), plan());
        Session requeued = session("s-retry", 1);
        var later = withSessions.react(GROUP, catalog(0, 4), List.of(warned, other), plan(requeued));
        assertThat(driver.requests).hasSize(1);
        assertThat(later.explanations().get("s-retry").reason()).isEqualTo(PendingExplanation.PROVISIONING);
        // Without the session store (the old wiring), nothing is launched before the re-queue.
        assertThat(new FleetService(null, agents, new FleetTestDoubles.MemFleetStore(), new RecordingDriver(), clock, () -> "x")
                .react(GROUP, catalog(0, 4), List.of(warned, other), plan()).launched()).isEmpty();
    }

    @Test
    void aLostFleetAgentNoLongerCountsTowardTheLimitsAndItsInstanceIsTerminated() {
        launched("i-1", T0, Optional.of(T0.plusSeconds(60)), Optional.empty());
        Agent a = agent("i-1", 1, ResourceSlots.EMPTY);
        Agent lost = new Agent(a.id(), a.resourceGroup(), AgentStatus.LOST, a.schedulable(), a.availableSlots(), a.occupiedSlots(),
                a.architecture(), a.version(), a.computePlugins(), a.firstContact(), a.lastHeartbeat());
        // max_instances 1: counted as running, the dead instance would keep the waiting session at fleet-at-max for ever.
        var out = fleet.react(GROUP, catalog(0, 1), List.of(lost), plan(session("s1", 1)));
        assertThat(driver.terminated).containsExactly("i-1");
        assertThat(store.find("i-1").orElseThrow().endReason()).contains("agent-lost");
        assertThat(out.launched()).as("its room went with it: a new instance for the waiting session").hasSize(1);
        assertThat(out.explanations().get("s1").reason()).isEqualTo(PendingExplanation.PROVISIONING);
    }

    @Test
    void aLaunchThatCannotBeRecordedIsTerminatedAtOnceNeverLeftRunningUnknown() {
        FleetService failingStore = new FleetService(null, agents, new FleetTestDoubles.MemFleetStore() {
            @Override
            public synchronized boolean recordLaunch(LaunchRecord r) {
                throw new IllegalStateException("the fleet table is unreachable");
            }
        }, driver, clock, () -> "x");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> failingStore.react(GROUP, catalog(0, 4), List.of(), plan(session("s1", 1))))
                .hasMessageContaining("unreachable");
        assertThat(driver.requests).hasSize(1);
        assertThat(driver.terminated).as("the instance just launched").containsExactly("i-1");
    }

    @Test
    void aSessionItsRetryRulesKeepOffSpotGetsAnOnDemandLaunchOnly() {
        Map<String, Object> body = new HashMap<>();
        body.put("image", "python:3.12");
        body.put("type", "batch");
        body.put("startup_command", "train");
        body.put("resource_slots", Map.of("cuda.device", 1, "cpu", 2, "mem", "8g"));
        body.put("retry", Map.of("attempts", 3, "on_demand_after", 1, "rules", List.of(Map.of("on", "spot-interrupted", "action", "retry"))));
        Session twice = runningWithRetry("s-od", "i-0aaaaaaaaaaaaaaaa", true);
        Agent warned = agent("i-0aaaaaaaaaaaaaaaa", 1, gpus(1));
        warned = new Agent(warned.id(), warned.resourceGroup(), warned.status(), false, warned.availableSlots(), warned.occupiedSlots(),
                warned.architecture(), warned.version(), warned.computePlugins(), warned.firstContact(), warned.lastHeartbeat(),
                Optional.of(dev.sluice.core.agent.Interruption.warning(T0.plusSeconds(10))));
        Session odAfterOne = Session.enqueue("s-od", "owner", SessionSpec.parse(RequestFields.of(body), T0), GROUP, T0);
        // Placed and RUNNING on the warned agent, as runningWithRetry does, but with on_demand_after 1.
        ResourceSlots one = ResourceSlots.parse(RequestFields.of(Map.of("cuda.device", 1, "cpu", 2, "mem", "8g")).at("s"));
        Session running = dev.sluice.core.session.SessionChange.place(odAfterOne, List.of(new dev.sluice.core.session.Kernel(warned.id(), one)),
                        "scheduled", dev.sluice.core.session.StatusData.placed(List.of(warned.id())), T0.plusSeconds(1)).next()
                .transitionTo(dev.sluice.core.session.SessionStatus.PREPARING, "preparing", dev.sluice.core.session.StatusData.NONE, T0.plusSeconds(2))
                .transitionTo(dev.sluice.core.session.SessionStatus.RUNNING, "running", dev.sluice.core.session.StatusData.NONE, T0.plusSeconds(3));
        assertThat(twice.spec().retry().orElseThrow().onDemandAfter()).isEmpty();
        FleetService withSessions = new FleetService(null, agents, store, driver, clock, () -> "x",
                Optional.of(onAgents(Map.of(warned.id(), List.of(running)))));

        withSessions.react(GROUP, catalog(0, 4), List.of(warned), plan());
        assertThat(driver.requests).hasSize(1);
        assertThat(driver.requests.get(0).candidates()).isNotEmpty()
                .allSatisfy(c -> assertThat(c.option()).isEqualTo(PurchaseOption.ON_DEMAND));
    }

    @Test
    void holdsComeFromTheLaunchRecordsOfEmptyUndrainedAgentsWithWhatEachWasLaunchedForAndItsPurchaseOption() {
        FleetCatalog catalog = catalog(0, 10);
        Agent big = agent("i-0big0000000000000", 4, ResourceSlots.EMPTY);
        Agent warm = agent("i-0warm000000000000", 4, ResourceSlots.EMPTY);
        Agent draining = agent("i-0drain00000000000", 4, ResourceSlots.EMPTY);
        Agent busy = agent("i-0busy000000000000", 4, gpus(1));
        Agent onDemand = agent("i-0od00000000000000", 4, ResourceSlots.EMPTY);
        List<LaunchRecord> live = List.of(
                record(big.id(), PurchaseOption.SPOT, List.of("s-big"), Optional.empty()),
                record(warm.id(), PurchaseOption.SPOT, List.of(), Optional.empty()),
                record(draining.id(), PurchaseOption.SPOT, List.of("s-d"), Optional.of(T0)),
                record(busy.id(), PurchaseOption.ON_DEMAND, List.of("s-b"), Optional.empty()),
                record(onDemand.id(), PurchaseOption.ON_DEMAND, List.of("s-od"), Optional.empty()));
        List<dev.sluice.core.fleet.Demand> pending = List.of(new dev.sluice.core.fleet.Demand("s-small", gpus(1), 1));

        Map<String, dev.sluice.core.scheduler.PlacementHold> holds =
                FleetService.holds(catalog, live, List.of(big, warm, draining, busy, onDemand), pending);

        long[] one = gpus(1).microUnits();
        // Launched for s-big, empty: kept from the 1-GPU session a g5.xlarge holds, not from the one it was launched for.
        assertThat(holds.get(big.id()).refusesWhileEmpty("s-small", one)).isTrue();
        assertThat(holds.get(big.id()).refusesWhileEmpty("s-big", one)).isFalse();
        assertThat(holds.get(big.id()).spot()).isTrue();
        // Launched for no session (min_instances): no right-sizing hold, only the spot rule.
        assertThat(holds.get(warm.id()).refusesWhileEmpty("s-small", one)).isFalse();
        assertThat(holds.get(warm.id()).spot()).isTrue();
        // Draining: the pool places nothing there anyway; busy on-demand: nothing to hold.
        assertThat(holds).doesNotContainKeys(draining.id(), busy.id());
        assertThat(holds.get(onDemand.id()).spot()).isFalse();
        assertThat(holds.get(onDemand.id()).refusesWhileEmpty("s-small", one)).isTrue();
        // Pending kernels worth the large agent's price open it: four 1-GPU sessions cost at least one g5.12xlarge.
        List<dev.sluice.core.fleet.Demand> many = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            many.add(new dev.sluice.core.fleet.Demand("s-" + i, gpus(1), 1));
        }
        assertThat(FleetService.holds(catalog, live, List.of(big), many).get(big.id()).refusesWhileEmpty("s-0", one)).isFalse();
    }

    private static LaunchRecord record(String id, PurchaseOption option, List<String> launchedFor, Optional<Instant> draining) {
        return new LaunchRecord(id, GROUP, "g5.12xlarge", option, "us-east-1a", "subnet-0123456789abcdef0",
                option == PurchaseOption.SPOT ? 1_400_000 : 5_672_000, T0, launchedFor, Optional.of(T0), Optional.empty(),
                draining, Optional.empty(), Optional.empty());
    }

    private static String clockTime(java.time.Instant t) {
        return java.time.format.DateTimeFormatter.ofPattern("HH:mm:ss 'UTC'").withZone(java.time.ZoneOffset.UTC).format(t);
    }
}
