package dev.sluice.core.agent;

import dev.sluice.core.session.StatusData;
import dev.sluice.core.json.JsonObject;
import dev.sluice.core.json.JsonValue;
import dev.sluice.core.request.RequestFields;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.error.DomainException;
import dev.sluice.core.session.Kernel;
import dev.sluice.core.session.Session;
import dev.sluice.core.session.SessionResult;
import dev.sluice.core.session.SessionSpec;
import dev.sluice.core.session.SessionStatus;
import dev.sluice.core.slots.ResourceSlots;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What an agent's report does to a session: REFERENCE §2 batch results, idempotent retries, refusals. */
class KernelReportsTest {
    private static final Instant T0 = Instant.parse("2026-11-25T10:00:00Z");

    static Session session(String type, SessionStatus... path) {
        Map<String, Object> body = type.equals("batch")
                ? Map.of("image", "python:3.12", "type", "batch", "startup_command", "python train.py", "resource_slots", Map.of("cpu", 1, "mem", "1g"))
                : Map.of("image", "python:3.12", "resource_slots", Map.of("cpu", 1, "mem", "1g"));
        Session s = Session.enqueue("s-1", "alice", SessionSpec.parse(RequestFields.of(body), T0), "default", T0)
                .placedOn(List.of(new Kernel("i-1", ResourceSlots.parse(RequestFields.of(Map.of("cpu", 1)).at("r")))));
        for (SessionStatus st : path) {
            s = s.transitionTo(st, st == SessionStatus.TERMINATING ? "user-requested" : st.name().toLowerCase(), new StatusData(JsonObject.of("requested_by", "alice")), T0);
        }
        return s;
    }

    static KernelReport report(Map<String, Object> body) {
        return KernelReport.parse(RequestFields.of(body));
    }

    private static KernelReports.Decision.Apply applied(KernelReports.Decision d) {
        assertThat(d).isInstanceOf(KernelReports.Decision.Apply.class);
        return (KernelReports.Decision.Apply) d;
    }

    @ParameterizedTest
    @CsvSource({"0,,task-finished,SUCCESS", "3,,task-failed,FAILURE", "137,task-timeout,task-timeout,FAILURE", "0,task-timeout,task-timeout,FAILURE"})
    void aBatchSessionsEndGivesItsResult(int exit, String reason, String info, String result) {
        Session running = session("batch", SessionStatus.SCHEDULED, SessionStatus.PREPARING, SessionStatus.RUNNING);
        Map<String, Object> body = reason == null ? Map.of("status", "TERMINATED", "exit_code", exit)
                : Map.of("status", "TERMINATED", "exit_code", exit, "reason", reason);
        Session next = applied(KernelReports.decide(running, "i-1", report(body), T0)).next();
        assertThat(next.status()).isEqualTo(SessionStatus.TERMINATED);
        assertThat(next.statusInfo()).isEqualTo(info);
        assertThat(next.result()).isEqualTo(SessionResult.valueOf(result));
        assertThat(next.statusData().fields()).containsEntry("exit_code", JsonValue.of(exit)).containsEntry("agent_id", JsonValue.of("i-1"));
        assertThat(next.occupiedSlots().isEmpty()).isTrue();
    }

    @Test
    void aDestroyedSessionKeepsTheReasonItWasDestroyedFor() {
        Session terminating = session("interactive", SessionStatus.SCHEDULED, SessionStatus.PREPARING, SessionStatus.RUNNING,
                SessionStatus.TERMINATING);
        Session next = applied(KernelReports.decide(terminating, "i-1",
                report(Map.of("status", "TERMINATED", "exit_code", 143, "reason", "user-requested")), T0)).next();
        assertThat(next.statusInfo()).isEqualTo("user-requested");
        assertThat(next.statusData().fields()).containsEntry("requested_by", JsonValue.of("alice")).containsEntry("exit_code", JsonValue.of(143));
        assertThat(next.result()).isEqualTo(SessionResult.UNDEFINED);
    }

    @Test
    void anInteractiveSessionThatEndsByItselfIsSelfTerminated() {
        Session running = session("interactive", SessionStatus.SCHEDULED, SessionStatus.PREPARING, SessionStatus.RUNNING);
        Session next = applied(KernelReports.decide(running, "i-1", report(Map.of("status", "TERMINATED", "exit_code", 0)), T0)).next();
        assertThat(next.statusInfo()).isEqualTo("self-terminated");
    }

    @Test
    void aRetriedReportChangesNothing() {
        Session running = session("interactive", SessionStatus.SCHEDULED, SessionStatus.PREPARING, SessionStatus.RUNNING);
        assertThat(KernelReports.decide(running, "i-1", report(Map.of("status", "RUNNING")), T0))
                .isEqualTo(new KernelReports.Decision.Unchanged(running));
    }

