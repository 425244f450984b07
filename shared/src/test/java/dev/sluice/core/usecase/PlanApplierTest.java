package dev.sluice.core.usecase;

import dev.sluice.core.session.StatusData;
import dev.sluice.core.request.RequestFields;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.agent.Agent;
import dev.sluice.core.agent.AgentStatus;
import dev.sluice.core.agent.Heartbeat;
import dev.sluice.core.port.AgentStore;
import dev.sluice.core.port.Page;
import dev.sluice.core.port.SessionStore;
import dev.sluice.core.scheduler.SchedulingPlan;
import dev.sluice.core.scheduler.Usage;
import dev.sluice.core.session.Session;
import dev.sluice.core.session.SessionBatch;
import dev.sluice.core.session.SessionChange;
import dev.sluice.core.session.SessionQuery;
import dev.sluice.core.session.SessionSpec;
import dev.sluice.core.session.SessionStatus;
import dev.sluice.core.slots.ResourceSlots;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The plan applier over the ports (its writes are the store's, tested against the emulator in SchedulerIT): which
 * placements go concurrently, that none on the same agent ever overlap, and the one retry from fresh state.
 */
class PlanApplierTest {
    private static final Instant T0 = Instant.parse("2026-12-03T10:00:00Z");
    private static final Clock CLOCK = Clock.fixed(T0, ZoneOffset.UTC);
    private static final ResourceSlots ONE = ResourceSlots.parse(RequestFields.of(Map.of("cpu", 1, "mem", "1g", "cuda.device", 1)).at("s"));

    private static Session pending(int i) {
        return Session.enqueue("s-" + i, "alice", SessionSpec.parse(RequestFields.of(Map.of("image", "python:3.12",
                "resource_slots", Map.of("cpu", 1, "mem", "1g", "cuda.device", 1))), T0), "g", T0.plusMillis(i));
    }

    private static SchedulingPlan.Placement on(int session, String... agents) {
        List<SchedulingPlan.Kernel> kernels = new ArrayList<>();
        for (String a : agents) {
            kernels.add(new SchedulingPlan.Kernel(a, ONE));
        }
        return new SchedulingPlan.Placement(pending(session), kernels);
    }

    private static Agent agent(String id, int freeGpus) {
        return new Agent(id, "g", AgentStatus.ALIVE, true, ResourceSlots.parse(RequestFields.of(Map.of("cuda.device", freeGpus, "cpu", 64, "mem", "64g")).at("a")),
                ResourceSlots.EMPTY, "x86_64", "t", Map.of(), T0, T0);
    }

    /** Sessions by id; {@code decide} answers each apply (null: saved). Records which agents are being written at once. */
    static class Sessions implements SessionStore {
        final Map<String, Session> stored = new ConcurrentHashMap<>();
        final List<SessionChange> applied = new CopyOnWriteArrayList<>();
        final Set<String> inFlight = ConcurrentHashMap.newKeySet();
        final AtomicInteger overlaps = new AtomicInteger();
        final AtomicInteger maxConcurrent = new AtomicInteger();
        final AtomicInteger concurrent = new AtomicInteger();
        Function<SessionChange, Optional<Session>> conflictWith = c -> null;

        @Override
        public SaveOutcome apply(SessionChange change) {
            int now = concurrent.incrementAndGet();
            maxConcurrent.accumulateAndGet(now, Math::max);
            for (String a : change.agents()) {
                if (!inFlight.add(a)) {
                    overlaps.incrementAndGet();
                }
            }
            try {
                Thread.sleep(5);
                applied.add(change);
                Optional<Session> conflict = conflictWith.apply(change);
                if (conflict != null) {
                    return new SaveOutcome.Conflict(conflict);
                }
                stored.put(change.next().id(), change.next());
                return new SaveOutcome.Saved(change.next());
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            } finally {
                change.agents().forEach(inFlight::remove);
                concurrent.decrementAndGet();
            }
        }

        @Override public CreateOutcome create(Session session, Optional<IdempotencyClaim> claim) { throw new UnsupportedOperationException(); }
        @Override public Optional<Session> find(String id) { return Optional.ofNullable(stored.get(id)); }
        @Override public Page<Session> list(SessionQuery query, Instant notBefore) { throw new UnsupportedOperationException(); }
        @Override public Usage usageOf(String owner) { throw new UnsupportedOperationException(); }
        @Override public int sessionsAhead(Session pending) { throw new UnsupportedOperationException(); }
        @Override public List<Session> pendingIn(String resourceGroup) { throw new UnsupportedOperationException(); }
        @Override public List<Session> onAgent(String agentId) { throw new UnsupportedOperationException(); }
    }

    /**
     * A store that writes batches: a batch holds only if every change in it would (as {@code conflictWith} decides
     * for each); then all are stored, else none. Each batch tried is recorded in {@code batches}; a batch's changes
     * join {@code applied} only when it was written.
     */
    static final class BatchingSessions extends Sessions {
        final List<SessionBatch> batches = new CopyOnWriteArrayList<>();

        @Override
        public boolean appliesBatches() {
            return true;
        }

        @Override
        public BatchOutcome applyAll(SessionBatch batch) {
            assertThat(batch.items()).as("a batch fits one transaction").isLessThanOrEqualTo(SessionChange.MAX_TRANSACTION_ITEMS);
            batches.add(batch);
            for (SessionChange c : batch.changes()) {
                if (conflictWith.apply(c) != null) {
                    return new BatchOutcome.Conflict();
                }
            }
            for (SessionChange c : batch.changes()) {
                applied.add(c);
                stored.put(c.next().id(), c.next());
            }
            return new BatchOutcome.Saved(batch.changes().stream().map(SessionChange::next).toList());
        }
    }

    static final class Agents implements AgentStore {
        final Map<String, Agent> byId = new ConcurrentHashMap<>();

        @Override public Optional<Agent> find(String id) { return Optional.ofNullable(byId.get(id)); }
        @Override public List<Agent> inGroup(String resourceGroup) { return List.copyOf(byId.values()); }
        @Override public List<Agent> all() { return List.copyOf(byId.values()); }
        @Override public void put(Agent agent) { byId.put(agent.id(), agent); }
        @Override public HeartbeatRecorded recordHeartbeat(Heartbeat heartbeat, Instant at) { throw new UnsupportedOperationException(); }
        @Override public boolean markLost(String id, Instant lastSeen) { throw new UnsupportedOperationException(); }
        @Override public Optional<Agent> setSchedulable(String id, boolean schedulable) { throw new UnsupportedOperationException(); }
        @Override public Optional<Interrupted> interrupt(String id, dev.sluice.core.agent.Interruption i) { throw new UnsupportedOperationException(); }
    }

    @Test
    void placementsSharingAnAgentFallIntoOneLaneInPlanOrderAndDisjointOnesIntoTheirOwn() {
        List<List<SchedulingPlan.Placement>> lanes = PlanApplier.lanes(List.of(
                on(0, "a"), on(1, "b"), on(2, "a"), on(3, "c", "d"), on(4, "d"), on(5, "e"), on(6, "b", "e")));
        assertThat(lanes).map(l -> l.stream().map(p -> p.session().id()).toList())
                .containsExactly(List.of("s-0", "s-2"), List.of("s-1", "s-5", "s-6"), List.of("s-3", "s-4"));
    }

    @Test
    void disjointAgentsAreWrittenConcurrentlyWithinTheBoundAndOneAgentNeverByTwoAtOnce() {
        Sessions sessions = new Sessions();
        Agents agents = new Agents();
        List<SchedulingPlan.Placement> plan = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            plan.add(on(i, "agent-" + (i % 16)));
        }
        PlanApplier applier = new PlanApplier(sessions, agents, CLOCK, 4);
        List<Session> heard = new CopyOnWriteArrayList<>();
        PlanApplier.Report report = applier.apply(plan, p -> heard.add(p.session()));

        assertThat(report.placed()).hasSize(64);
        assertThat(report.conflicted()).isEmpty();
        assertThat(heard).hasSize(64);
        assertThat(report.placed()).allMatch(p -> p.session().status() == SessionStatus.SCHEDULED && !p.retried());
        assertThat(sessions.overlaps.get()).as("two writes on one agent at once").isZero();
        assertThat(sessions.maxConcurrent.get()).as("concurrent, and bounded by the pool").isBetween(2, 4);
        // Within an agent's lane the plan order holds.
        List<String> onAgent0 = sessions.applied.stream().filter(c -> c.agents().contains("agent-0")).map(c -> c.next().id()).toList();
        assertThat(onAgent0).containsExactly("s-0", "s-16", "s-32", "s-48");
    }

    @Test
    void concurrencyOneIsTheSerialPassInPlanOrder() {
        Sessions sessions = new Sessions();
        List<SchedulingPlan.Placement> plan = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            plan.add(on(i, "agent-" + (i % 5)));
        }
        new PlanApplier(sessions, new Agents(), CLOCK, 1).apply(plan, p -> { });
        assertThat(sessions.maxConcurrent.get()).isEqualTo(1);
        // serial: lane by lane, each lane in plan order
        assertThat(sessions.applied).map(c -> c.next().id())
                .containsExactly("s-0", "s-5", "s-1", "s-6", "s-2", "s-7", "s-3", "s-8", "s-4", "s-9");
    }

    @Test
    void aPlacementThatLostIsRetriedOnceFromFreshStateAndThenLeftForTheNextPass() {
        Sessions sessions = new Sessions();
        Agents agents = new Agents();
        agents.put(agent("a", 8));
        agents.put(agent("b", 8));
        agents.put(agent("full", 0));
        // s-0: an explanation was written meanwhile (same status, next sequence): the retry from that read wins.
        Session moved = pending(0).withStatusData("waiting", StatusData.NONE).nextSequence();
        // s-1: lost twice. s-2: its agent filled up meanwhile, so it is not retried at all. s-3: placed by someone else.
        Set<String> seen = new HashSet<>();
        sessions.conflictWith = c -> {
            String id = c.next().id();
            return switch (id) {
                case "s-0" -> c.expectedSequence() == moved.sequence() ? null : Optional.of(moved);
                case "s-1" -> Optional.of(pending(1).nextSequence());
                case "s-2" -> Optional.of(pending(2));
                case "s-3" -> Optional.of(c.next());
                default -> null;
            };
        };
        PlanApplier.Report report = new PlanApplier(sessions, agents, CLOCK, 4)
                .apply(List.of(on(0, "a"), on(1, "b"), on(2, "full"), on(3, "a"), on(4, "b")), p -> seen.add(p.session().id()));

        assertThat(report.placed()).extracting(p -> p.session().id()).containsExactlyInAnyOrder("s-0", "s-4");
        assertThat(report.placed()).filteredOn(p -> p.session().id().equals("s-0")).singleElement()
                .satisfies(p -> {
                    assertThat(p.retried()).isTrue();
                    assertThat(p.session().sequence()).isEqualTo(moved.sequence() + 1);
                });
        assertThat(report.retried()).isEqualTo(1);
        assertThat(report.conflicted()).extracting(Session::id).containsExactlyInAnyOrder("s-1", "s-2", "s-3");
        assertThat(sessions.applied.stream().filter(c -> c.next().id().equals("s-1"))).as("one retry, no more").hasSize(2);
        assertThat(sessions.applied.stream().filter(c -> c.next().id().equals("s-2"))).as("no room on fresh state: no retry").hasSize(1);
        assertThat(sessions.applied.stream().filter(c -> c.next().id().equals("s-3"))).as("no longer pending: no retry").hasSize(1);
        assertThat(seen).containsExactlyInAnyOrder("s-0", "s-4");
    }

    @Test
    void withAStoreThatWritesBatchesEachLaneIsOneTransactionAndEveryPlacementIsHeard() {
        BatchingSessions sessions = new BatchingSessions();
        List<SchedulingPlan.Placement> plan = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            plan.add(on(i, "agent-" + (i % 16)));
        }
        PlanApplier applier = new PlanApplier(sessions, new Agents(), CLOCK, 4);
        List<Session> heard = new CopyOnWriteArrayList<>();
        PlanApplier.Report report = applier.apply(plan, p -> heard.add(p.session()));

        assertThat(report.placed()).hasSize(64).allMatch(p -> p.session().status() == SessionStatus.SCHEDULED && !p.retried());
        assertThat(report.conflicted()).isEmpty();
        assertThat(heard).hasSize(64);
        assertThat(sessions.batches).as("one transaction an agent").hasSize(16)
                .allSatisfy(b -> {
                    assertThat(b.changes()).hasSize(4);
                    assertThat(b.agentSlots()).singleElement().satisfies(a -> assertThat(a.kernel().slots().get("cuda.device"))
                            .isEqualByComparingTo(new java.math.BigDecimal(4)));
                });
        assertThat(sessions.applied.stream().filter(c -> c.agents().contains("agent-0")).map(c -> c.next().id()))
                .as("in plan order").containsExactly("s-0", "s-16", "s-32", "s-48");
        assertThat(applier.batchesRefused()).isZero();
    }

    @Test
    void aBatchWithASessionCancelledBeforeTheWriteFallsBackToOneByOneAndPlacesTheOthers() {
        BatchingSessions sessions = new BatchingSessions();
        Agents agents = new Agents();
        agents.put(agent("a", 8));
        Session cancelled = pending(2).transitionTo(SessionStatus.CANCELLED, "user-requested", StatusData.NONE, T0);
        sessions.conflictWith = c -> c.next().id().equals("s-2") ? Optional.of(cancelled) : null;
        PlanApplier applier = new PlanApplier(sessions, agents, CLOCK, 4);
        List<String> heard = new CopyOnWriteArrayList<>();
        PlanApplier.Report report = applier.apply(List.of(on(0, "a"), on(1, "a"), on(2, "a"), on(3, "a")),
                p -> heard.add(p.session().id()));

        assertThat(sessions.batches).as("the one batch, refused whole").hasSize(1);
        assertThat(applier.batchesRefused()).isEqualTo(1);
        assertThat(report.placed()).extracting(p -> p.session().id()).containsExactlyInAnyOrder("s-0", "s-1", "s-3");
        assertThat(report.placed()).noneMatch(PlanApplier.Placed::retried);
        assertThat(report.retried()).isZero();
        assertThat(report.conflicted()).extracting(Session::id).containsExactly("s-2");
        assertThat(sessions.applied.stream().filter(c -> c.next().id().equals("s-2"))).as("tried once alone, not retried: no longer pending")
                .hasSize(1);
        assertThat(sessions.stored).doesNotContainKey("s-2");
        assertThat(heard).containsExactly("s-0", "s-1", "s-3");
    }

    @Test
    void aLaneLongerThanTheItemLimitIsWrittenInChunksThatEachFit() {
        BatchingSessions sessions = new BatchingSessions();
        List<SchedulingPlan.Placement> plan = new ArrayList<>();
        for (int i = 0; i < 150; i++) {
            plan.add(on(i, "a"));
        }
        PlanApplier.Report report = new PlanApplier(sessions, new Agents(), CLOCK, 4).apply(plan, p -> { });

        assertThat(report.placed()).hasSize(150);
        assertThat(sessions.batches).extracting(b -> b.changes().size()).containsExactly(99, 51);
        assertThat(sessions.batches.get(0).items()).isEqualTo(SessionChange.MAX_TRANSACTION_ITEMS);
        assertThat(sessions.applied).extracting(c -> c.next().id())
                .isEqualTo(plan.stream().map(p -> p.session().id()).toList());
    }

    @Test
    void anApplierAskedForNoBatchesWritesEachPlacementAlone() {
        BatchingSessions sessions = new BatchingSessions();
        List<SchedulingPlan.Placement> plan = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            plan.add(on(i, "a"));
        }
        PlanApplier.Report report = new PlanApplier(sessions, new Agents(), CLOCK, 1, false).apply(plan, p -> { });
        assertThat(report.placed()).hasSize(10);
        assertThat(sessions.batches).isEmpty();
        assertThat(sessions.applied).hasSize(10);
    }
}
