package dev.sluice.core.scheduler;

import static dev.sluice.core.scheduler.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.session.StatusData;
import dev.sluice.core.json.JsonObject;
import dev.sluice.core.json.JsonValue;
import dev.sluice.core.agent.Agent;
import dev.sluice.core.group.ResourceGroup;
import dev.sluice.core.session.Session;
import dev.sluice.core.session.SessionResult;
import dev.sluice.core.session.SessionSpec;
import dev.sluice.core.session.SessionStatus;
import dev.sluice.core.slots.ResourceSlots;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PlannerTest {
    private static final ResourceGroup FIFO = group("fifo", Map.of());

    private static List<String> placedIds(SchedulingPlan plan) {
        return plan.placements().stream().map(p -> p.session().id()).toList();
    }

    private static Map<String, String> placedOn(SchedulingPlan plan) {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        plan.placements().forEach(p -> m.put(p.session().id(), p.kernels().get(0).agentId()));
        return m;
    }

    private static PendingExplanation why(SchedulingPlan plan, String id) {
        return plan.deferrals().stream().filter(d -> d.session().id().equals(id)).findFirst().orElseThrow().explanation();
    }

    @Test
    void fifoPlacesTheOldestFirstAndBackfillsWhatFitsBehindWhatDoesNot() {
        Agent a = agent("a", slots("cuda.device", 4, "cpu", 16, "mem", "64g"));
        SchedulingPlan plan = Planner.plan(snapshot(FIFO, List.of(
                session("big", 30, slots("cuda.device", 8)),
                session("old", 20, slots("cuda.device", 3)),
                session("new", 10, slots("cuda.device", 2)),
                session("tiny", 5, slots("cuda.device", 1))), List.of(a)));
        assertThat(placedIds(plan)).containsExactly("old", "tiny");
        assertThat(why(plan, "big").reason()).isEqualTo(PendingExplanation.NEVER_FITS);
        assertThat(why(plan, "big").waiting()).isFalse();
        assertThat(why(plan, "new").reason()).isEqualTo(PendingExplanation.WAITING_FOR_CAPACITY);
        assertThat(why(plan, "new").message()).contains("cuda.device=2");
    }

    @Test
    void pendingMessagesShowMemoryAsItWasAskedFor() {
        Agent a = agent("a", slots("cuda.device", 1, "cpu", 16, "mem", "64g"));
        SchedulingPlan plan = Planner.plan(snapshot(FIFO, List.of(
                session("first", 20, slots("cuda.device", 1, "mem", "1g")),
                session("second", 10, slots("cuda.device", 1, "mem", "1g"))), List.of(a)));
        assertThat(why(plan, "second").message()).contains("mem=1g").doesNotContain("1073741824");
    }

    @Test
    void lifoPlacesTheNewestFirst() {
        Agent a = agent("a", slots("cuda.device", 2));
        SchedulingPlan plan = Planner.plan(snapshot(group("lifo", Map.of()), List.of(
                session("old", 20, slots("cuda.device", 2)), session("new", 10, slots("cuda.device", 2))), List.of(a)));
        assertThat(placedIds(plan)).containsExactly("new");
    }

    @Test
    void drfServesTheOwnerWithTheLowestDominantShareFirst() {
        Agent a = agent("a", slots("cuda.device", 4, "cpu", 100, "mem", "100g"));
        SchedulingSnapshot base = snapshot(group("drf", Map.of()), List.of(
                session("heavy-1", "heavy", 30, slots("cuda.device", 2), Map.of()),
                session("heavy-2", "heavy", 20, slots("cuda.device", 2), Map.of()),
                session("light-1", "light", 10, slots("cuda.device", 2), Map.of())), List.of(a));
        SchedulingSnapshot snap = new SchedulingSnapshot(base.group(), base.pending(), base.agents(),
                Map.of("heavy", new Usage(1, slots("cuda.device", 1), 2, ResourceSlots.EMPTY)), Usage.NONE, Usage.NONE,
                Map.of(), ResourcePolicy.UNLIMITED, ResourcePolicy.UNLIMITED, Map.of(), Optional.empty(), NOW);
        assertThat(placedIds(Planner.plan(snap))).containsExactly("light-1", "heavy-1");
    }

    @Test
    void onlyTheHighestPriorityIsConsideredAndTheRestSayWhy() {
        Agent a = agent("a", slots("cuda.device", 8));
        SchedulingPlan plan = Planner.plan(snapshot(FIFO, List.of(
                session("urgent", "o", 5, slots("cuda.device", 1), Map.of("priority", 90)),
                session("normal", "o", 50, slots("cuda.device", 1), Map.of())), List.of(a)));
        assertThat(placedIds(plan)).containsExactly("urgent");
        assertThat(why(plan, "normal").reason()).isEqualTo(PendingExplanation.WAITING_FOR_PRIORITY);
    }

    @Test
    void sessionsThatFailedTooOftenAreSkippedBehindTheOthers() {
        Agent a = agent("a", slots("cuda.device", 1));
        Session retried = session("retried", 30, slots("cuda.device", 1));
        retried = new Session(retried.id(), retried.owner(), retried.spec(), "g", SessionStatus.PENDING, "no-available-instances",
                new StatusData(JsonObject.of("retries", 5)), retried.statusHistory(), List.of(), retried.result(),
                retried.createdAt(), Optional.empty(), Optional.empty(), 3);
        ResourceGroup skipping = group("fifo", Map.of("config", Map.of("num_retries_to_skip", 3)));
        assertThat(placedIds(Planner.plan(snapshot(skipping, List.of(retried, session("fresh", 10, slots("cuda.device", 1))), List.of(a)))))
                .containsExactly("fresh");
        assertThat(placedIds(Planner.plan(snapshot(FIFO, List.of(retried, session("fresh", 10, slots("cuda.device", 1))), List.of(a)))))
                .containsExactly("retried");
    }

    @Test
    void selectorsPickByFreeCapacityInSlotOrderAcceleratorsFirst() {
        Agent moreGpus = agent("a1", slots("cuda.device", 4, "cpu", 4, "mem", "8g"));
        Agent moreCpus = agent("a2", slots("cuda.device", 2, "cpu", 64, "mem", "512g"));
        Agent busyBig = agent("a3", slots("cuda.device", 8, "cpu", 8, "mem", "8g"), slots("cuda.device", 7, "cpu", 1, "mem", "1g"));
        List<Agent> agents = List.of(moreGpus, moreCpus, busyBig);
        Session s = session("s", 1, slots("cuda.device", 1));
        assertThat(placedOn(Planner.plan(snapshot(group("fifo", Map.of("agent_selection_strategy", "dispersed")), List.of(s), agents))))
                .containsEntry("s", "a1");
        assertThat(placedOn(Planner.plan(snapshot(group("fifo", Map.of("agent_selection_strategy", "concentrated")), List.of(s), agents))))
                .containsEntry("s", "a3");
        assertThat(placedOn(Planner.plan(snapshot(group("fifo", Map.of("agent_selection_strategy", "legacy")), List.of(s), agents))))
                .containsEntry("s", "a3");
    }

    @Test
    void roundRobinTakesTheNextAgentInIdOrderAndWraps() {
        List<Agent> agents = List.of(agent("a1", slots("cuda.device", 4)), agent("a2", slots("cuda.device", 4)), agent("a3", slots("cuda.device", 4)));
        ResourceGroup rr = group("fifo", Map.of("agent_selection_strategy", "roundrobin"));
        List<Session> four = List.of(session("s1", 40, slots("cuda.device", 1)), session("s2", 30, slots("cuda.device", 1)),
                session("s3", 20, slots("cuda.device", 1)), session("s4", 10, slots("cuda.device", 1)));
        SchedulingSnapshot base = snapshot(rr, four, agents);
        SchedulingSnapshot afterA1 = new SchedulingSnapshot(rr, base.pending(), agents, Map.of(), Usage.NONE, Usage.NONE, Map.of(),
                ResourcePolicy.UNLIMITED, ResourcePolicy.UNLIMITED, Map.of(), Optional.of("a1"), NOW);
        SchedulingPlan plan = Planner.plan(afterA1);
        assertThat(placedOn(plan)).containsExactly(Map.entry("s1", "a2"), Map.entry("s2", "a3"), Map.entry("s3", "a1"), Map.entry("s4", "a2"));
        assertThat(plan.lastRoundRobin()).contains("a2");
    }

    @Test
    void aMultiNodeSessionReservesAllItsAgentsOrNone() {
        List<Agent> agents = List.of(agent("a1", slots("cuda.device", 4)), agent("a2", slots("cuda.device", 2)));
        Session gang = session("gang", "o", 20, slots("cuda.device", 3), Map.of("cluster_mode", "multi-node", "cluster_size", 2));
        Session after = session("after", 10, slots("cuda.device", 4));
        SchedulingPlan plan = Planner.plan(snapshot(FIFO, List.of(gang, after), agents));
        assertThat(placedOn(plan)).containsExactly(Map.entry("after", "a1"));
        assertThat(why(plan, "gang").reason()).isEqualTo(PendingExplanation.WAITING_FOR_CAPACITY);

        Session fits = session("fits", "o", 20, slots("cuda.device", 2), Map.of("cluster_mode", "multi-node", "cluster_size", 2));
        SchedulingPlan ok = Planner.plan(snapshot(FIFO, List.of(fits), agents));
        assertThat(ok.placements().get(0).kernels()).extracting(SchedulingPlan.Kernel::agentId).containsExactlyInAnyOrder("a1", "a2");
    }

    @Test
    void aStoredMultiNodeSessionTooBigForOneTransactionIsExplainedAndTheOthersArePlaced() {
        List<Agent> agents = new java.util.ArrayList<>();
        for (int i = 0; i < 70; i++) {
            agents.add(agent("a" + i, slots("cuda.device", 1)));
        }
        Session two = session("huge", "o", 30, slots("cuda.device", 1), Map.of("cluster_mode", "multi-node", "cluster_size", 2));
        // Created before the limit was checked at creation (SessionSpec refuses it now): the store reads it as it is.
        SessionSpec tooBig = new SessionSpec(two.spec().name(), two.spec().type(), two.spec().image(), two.spec().requestedResourceGroup(),
                two.spec().requestedSlots(), two.spec().startupCommand(), two.spec().startsAt(), two.spec().batchTimeout(),
                two.spec().dependencies(), two.spec().priority(), two.spec().callbackUrl(), two.spec().clusterMode(),
                dev.sluice.core.session.SessionChange.MAX_KERNELS + 1, two.spec().environment(), two.spec().mounts(), two.spec().tags(),
                two.spec().folderMounts());
        Session huge = Session.enqueue("huge", "o", tooBig, "g", two.createdAt());
        Session largest = session("largest", "o", 20, slots("cuda.device", 1),
                Map.of("cluster_mode", "multi-node", "cluster_size", dev.sluice.core.session.SessionChange.MAX_KERNELS));
        Session small = session("small", 10, slots("cuda.device", 1));
        SchedulingPlan plan = Planner.plan(snapshot(FIFO, List.of(huge, largest, small), agents));
        assertThat(placedIds(plan)).containsExactly("largest", "small");
        assertThat(plan.placements().get(0).kernels()).hasSize(dev.sluice.core.session.SessionChange.MAX_KERNELS);
        PendingExplanation why = why(plan, "huge");
        assertThat(why.reason()).isEqualTo(PendingExplanation.TOO_MANY_KERNELS);
        assertThat(why.waiting()).isFalse();
        assertThat(why.message()).contains("51 kernels").contains("at most 50");
    }

    @Test
    void aSingleNodeClusterNeedsItsWholeSizeOnOneAgent() {
        Session s = session("s", "o", 1, slots("cuda.device", 2), Map.of("cluster_size", 2));
        SchedulingPlan plan = Planner.plan(snapshot(FIFO, List.of(s), List.of(agent("a", slots("cuda.device", 4)))));
        assertThat(plan.placements().get(0).totalSlots().get("cuda.device")).isEqualByComparingTo("4");
    }

    @Test
    void neverFittingRequestsAreToldApartFromWaiting() {
        List<Agent> agents = List.of(agent("a", slots("cuda.device", 2)), lost("b", slots("cuda.device", 4)));
        SchedulingPlan plan = Planner.plan(snapshot(FIFO, List.of(
                session("tpu", 30, slots("tpu.device", 1)),
                session("huge", 20, slots("cuda.device", 5)),
                session("waits", 10, slots("cuda.device", 4))), agents));
        assertThat(why(plan, "tpu").reason()).isEqualTo(PendingExplanation.MISSING_SLOT);
        assertThat(why(plan, "huge").reason()).isEqualTo(PendingExplanation.NEVER_FITS);
        assertThat(why(plan, "waits").reason()).isEqualTo(PendingExplanation.WAITING_FOR_CAPACITY);
        assertThat(why(plan, "waits").waiting()).isTrue();
        SchedulingPlan empty = Planner.plan(snapshot(FIFO, List.of(session("e", 1, slots("tpu.device", 1))), List.of()));
        assertThat(why(empty, "e").reason()).as("a group with no agent yet cannot judge").isEqualTo(PendingExplanation.WAITING_FOR_AGENT);
        SchedulingPlan noneAlive = Planner.plan(snapshot(FIFO, List.of(session("w", 1, slots("cuda.device", 1))), List.of(lost("b", slots("cuda.device", 4)))));
        assertThat(why(noneAlive, "w").reason()).isEqualTo(PendingExplanation.WAITING_FOR_AGENT);
    }

    @Test
    void pendingTimeoutCancelsEvenWithNoAgent() {
        ResourceGroup timed = group("fifo", Map.of("pending_timeout", "30m"));
        SchedulingPlan plan = Planner.plan(snapshot(timed, List.of(session("old", 3600, slots()), session("new", 60, slots())), List.of()));
        assertThat(plan.cancellations()).extracting(c -> c.session().id()).containsExactly("old");
        assertThat(plan.cancellations().get(0).statusInfo()).isEqualTo("pending-timeout");
    }

    @Test
    void aFailedOrCancelledDependencyCancelsAtOnceNamingItAndAnUnfinishedOneWaits() {
        Session onFailed = session("on-failed", "o", 30, slots(), Map.of("dependencies", List.of("d-failed")));
        Session onRunning = session("on-running", "o", 20, slots(), Map.of("dependencies", List.of("d-running")));
        Session onDone = session("on-done", "o", 10, slots(), Map.of("dependencies", List.of("d-done")));
        SchedulingSnapshot base = snapshot(FIFO, List.of(onFailed, onRunning, onDone), List.of(agent("a", slots("cpu", 8, "mem", "8g"))));
        SchedulingSnapshot snap = new SchedulingSnapshot(FIFO, base.pending(), base.agents(), Map.of(), Usage.NONE, Usage.NONE, Map.of(),
                ResourcePolicy.UNLIMITED, ResourcePolicy.UNLIMITED, Map.of(
                "d-failed", new SchedulingSnapshot.DependencyState("d-failed", SessionStatus.TERMINATED, SessionResult.FAILURE),
                "d-running", new SchedulingSnapshot.DependencyState("d-running", SessionStatus.RUNNING, SessionResult.UNDEFINED),
                "d-done", new SchedulingSnapshot.DependencyState("d-done", SessionStatus.TERMINATED, SessionResult.SUCCESS)),
                Optional.empty(), NOW);
        SchedulingPlan plan = Planner.plan(snap);
        assertThat(plan.cancellations()).extracting(c -> c.session().id()).containsExactly("on-failed");
        assertThat(plan.cancellations().get(0).statusData().fields()).containsEntry("dependency", JsonValue.of("d-failed"));
        assertThat(why(plan, "on-running").reason()).isEqualTo(PendingExplanation.WAITING_FOR_DEPENDENCY);
        assertThat(placedIds(plan)).containsExactly("on-done");
    }

    @Test
    void aReservedSessionWaitsForItsStartAndSaysWhen() {
        Session reserved = session("r", "o", 10, slots(), Map.of("type", "batch", "startup_command", "x", "starts_at", "2026-11-24T13:00:00Z"));
        SchedulingPlan plan = Planner.plan(snapshot(FIFO, List.of(reserved), List.of(agent("a", slots("cpu", 8, "mem", "8g")))));
        assertThat(why(plan, "r").reason()).isEqualTo(PendingExplanation.WAITING_FOR_START_TIME);
        assertThat(why(plan, "r").estimatedStart()).contains(java.time.Instant.parse("2026-11-24T13:00:00Z"));
        assertThat(why(plan, "r").statusInfo()).isEqualTo("predicate-checks-failed");
    }

    @Test
    void quotaPredicatesCountSessionsPlacedEarlierInThePass() {
        ResourcePolicy twoAtATime = new ResourcePolicy(Optional.of(2), Optional.of(slots("cuda.device", 3)), Optional.empty(), Optional.empty());
        List<Session> three = List.of(session("s1", "o", 30, slots("cuda.device", 1), Map.of()),
                session("s2", "o", 20, slots("cuda.device", 1), Map.of()), session("s3", "o", 10, slots("cuda.device", 1), Map.of()));
        SchedulingSnapshot base = snapshot(FIFO, three, List.of(agent("a", slots("cuda.device", 8, "cpu", 8, "mem", "8g"))));
        SchedulingPlan plan = Planner.plan(new SchedulingSnapshot(FIFO, base.pending(), base.agents(), Map.of(), Usage.NONE, Usage.NONE,
                Map.of("o", twoAtATime), ResourcePolicy.UNLIMITED, ResourcePolicy.UNLIMITED, Map.of(), Optional.empty(), NOW));
        assertThat(placedIds(plan)).containsExactly("s1", "s2");
        PendingExplanation third = why(plan, "s3");
        assertThat(third.reason()).isEqualTo(PendingExplanation.WAITING_FOR_QUOTA);
        assertThat(third.failed()).extracting(PredicateResult::name).containsExactly(Predicates.CONCURRENCY);
        assertThat(third.passed()).extracting(PredicateResult::name).contains(Predicates.RESERVED_TIME, Predicates.USER_RESOURCE);
    }

    @Test
    void pendingCountAndPendingSlotLimitsHoldAnOwnersQueue() {
        ResourcePolicy pendingCaps = new ResourcePolicy(Optional.empty(), Optional.empty(), Optional.of(1), Optional.of(slots("cuda.device", 2)));
        SchedulingSnapshot base = snapshot(FIFO, List.of(session("s", "o", 1, slots("cuda.device", 1), Map.of())),
                List.of(agent("a", slots("cuda.device", 8))));
        Usage tooManyPending = new Usage(0, ResourceSlots.EMPTY, 2, slots("cuda.device", 1));
        SchedulingPlan count = Planner.plan(new SchedulingSnapshot(FIFO, base.pending(), base.agents(), Map.of("o", tooManyPending),
                Usage.NONE, Usage.NONE, Map.of("o", pendingCaps), ResourcePolicy.UNLIMITED, ResourcePolicy.UNLIMITED, Map.of(), Optional.empty(), NOW));
        assertThat(why(count, "s").failed()).extracting(PredicateResult::name).containsExactly(Predicates.PENDING_COUNT);
        Usage tooMuchPending = new Usage(0, ResourceSlots.EMPTY, 1, slots("cuda.device", 3));
        SchedulingPlan slotsHeld = Planner.plan(new SchedulingSnapshot(FIFO, base.pending(), base.agents(), Map.of("o", tooMuchPending),
                Usage.NONE, Usage.NONE, Map.of("o", pendingCaps), ResourcePolicy.UNLIMITED, ResourcePolicy.UNLIMITED, Map.of(), Optional.empty(), NOW));
        assertThat(why(slotsHeld, "s").failed()).extracting(PredicateResult::name).containsExactly(Predicates.PENDING_RESOURCE);
        Usage fine = new Usage(0, ResourceSlots.EMPTY, 1, slots("cuda.device", 1));
        SchedulingPlan ok = Planner.plan(new SchedulingSnapshot(FIFO, base.pending(), base.agents(), Map.of("o", fine),
                Usage.NONE, Usage.NONE, Map.of("o", pendingCaps), ResourcePolicy.UNLIMITED, ResourcePolicy.UNLIMITED, Map.of(), Optional.empty(), NOW));
        assertThat(placedIds(ok)).containsExactly("s");
    }

    @Test
    void theUsersTotalSlotLimitCountsWhatTheyAlreadyHold() {
        ResourcePolicy fourGpus = new ResourcePolicy(Optional.empty(), Optional.of(slots("cuda.device", 4)), Optional.empty(), Optional.empty());
        SchedulingSnapshot base = snapshot(FIFO, List.of(session("s", "o", 1, slots("cuda.device", 2), Map.of())),
                List.of(agent("a", slots("cuda.device", 8))));
        Usage holdsThree = new Usage(2, slots("cuda.device", 3), 1, slots("cuda.device", 2));
        SchedulingPlan plan = Planner.plan(new SchedulingSnapshot(FIFO, base.pending(), base.agents(), Map.of("o", holdsThree),
                Usage.NONE, Usage.NONE, Map.of("o", fourGpus), ResourcePolicy.UNLIMITED, ResourcePolicy.UNLIMITED, Map.of(), Optional.empty(), NOW));
        assertThat(why(plan, "s").failed()).extracting(PredicateResult::name).containsExactly(Predicates.USER_RESOURCE);
        assertThat(why(plan, "s").message()).contains("limit");
    }

    @Test
    void groupAndDomainLimitsApplyToTheirTotals() {
        ResourcePolicy groupCap = new ResourcePolicy(Optional.empty(), Optional.of(slots("cuda.device", 2)), Optional.empty(), Optional.empty());
        SchedulingSnapshot base = snapshot(FIFO, List.of(session("s", 1, slots("cuda.device", 1))), List.of(agent("a", slots("cuda.device", 8))));
        Usage groupHolds = new Usage(2, slots("cuda.device", 2), 0, ResourceSlots.EMPTY);
        SchedulingPlan plan = Planner.plan(new SchedulingSnapshot(FIFO, base.pending(), base.agents(), Map.of(), groupHolds, Usage.NONE,
                Map.of(), groupCap, ResourcePolicy.UNLIMITED, Map.of(), Optional.empty(), NOW));
        assertThat(why(plan, "s").failed()).extracting(PredicateResult::name).containsExactly(Predicates.GROUP_RESOURCE);
        SchedulingPlan domain = Planner.plan(new SchedulingSnapshot(FIFO, base.pending(), base.agents(), Map.of(), Usage.NONE, groupHolds,
                Map.of(), ResourcePolicy.UNLIMITED, groupCap, Map.of(), Optional.empty(), NOW));
        assertThat(why(domain, "s").failed()).extracting(PredicateResult::name).containsExactly(Predicates.DOMAIN_RESOURCE);
    }

    @Test
    void occupiedCapacityIsNotPlannedAgain() {
        Agent half = agent("a", slots("cuda.device", 4), slots("cuda.device", 3));
        SchedulingPlan plan = Planner.plan(snapshot(FIFO, List.of(session("two", 2, slots("cuda.device", 2)), session("one", 1, slots("cuda.device", 1))), List.of(half)));
        assertThat(placedIds(plan)).containsExactly("one");
    }

    /** A hold as right-sizing sets it on an empty 8-GPU agent: it refuses kernels a 1- or 4-GPU instance holds. */
    private static PlacementHold heldForLarge(String... launchedFor) {
        return new PlacementHold(List.of(slots("cuda.device", 1, "cpu", 4, "mem", "16g"), slots("cuda.device", 4, "cpu", 48, "mem", "192g")),
                java.util.Set.of(launchedFor));
    }

    @Test
    void anEmptyHeldAgentRefusesASmallKernelButTakesALargeOneAndThenSmallOnesFillIt() {
        for (String strategy : List.of("concentrated", "dispersed", "roundrobin", "legacy")) {
            ResourceGroup g = group("fifo", Map.of("agent_selection_strategy", strategy));
            Agent big = agent("big", slots("cuda.device", 8, "cpu", 96, "mem", "1152g"));
            SchedulingSnapshot alone = snapshot(g, List.of(session("small", 20, slots("cuda.device", 1))), List.of(big))
                    .withHolds(Map.of("big", heldForLarge()));
            SchedulingPlan refused = Planner.plan(alone);
            assertThat(refused.placements()).as(strategy).isEmpty();
            assertThat(why(refused, "small").reason()).as(strategy).isEqualTo(PendingExplanation.WAITING_FOR_CAPACITY);
            assertThat(why(refused, "small").waiting()).isTrue();
            assertThat(why(refused, "small").message()).as("says why the agent with room did not take it")
                    .isEqualTo("agent big has the room but is empty and kept for larger sessions (the group's right_sizing): "
                            + "a cheaper instance is launched for this one");
            // Without the hold the same agent takes it: the hold alone kept it off.
            assertThat(placedOn(Planner.plan(snapshot(g, List.of(session("small", 20, slots("cuda.device", 1))), List.of(big)))))
                    .as(strategy).containsEntry("small", "big");

            // A large kernel opens it; from then on, in the same pass, a small one fills its free room.
            SchedulingPlan opened = Planner.plan(snapshot(g, List.of(session("large", 30, slots("cuda.device", 6)),
                    session("small", 20, slots("cuda.device", 1))), List.of(big)).withHolds(Map.of("big", heldForLarge())));
            assertThat(placedOn(opened)).as(strategy).containsEntry("large", "big").containsEntry("small", "big");
        }
    }

    @Test
    void aHeldAgentTakesTheSessionItWasLaunchedForAndAnAgentHoldingASessionIsNeverHeld() {
        Agent big = agent("big", slots("cuda.device", 8, "cpu", 96, "mem", "1152g"));
        SchedulingPlan launchedFor = Planner.plan(snapshot(FIFO, List.of(session("small", 20, slots("cuda.device", 1))), List.of(big))
                .withHolds(Map.of("big", heldForLarge("small"))));
        assertThat(placedOn(launchedFor)).containsEntry("small", "big");

        Agent busy = agent("busy", slots("cuda.device", 8, "cpu", 96, "mem", "1152g"), slots("cuda.device", 4, "cpu", 4, "mem", "4g"));
        SchedulingPlan filled = Planner.plan(snapshot(FIFO, List.of(session("small", 20, slots("cuda.device", 1))), List.of(busy))
                .withHolds(Map.of("busy", heldForLarge())));
        assertThat(placedOn(filled)).containsEntry("small", "busy");
    }

    @Test
    void aGangSkipsHeldAgentsForItsSmallKernels() {
        Agent big = agent("big", slots("cuda.device", 8, "cpu", 96, "mem", "1152g"));
        Agent s1 = agent("s1", slots("cuda.device", 1, "cpu", 4, "mem", "16g"));
        Agent s2 = agent("s2", slots("cuda.device", 1, "cpu", 4, "mem", "16g"));
        Session gang = session("gang", "owner", 20, slots("cuda.device", 1, "cpu", 1, "mem", "1g"),
                Map.of("cluster_mode", "multi-node", "cluster_size", 2));
        SchedulingPlan plan = Planner.plan(snapshot(FIFO, List.of(gang), List.of(big, s1, s2)).withHolds(Map.of("big", heldForLarge())));
        assertThat(plan.placements()).singleElement().satisfies(p -> assertThat(p.kernels())
                .extracting(SchedulingPlan.Kernel::agentId).containsExactlyInAnyOrder("s1", "s2"));
        SchedulingPlan short1 = Planner.plan(snapshot(FIFO, List.of(gang), List.of(big, s1)).withHolds(Map.of("big", heldForLarge())));
        assertThat(short1.placements()).as("one kernel would need the held agent: the gang waits whole").isEmpty();
    }

    /** A pending session whose retry rules, after one spot interruption, ask for on-demand capacity only. */
    private static Session interruptedOnce(String id) {
        Session s = session(id, "owner", 20, slots("cuda.device", 1), Map.of("retry", Map.of("attempts", 3, "on_demand_after", 1,
                "rules", List.of(Map.of("on", "spot-interrupted", "action", "retry")))));
        Session placed = dev.sluice.core.session.SessionChange.place(s, List.of(new dev.sluice.core.session.Kernel("spot-1",
                s.spec().requestedSlots())), "scheduled", dev.sluice.core.session.StatusData.placed(List.of("spot-1")), NOW.minusSeconds(10)).next()
                .transitionTo(dev.sluice.core.session.SessionStatus.PREPARING, "preparing", dev.sluice.core.session.StatusData.NONE, NOW.minusSeconds(9))
                .transitionTo(dev.sluice.core.session.SessionStatus.RUNNING, "running", dev.sluice.core.session.StatusData.NONE, NOW.minusSeconds(8));
        Session requeued = dev.sluice.core.session.SessionRetry.afterEnd(placed, placed.transitionTo(dev.sluice.core.session.SessionStatus.ERROR,
                "spot-interrupted", dev.sluice.core.session.StatusData.NONE, NOW.minusSeconds(5)), NOW.minusSeconds(5));
        assertThat(requeued.onDemandOnly()).isTrue();
        return requeued;
    }

    @Test
    void aSessionThatAsksForOnDemandOnlyIsNeverPlacedOnASpotAgentBusyOrNot() {
        Agent spotBusy = agent("a-spot", slots("cuda.device", 8), slots("cuda.device", 1, "cpu", 1, "mem", "1g"));
        Agent spotEmpty = agent("b-spot", slots("cuda.device", 8));
        Agent onDemand = agent("c-on-demand", slots("cuda.device", 8));
        List<ResourceSlots> onDemandTypes = List.of(slots("cuda.device", 8, "cpu", 96, "mem", "1t"));
        Map<String, PlacementHold> spot = Map.of("a-spot", new PlacementHold(List.of(), java.util.Set.of(), onDemandTypes),
                "b-spot", new PlacementHold(List.of(), java.util.Set.of(), onDemandTypes));
        Session s = interruptedOnce("s");
        for (String strategy : List.of("concentrated", "dispersed", "roundrobin", "legacy")) {
            ResourceGroup g = group("fifo", Map.of("agent_selection_strategy", strategy));
            assertThat(placedOn(Planner.plan(snapshot(g, List.of(s), List.of(spotBusy, spotEmpty, onDemand)).withHolds(spot))))
                    .as(strategy).containsEntry("s", "c-on-demand");
            SchedulingPlan none = Planner.plan(snapshot(g, List.of(s), List.of(spotBusy, spotEmpty)).withHolds(spot));
            assertThat(none.placements()).as(strategy).isEmpty();
            assertThat(why(none, "s").reason()).isEqualTo(PendingExplanation.WAITING_FOR_CAPACITY);
            assertThat(why(none, "s").message()).contains("runs on spot").contains("on_demand_after");
        }
        // Any other session takes a spot agent as before.
        assertThat(placedOn(Planner.plan(snapshot(FIFO, List.of(session("other", 20, slots("cuda.device", 1))), List.of(spotBusy))
                .withHolds(spot)))).containsEntry("other", "a-spot");
    }
}