    @Test
    void aLateEndOfASessionThatAlreadyEndedIsOldNewsButALateStartIsRefused() {
        Session ended = session("interactive", SessionStatus.SCHEDULED, SessionStatus.TERMINATED);
        assertThat(KernelReports.decide(ended, "i-1", report(Map.of("status", "TERMINATED", "exit_code", 0)), T0))
                .isInstanceOf(KernelReports.Decision.Unchanged.class);
        assertThat(KernelReports.decide(ended, "i-1", report(Map.of("status", "RUNNING")), T0))
                .isEqualTo(new KernelReports.Decision.Refused(SessionStatus.TERMINATED));
    }

    @Test
    void whatTheMapForbidsIsRefusedWithTheCurrentStatus() {
        Session terminating = session("interactive", SessionStatus.SCHEDULED, SessionStatus.PREPARING, SessionStatus.RUNNING,
                SessionStatus.TERMINATING);
        assertThat(KernelReports.decide(terminating, "i-1", report(Map.of("status", "RUNNING")), T0))
                .isEqualTo(new KernelReports.Decision.Refused(SessionStatus.TERMINATING));
        Session scheduled = session("interactive", SessionStatus.SCHEDULED);
        assertThat(KernelReports.decide(scheduled, "i-1", report(Map.of("status", "RUNNING")), T0))
                .as("SCHEDULED goes through PULLING or PREPARING first").isInstanceOf(KernelReports.Decision.Refused.class);
    }

    @Test
    void aFailedStartIsAnErrorThatGivesTheSlotsBack() {
        Session preparing = session("batch", SessionStatus.SCHEDULED, SessionStatus.PREPARING);
        KernelReports.Decision.Apply a = applied(KernelReports.decide(preparing, "i-1",
                report(Map.of("status", "ERROR", "message", "image not found")), T0));
        assertThat(a.next().status()).isEqualTo(SessionStatus.ERROR);
        assertThat(a.next().statusInfo()).isEqualTo("failed-to-start");
        assertThat(a.next().statusData().fields()).containsEntry("message", JsonValue.of("image not found")).containsEntry("source", JsonValue.of("agent"));
        assertThat(a.next().result()).isEqualTo(SessionResult.FAILURE);
        assertThat(a.releaseSlots()).isTrue();
    }

    @Test
    void runningCarriesTheContainerAndItsDevices() {
        Session preparing = session("interactive", SessionStatus.SCHEDULED, SessionStatus.PREPARING);
        Session next = applied(KernelReports.decide(preparing, "i-1", report(Map.of("status", "RUNNING",
                "container_id", "4f2a", "devices", Map.of("cuda.device", "GPU-1"))), T0)).next();
        assertThat(next.statusData().fields()).containsEntry("container_id", JsonValue.of("4f2a")).containsEntry("devices", JsonValue.of(Map.of("cuda.device", "GPU-1")));
        assertThat(next.startedAt()).contains(T0);
    }

    @Test
    void aFurtherKernelEndingWhileTheSessionRunsDegradesItAndItsOtherStepsChangeNothing() {
        Session running = session("interactive", SessionStatus.SCHEDULED, SessionStatus.PREPARING, SessionStatus.RUNNING);
        assertThat(KernelReports.decide(running, "i-2", 1, report(Map.of("status", "PREPARING")), T0))
                .isInstanceOf(KernelReports.Decision.Unchanged.class);
        Session degraded = applied(KernelReports.decide(running, "i-2", 1,
                report(Map.of("status", "TERMINATED", "exit_code", 9)), T0)).next();
        assertThat(degraded.status()).isEqualTo(SessionStatus.RUNNING_DEGRADED);
        assertThat(degraded.statusData().fields()).containsEntry("degraded_kernel", JsonValue.of(1)).containsEntry("degraded_exit_code", JsonValue.of(9));
        Session terminating = session("interactive", SessionStatus.SCHEDULED, SessionStatus.PREPARING, SessionStatus.RUNNING,
                SessionStatus.TERMINATING);
        assertThat(KernelReports.decide(terminating, "i-2", 1, report(Map.of("status", "TERMINATED", "exit_code", 0)), T0))
                .isInstanceOf(KernelReports.Decision.Unchanged.class);
    }

    @Test
    void reportsAreValidatedFieldByField() {
        assertField(Map.of("status", "CANCELLED"), "status");
        assertField(Map.of("status", "SCHEDULED"), "status");
        assertField(Map.of("status", "TERMINATED"), "exit_code");
        assertField(Map.of("status", "TERMINATED", "exit_code", 999), "exit_code");
        assertField(Map.of("status", "TERMINATED", "exit_code", 0, "reason", "bored"), "reason");
        assertField(Map.of("status", "RUNNING", "container_id", "a b"), "container_id");
        assertField(Map.of("status", "RUNNING", "colour", "red"), "colour");
    }

    private static void assertField(Map<String, Object> body, String field) {
        assertThatThrownBy(() -> KernelReport.parse(RequestFields.of(body))).isInstanceOf(DomainException.class)
                .satisfies(e -> assertThat(((DomainException) e).field()).contains(field));
    }
}
