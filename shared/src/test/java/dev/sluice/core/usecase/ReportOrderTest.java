package dev.sluice.core.usecase;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.session.StatusData;
import dev.sluice.core.port.AgentStore;
import dev.sluice.core.port.EventPublisher;
import dev.sluice.core.port.ResourceGroupStore;
import dev.sluice.core.port.SessionLogs;
import dev.sluice.core.port.SessionStore;
import dev.sluice.core.request.RequestFields;
import dev.sluice.core.session.Kernel;
import dev.sluice.core.session.Session;
import dev.sluice.core.session.SessionSpec;
import dev.sluice.core.session.SessionStatus;
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
import org.junit.jupiter.api.Test;

/**
 * The steps of one session in one heartbeat are applied in order: when one of them is to be sent again (a store error),
 * the later ones wait with it instead of being applied past it (a TERMINATED applied while its RUNNING waits would
 * leave RUNNING out of the history for good).
 */
class ReportOrderTest {
    private static final Instant T0 = Instant.parse("2026-12-03T10:00:00Z");

    @SuppressWarnings("unchecked")
    private static <T> T fake(Class<T> type, java.lang.reflect.InvocationHandler handler) {
        return (T) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, handler);
    }

    @Test
    void aLaterStepWaitsBehindAnEarlierOneThatIsToBeSentAgain() {
        Session preparing = Session.enqueue("s-1", "alice", SessionSpec.parse(RequestFields.of(Map.of("image", "busybox", "type", "batch",
                        "startup_command", "true", "resource_slots", Map.of("cpu", 1, "mem", "1g"))), T0), "g1", T0)
                .placedOn(List.of(new Kernel("i-1", ResourceSlots.parse(RequestFields.of(Map.of("cpu", 1)).at("r")))))
                .transitionTo(SessionStatus.SCHEDULED, "scheduled", StatusData.NONE, T0)
                .transitionTo(SessionStatus.PREPARING, "preparing", StatusData.NONE, T0);
        List<String> applied = new ArrayList<>();
        SessionStore sessions = fake(SessionStore.class, (proxy, method, args) -> switch (method.getName()) {
            case "find" -> Optional.of(preparing);
            case "apply" -> {
                applied.add(String.valueOf(args[0]));
                throw new IllegalStateException("throttled");
            }
            default -> throw new UnsupportedOperationException(method.getName());
        });
        AgentWorkService service = new AgentWorkService(
                fake(AgentStore.class, (p, m, a) -> { throw new UnsupportedOperationException(m.getName()); }), sessions,
                fake(ResourceGroupStore.class, (p, m, a) -> { throw new UnsupportedOperationException(m.getName()); }),
                fake(SessionLogs.class, (p, m, a) -> null),
                fake(EventPublisher.class, (p, m, a) -> null),
                Clock.fixed(T0, ZoneOffset.UTC), Duration.ofSeconds(20), Duration.ofSeconds(60));

        List<AgentReports.Result> results = service.applyReports("i-1", List.of(
                Map.of("session_id", "s-1", "seq", 1, "status", "RUNNING"),
                Map.of("session_id", "s-1", "seq", 2, "status", "TERMINATED", "exit_code", 0)));

        assertThat(results).extracting(AgentReports.Result::outcome)
                .containsExactly(AgentReports.Outcome.RETRY, AgentReports.Outcome.RETRY);
        assertThat(applied).as("the TERMINATED is never tried while its RUNNING waits").hasSize(1);
    }
}
