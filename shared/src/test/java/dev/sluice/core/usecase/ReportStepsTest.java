package dev.sluice.core.usecase;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.port.AgentStore;
import dev.sluice.core.port.EventPublisher;
import dev.sluice.core.port.ResourceGroupStore;
import dev.sluice.core.port.SessionLogs;
import dev.sluice.core.port.SessionStore;
import dev.sluice.core.request.RequestFields;
import dev.sluice.core.session.Kernel;
import dev.sluice.core.session.Session;
import dev.sluice.core.session.SessionChange;
import dev.sluice.core.session.SessionSpec;
import dev.sluice.core.session.SessionStatus;
import dev.sluice.core.session.SessionStatusChanged;
import dev.sluice.core.session.StatusData;
import dev.sluice.core.slots.ResourceSlots;
import dev.sluice.protocol.AgentReports;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The steps of one session that one heartbeat carries are written as one conditional change, each step checked against
 * the map, and each step's event is still published, in order, after the write; each report keeps its own result.
 */
class ReportStepsTest {
    private static final Instant T0 = Instant.parse("2026-12-03T10:00:00Z");

    @SuppressWarnings("unchecked")
    private static <T> T fake(Class<T> type, java.lang.reflect.InvocationHandler handler) {
        return (T) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, handler);
    }

    private static Session scheduled(String id) {
        return Session.enqueue(id, "alice", SessionSpec.parse(RequestFields.of(Map.of("image", "busybox", "type", "batch",
                        "startup_command", "true", "resource_slots", Map.of("cpu", 1, "mem", "1g"))), T0), "g1", T0)
                .placedOn(List.of(new Kernel("i-1", ResourceSlots.parse(RequestFields.of(Map.of("cpu", 1)).at("r")))))
                .transitionTo(SessionStatus.SCHEDULED, "scheduled", StatusData.NONE, T0);
    }

    /** A store holding sessions in memory that records each change; {@code conflictFirst} makes the first write lose a race to {@code racer}. */
    private static final class Store {
        final Map<String, Session> stored = new java.util.HashMap<>();
        final List<SessionChange> changes = new ArrayList<>();
        Session racer;

        SessionStore port() {
            return fake(SessionStore.class, (proxy, method, args) -> switch (method.getName()) {
                case "find" -> Optional.ofNullable(stored.get((String) args[0]));
                case "apply" -> {
                    SessionChange c = (SessionChange) args[0];
                    changes.add(c);
                    if (racer != null) {
                        stored.put(racer.id(), racer);
                        racer = null;
                        yield new SessionStore.SaveOutcome.Conflict(Optional.of(stored.get(c.next().id())));
                    }
                    Session s = stored.get(c.next().id());
                    if (s.status() != c.expectedStatus() || s.sequence() != c.expectedSequence()) {
                        yield new SessionStore.SaveOutcome.Conflict(Optional.of(s));
                    }
                    stored.put(c.next().id(), c.next());
                    yield new SessionStore.SaveOutcome.Saved(c.next());
                }
                default -> throw new UnsupportedOperationException(method.getName());
            });
        }
    }

    private static AgentWorkService service(Store store, List<SessionStatusChanged> events, List<String> bucket) {
        return new AgentWorkService(
                fake(AgentStore.class, (p, m, a) -> { throw new UnsupportedOperationException(m.getName()); }), store.port(),
                fake(ResourceGroupStore.class, (p, m, a) -> { throw new UnsupportedOperationException(m.getName()); }),
                fake(SessionLogs.class, (p, m, a) -> {
                    if (m.getName().equals("put")) {
                        bucket.add(a[0] + ":" + ((String) a[1]).length());
                    }
                    return null;
                }),
                fake(EventPublisher.class, (p, m, a) -> {
                    if (m.getName().equals("publish")) {
                        events.add((SessionStatusChanged) a[0]);
                    }
                    return null;
                }),
                Clock.fixed(T0, ZoneOffset.UTC), Duration.ofSeconds(20), Duration.ofSeconds(60));
    }

    private static List<Object> life(String id, String output) {
        return List.of(
                Map.of("session_id", id, "seq", 1, "status", "PREPARING"),
                Map.of("session_id", id, "seq", 2, "status", "RUNNING"),
                Map.of("session_id", id, "seq", 3, "status", "TERMINATED", "exit_code", 0, "logs", output));
    }

    @Test
    void aSessionsStepsInOneHeartbeatAreOneWriteWithEveryEventInOrderAndASmallOutputKeptWithIt() {
        Store store = new Store();
        store.stored.put("s-1", scheduled("s-1"));
        List<SessionStatusChanged> events = new ArrayList<>();
        List<String> bucket = new ArrayList<>();

        List<AgentReports.Result> results = service(store, events, bucket).applyReports("i-1", life("s-1", "hello\n"));

        assertThat(results).extracting(AgentReports.Result::outcome).containsOnly(AgentReports.Outcome.APPLIED);
        assertThat(results).extracting(r -> r.status().orElseThrow()).containsExactly("PREPARING", "RUNNING", "TERMINATED");
        assertThat(store.changes).as("one write for the three steps").singleElement().satisfies(c -> {
            assertThat(c.expectedStatus()).isEqualTo(SessionStatus.SCHEDULED);
            assertThat(c.through()).containsExactly(SessionStatus.PREPARING, SessionStatus.RUNNING);
            assertThat(c.next().status()).isEqualTo(SessionStatus.TERMINATED);
            assertThat(c.agentSlots()).as("the end gives the slots back in the same write").singleElement()
                    .satisfies(a -> assertThat(a.reserve()).isFalse());
            assertThat(c.output()).contains("hello\n");
        });
        assertThat(bucket).as("a small output needs no bucket PUT").isEmpty();
        assertThat(events).extracting(e -> e.previousStatus().orElseThrow() + ">" + e.status())
                .containsExactly("SCHEDULED>PREPARING", "PREPARING>RUNNING", "RUNNING>TERMINATED");
        assertThat(events).extracting(SessionStatusChanged::sequence).isSorted().doesNotHaveDuplicates();
        assertThat(store.stored.get("s-1").statusHistory()).extracting(h -> h.status())
                .containsExactly(SessionStatus.PENDING, SessionStatus.SCHEDULED, SessionStatus.PREPARING, SessionStatus.RUNNING,
                        SessionStatus.TERMINATED);
    }

    @Test
    void aLargerOutputGoesToTheBucketBeforeTheWrite() {
        Store store = new Store();
        store.stored.put("s-1", scheduled("s-1"));
        List<String> bucket = new ArrayList<>();
        String big = "é".repeat(SessionChange.MAX_STORED_OUTPUT_BYTES / 2 + 1);

        service(store, new ArrayList<>(), bucket).applyReports("i-1", life("s-1", big));

        assertThat(bucket).containsExactly("s-1:" + big.length());
        assertThat(store.changes).singleElement().satisfies(c -> assertThat(c.output()).isEmpty());
    }

    @Test
    void aRetriedHeartbeatIsAnsweredUnchangedAndWritesNothing() {
        Store store = new Store();
        store.stored.put("s-1", scheduled("s-1"));
        List<SessionStatusChanged> events = new ArrayList<>();
        AgentWorkService service = service(store, events, new ArrayList<>());
        service.applyReports("i-1", life("s-1", "x"));
        events.clear();

        List<AgentReports.Result> again = service.applyReports("i-1", life("s-1", "x"));

        assertThat(again).extracting(AgentReports.Result::outcome).containsExactly(AgentReports.Outcome.REFUSED,
                AgentReports.Outcome.REFUSED, AgentReports.Outcome.UNCHANGED);
        assertThat(store.changes).hasSize(1);
        assertThat(events).isEmpty();
    }

    @Test
    void aLostRaceDecidesEveryStepAgainFromWhatIsStored() {
        Store store = new Store();
        Session scheduled = scheduled("s-1");
        store.stored.put("s-1", scheduled);
        // Meanwhile the user destroyed it: TERMINATING.
        store.racer = scheduled.transitionTo(SessionStatus.PREPARING, "preparing", StatusData.NONE, T0)
                .transitionTo(SessionStatus.TERMINATING, "user-requested", StatusData.NONE, T0);
        List<SessionStatusChanged> events = new ArrayList<>();

        List<AgentReports.Result> results = service(store, events, new ArrayList<>()).applyReports("i-1", life("s-1", "x"));

        assertThat(results).extracting(AgentReports.Result::outcome).containsExactly(AgentReports.Outcome.REFUSED,
                AgentReports.Outcome.REFUSED, AgentReports.Outcome.APPLIED);
        assertThat(results.get(0).status()).contains("TERMINATING");
        assertThat(store.changes).hasSize(2);
        assertThat(store.changes.get(1).through()).isEmpty();
        assertThat(events).extracting(e -> e.previousStatus().orElseThrow() + ">" + e.status()).containsExactly("TERMINATING>TERMINATED");
    }

    @Test
    void reportsOfTwoSessionsAreWrittenPerSessionAndAnsweredInOrder() {
        Store store = new Store();
        store.stored.put("s-1", scheduled("s-1"));
        store.stored.put("s-2", scheduled("s-2"));
        AtomicReference<List<SessionStatusChanged>> events = new AtomicReference<>(new ArrayList<>());
        List<Object> reports = new ArrayList<>(life("s-1", "a"));
        reports.add(Map.of("session_id", "s-2", "seq", 1, "status", "PREPARING"));
        reports.add(Map.of("session_id", "s-2", "seq", 2, "status", "RUNNING"));

        List<AgentReports.Result> results = service(store, events.get(), new ArrayList<>()).applyReports("i-1", reports);

        assertThat(results).extracting(r -> r.sessionId() + "#" + r.seq()).containsExactly("s-1#1", "s-1#2", "s-1#3", "s-2#1", "s-2#2");
        assertThat(store.changes).extracting(c -> c.next().id() + ":" + c.next().status())
                .containsExactly("s-1:TERMINATED", "s-2:RUNNING");
        assertThat(events.get()).hasSize(5);
    }
}
