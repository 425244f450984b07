package dev.sluice.core.usecase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import dev.sluice.protocol.SessionRuntimeFacts;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Runtime facts in the agent's reports: alone, while the session is PULLING or PREPARING, they are one conditional
 * write through {@code SessionStore.apply} at the same status and sequence, with no event; with a status change they
 * ride it (and its event); elsewhere, or unchanged, they write nothing. An agent without them leaves the stored ones.
 */
class RuntimeFactsReportsTest {
    private static final Instant T0 = Instant.parse("2026-12-03T10:00:00Z");
    private static final SessionRuntimeFacts HALF = SessionRuntimeFacts.EMPTY.withPull(new SessionRuntimeFacts.PullProgress(50, 100, 1, 2));
    private static final SessionRuntimeFacts ALL = SessionRuntimeFacts.EMPTY.withPull(new SessionRuntimeFacts.PullProgress(100, 100, 2, 2));

    private Session stored;
    private final List<SessionChange> applied = new ArrayList<>();
    private final List<SessionStatusChanged> published = new ArrayList<>();

    @SuppressWarnings("unchecked")
    private static <T> T fake(Class<T> type, java.lang.reflect.InvocationHandler handler) {
        return (T) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, handler);
    }

    private static Session session(SessionStatus... path) {
        Session s = Session.enqueue("s-1", "alice", SessionSpec.parse(RequestFields.of(Map.of("image", "busybox", "type", "batch",
                        "startup_command", "true", "resource_slots", Map.of("cpu", 1, "mem", "1g"))), T0), "g1", T0)
                .placedOn(List.of(new Kernel("i-1", ResourceSlots.parse(RequestFields.of(Map.of("cpu", 1)).at("r")))))
                .transitionTo(SessionStatus.SCHEDULED, "scheduled", StatusData.NONE, T0);
        for (SessionStatus to : path) {
            s = s.transitionTo(to, to.name().toLowerCase(), StatusData.NONE, T0);
        }
        return s;
    }

    private AgentWorkService service() {
        SessionStore sessions = fake(SessionStore.class, (proxy, method, args) -> switch (method.getName()) {
            case "find" -> Optional.of(stored);
            case "apply" -> {
                SessionChange c = (SessionChange) args[0];
                applied.add(c);
                if (c.expectedStatus() != stored.status() || c.expectedSequence() != stored.sequence()) {
                    yield new SessionStore.SaveOutcome.Conflict(Optional.of(stored));
                }
                stored = c.next();
                yield new SessionStore.SaveOutcome.Saved(stored);
            }
            default -> throw new UnsupportedOperationException(method.getName());
        });
        return new AgentWorkService(
                fake(AgentStore.class, (p, m, a) -> { throw new UnsupportedOperationException(m.getName()); }), sessions,
                fake(ResourceGroupStore.class, (p, m, a) -> { throw new UnsupportedOperationException(m.getName()); }),
                fake(SessionLogs.class, (p, m, a) -> null),
                fake(EventPublisher.class, (p, m, a) -> {
                    if (m.getName().equals("publish")) {
                        published.add((SessionStatusChanged) a[0]);
                    }
                    return null;
                }),
                Clock.fixed(T0, ZoneOffset.UTC), Duration.ofSeconds(20), Duration.ofSeconds(60));
    }

    private static Map<String, Object> report(long seq, String status, SessionRuntimeFacts facts) {
        Map<String, Object> r = new LinkedHashMap<>(Map.of("session_id", "s-1", "seq", seq, "status", status));
        if (facts != null) {
            r.put("runtime", facts.toWire());
        }
        return r;
    }

    @Test
    void factsAloneWhilePullingAreOneConditionalWriteAtTheSameSequenceWithNoEvent() {
        stored = session(SessionStatus.PULLING);
        long sequence = stored.sequence();
        List<AgentReports.Result> results = service().applyReports("i-1", List.of(report(1, "PULLING", HALF)));

        assertThat(results).extracting(AgentReports.Result::outcome).containsExactly(AgentReports.Outcome.APPLIED);
        assertThat(applied).singleElement().satisfies(c -> {
            assertThat(c.expectedStatus()).isEqualTo(SessionStatus.PULLING);
            assertThat(c.expectedSequence()).isEqualTo(sequence);
            assertThat(c.items()).as("the session item alone").isEqualTo(1);
        });
        assertThat(stored.runtime()).isEqualTo(HALF);
        assertThat(stored.sequence()).as("no sequence of its own: events stay one per status change").isEqualTo(sequence);
        assertThat(stored.statusHistory()).hasSize(session(SessionStatus.PULLING).statusHistory().size());
        assertThat(published).as("progress publishes no event").isEmpty();
    }

    @Test
    void theSameFactsAgainWriteNothingAndTheNextStatusChangeCarriesTheLatest() {
        stored = session(SessionStatus.PULLING).withRuntime(HALF);
        AgentWorkService service = service();
        assertThat(service.applyReports("i-1", List.of(report(1, "PULLING", HALF))))
                .extracting(AgentReports.Result::outcome).containsExactly(AgentReports.Outcome.UNCHANGED);
        assertThat(applied).isEmpty();

        service.applyReports("i-1", List.of(report(2, "PREPARING", ALL)));
        assertThat(stored.status()).isEqualTo(SessionStatus.PREPARING);
        assertThat(stored.runtime()).isEqualTo(ALL);
        assertThat(published).singleElement().satisfies(e -> {
            assertThat(e.status()).isEqualTo(SessionStatus.PREPARING);
            assertThat(e.runtime()).as("the event carries the latest facts").isEqualTo(ALL);
        });
    }

    @Test
    void factsAloneAreNotWrittenOnceTheSessionRunsAndAReportWithoutThemKeepsTheStoredOnes() {
        stored = session(SessionStatus.PREPARING, SessionStatus.RUNNING).withRuntime(HALF);
        AgentWorkService service = service();
        assertThat(service.applyReports("i-1", List.of(report(3, "RUNNING", ALL))))
                .extracting(AgentReports.Result::outcome).containsExactly(AgentReports.Outcome.UNCHANGED);
        assertThat(applied).isEmpty();

        service.applyReports("i-1", List.of(Map.of("session_id", "s-1", "seq", 4, "status", "TERMINATED", "exit_code", 0)));
        assertThat(stored.status()).isEqualTo(SessionStatus.TERMINATED);
        assertThat(stored.runtime()).as("an agent before the facts leaves them as they were").isEqualTo(HALF);
    }

    @Test
    void malformedFactsAreAnInvalidReportNamingTheField() {
        stored = session(SessionStatus.PULLING);
        Map<String, Object> bad = new LinkedHashMap<>(report(1, "PULLING", null));
        bad.put("runtime", Map.of("pull", Map.of("bytes_done", "lots")));
        List<AgentReports.Result> results = service().applyReports("i-1", List.of(bad));
        assertThat(results).singleElement().satisfies(r -> {
            assertThat(r.outcome()).isEqualTo(AgentReports.Outcome.INVALID);
            assertThat(r.message()).get().asString().startsWith("runtime ");
        });
        assertThat(applied).isEmpty();
    }

    @Test
    void theChangeOfFactsAloneIsRefusedOutsidePullingAndPreparing() {
        for (SessionStatus s : List.of(SessionStatus.PULLING, SessionStatus.PREPARING)) {
            Session current = s == SessionStatus.PULLING ? session(s) : session(SessionStatus.PULLING, s);
            SessionChange c = SessionChange.runtimeFacts(current, HALF);
            assertThat(c.next().sequence()).isEqualTo(current.sequence());
            assertThat(c.next()).isEqualTo(current.withRuntime(HALF));
        }
        Session running = session(SessionStatus.PREPARING, SessionStatus.RUNNING);
        assertThatThrownBy(() -> SessionChange.runtimeFacts(running, HALF))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PULLING or PREPARING");
    }
}
