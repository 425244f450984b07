package dev.sluice.core.session;

import dev.sluice.core.json.JsonObject;
import dev.sluice.core.json.JsonValue;
import dev.sluice.core.request.RequestFields;

import static dev.sluice.core.session.SessionStatus.CANCELLED;
import static dev.sluice.core.session.SessionStatus.ERROR;
import static dev.sluice.core.session.SessionStatus.PENDING;
import static dev.sluice.core.session.SessionStatus.PREPARING;
import static dev.sluice.core.session.SessionStatus.RESTARTING;
import static dev.sluice.core.session.SessionStatus.RUNNING;
import static dev.sluice.core.session.SessionStatus.SCHEDULED;
import static dev.sluice.core.session.SessionStatus.TERMINATED;
import static dev.sluice.core.session.SessionStatus.TERMINATING;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.slots.ResourceSlots;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class SessionTest {
    private static final Instant T0 = Instant.parse("2026-11-24T10:00:00Z");
    private static final SessionSpec SPEC = SessionSpec.parse(
            RequestFields.of(Map.of("image", "python:3.12", "resource_slots", Map.of("cpu", 2, "mem", "4g"))), T0);
    private static final ResourceSlots KERNEL_SLOTS = ResourceSlots.parse(RequestFields.of(Map.of("cpu", 2, "mem", "4g")).at("s"));
    private static final Kernel KERNEL = new Kernel("i-1", KERNEL_SLOTS);

    private static Session pending() {
        return Session.enqueue("s-1", "alice", SPEC, "gpu", T0);
    }

    /** A session placed on an agent and sitting in {@code status}, as if read back from the store. */
    private static Session placedIn(SessionStatus status) {
        return new Session("s-1", "alice", SPEC, "gpu", status, "some-info", new StatusData(JsonObject.of("k", "v")),
                List.of(new StatusChange(status, T0)), List.of(KERNEL), SessionResult.UNDEFINED, T0,
                Optional.empty(), Optional.empty(), 7);
    }

    private static Instant at(int seconds) {
        return T0.plusSeconds(seconds);
    }

    @Test
    void enqueueStartsPendingWithSequenceOneAndOneHistoryEntry() {
        Session s = pending();
        assertThat(s.id()).isEqualTo("s-1");
        assertThat(s.owner()).isEqualTo("alice");
        assertThat(s.spec()).isEqualTo(SPEC);
        assertThat(s.resourceGroup()).isEqualTo("gpu");
        assertThat(s.status()).isEqualTo(PENDING);
        assertThat(s.sequence()).isEqualTo(1);
        assertThat(s.statusHistory()).containsExactly(new StatusChange(PENDING, T0));
        assertThat(s.statusInfo()).isEqualTo("enqueued");
        assertThat(s.statusData().fields()).isEmpty();
        assertThat(s.kernels()).isEmpty();
        assertThat(s.agentId()).isEmpty();
        assertThat(s.result()).isEqualTo(SessionResult.UNDEFINED);
        assertThat(s.createdAt()).isEqualTo(T0);
        assertThat(s.startedAt()).isEmpty();
        assertThat(s.terminatedAt()).isEmpty();
        assertThat(s.occupiedSlots().isEmpty()).isTrue();
    }

    @Test
    void aTransitionAppendsHistoryIncrementsSequenceAndRecordsInfoAndData() {
        Session s = pending().placedOn(List.of(KERNEL));
        Session scheduled = s.transitionTo(SCHEDULED, "scheduled", new StatusData(JsonObject.of("agent", "i-1")), at(1));
        assertThat(scheduled.status()).isEqualTo(SCHEDULED);
        assertThat(scheduled.sequence()).isEqualTo(2);
        assertThat(scheduled.statusInfo()).isEqualTo("scheduled");
        assertThat(scheduled.statusData().fields()).containsExactly(Map.entry("agent", JsonValue.of("i-1")));
        assertThat(scheduled.statusHistory()).containsExactly(new StatusChange(PENDING, T0), new StatusChange(SCHEDULED, at(1)));

        Session preparing = scheduled.transitionTo(PREPARING, "", StatusData.NONE, at(2));
        assertThat(preparing.sequence()).isEqualTo(3);
        assertThat(preparing.statusData().fields()).as("data is replaced, not merged").isEmpty();
        assertThat(preparing.statusHistory()).extracting(StatusChange::status).containsExactly(PENDING, SCHEDULED, PREPARING);
        assertThat(preparing.statusHistory()).extracting(StatusChange::at).containsExactly(T0, at(1), at(2));
    }

    @Test
    void aTransitionKeepsWhatItDoesNotConcern() {
        Session s = pending().placedOn(List.of(KERNEL)).withResult(SessionResult.SUCCESS);
        Session next = s.transitionTo(SCHEDULED, "scheduled", StatusData.NONE, at(1));
        assertThat(next.id()).isEqualTo(s.id());
        assertThat(next.owner()).isEqualTo(s.owner());
        assertThat(next.spec()).isEqualTo(s.spec());
        assertThat(next.resourceGroup()).isEqualTo(s.resourceGroup());
        assertThat(next.kernels()).isEqualTo(s.kernels());
        assertThat(next.result()).isEqualTo(SessionResult.SUCCESS);
        assertThat(next.createdAt()).isEqualTo(T0);
    }

    @Test
    void aLegalTransitionLeavesTheOriginalValueUntouched() {
        Session s = pending();
        s.transitionTo(CANCELLED, "user-requested", StatusData.NONE, at(5));
        assertThat(s.status()).isEqualTo(PENDING);
        assertThat(s.sequence()).isEqualTo(1);
        assertThat(s.statusHistory()).hasSize(1);
        assertThat(s.terminatedAt()).isEmpty();
    }

    @Test
    void startedAtIsStampedOnTheFirstRunningOnly() {
        Session running = placedIn(PREPARING).transitionTo(RUNNING, "", StatusData.NONE, at(3));
        assertThat(running.startedAt()).contains(at(3));
        Session again = running.transitionTo(RESTARTING, "", StatusData.NONE, at(4)).transitionTo(RUNNING, "", StatusData.NONE, at(5));
        assertThat(again.startedAt()).as("a restart does not move the start").contains(at(3));
        assertThat(again.terminatedAt()).isEmpty();
    }

    @Test
    void startedAtStaysEmptyUntilRunning() {
        Session s = pending().placedOn(List.of(KERNEL))
                .transitionTo(SCHEDULED, "", StatusData.NONE, at(1))
                .transitionTo(PREPARING, "", StatusData.NONE, at(2));
        assertThat(s.startedAt()).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(value = SessionStatus.class, names = {"TERMINATED", "CANCELLED"})
    void terminatedAtIsStampedWhenEnteringAFinalStatus(SessionStatus last) {
        Session ended = placedIn(SCHEDULED).transitionTo(last, "x", StatusData.NONE, at(9));
        assertThat(ended.terminatedAt()).contains(at(9));
    }

    @ParameterizedTest
    @EnumSource(value = SessionStatus.class, names = {"TERMINATING", "ERROR"})
    void terminatedAtIsNotStampedOnTheWayToTheEnd(SessionStatus notYet) {
        Session s = placedIn(RUNNING).transitionTo(notYet, "", StatusData.NONE, at(9));
        assertThat(s.terminatedAt()).isEmpty();
    }

    @Test
    void aWholeLifeHoldsSlotsWhileActiveAndReleasesThemAtTheEnd() {
        Session scheduled = pending().placedOn(List.of(KERNEL)).transitionTo(SCHEDULED, "scheduled", StatusData.NONE, at(1));
        assertThat(scheduled.occupiedSlots()).isEqualTo(KERNEL_SLOTS);
        Session running = scheduled.transitionTo(PREPARING, "", StatusData.NONE, at(2)).transitionTo(RUNNING, "", StatusData.NONE, at(3));
        assertThat(running.sequence()).isEqualTo(4);
        assertThat(running.occupiedSlots().get("cpu")).isEqualByComparingTo("2");
        Session terminating = running.transitionTo(TERMINATING, "user-requested", StatusData.NONE, at(8));
        assertThat(terminating.occupiedSlots()).as("held until the agent reports the end").isEqualTo(KERNEL_SLOTS);
        Session ended = terminating.transitionTo(TERMINATED, "task-finished", new StatusData(JsonObject.of("exit_code", 0)), at(9));
        assertThat(ended.occupiedSlots().isEmpty()).as("slots are freed at the end").isTrue();
        assertThat(ended.agentId()).as("where it ran is kept").contains("i-1");
        assertThat(ended.kernels()).containsExactly(KERNEL);
        assertThat(ended.startedAt()).contains(at(3));
        assertThat(ended.terminatedAt()).contains(at(9));
        assertThat(ended.sequence()).isEqualTo(6);
        assertThat(ended.statusHistory()).extracting(StatusChange::status)
                .containsExactly(PENDING, SCHEDULED, PREPARING, RUNNING, TERMINATING, TERMINATED);
    }

    @ParameterizedTest
    @EnumSource(SessionStatus.class)
    void occupiedSlotsFollowTheStatus(SessionStatus status) {
        Session s = placedIn(status);
        if (status == PENDING || status == TERMINATED || status == CANCELLED) {
            assertThat(s.occupiedSlots()).isEqualTo(ResourceSlots.EMPTY);
        } else {
            assertThat(s.occupiedSlots()).isEqualTo(KERNEL_SLOTS);
        }
    }

    @Test
    void occupiedSlotsAddUpEveryKernel() {
        Kernel other = new Kernel("i-2", ResourceSlots.parse(RequestFields.of(Map.of("cpu", "1.5", "cuda.device", 1)).at("s")));
        Session s = placedIn(RUNNING).placedOn(List.of(KERNEL, other));
        assertThat(s.occupiedSlots()).isEqualTo(ResourceSlots.parse(RequestFields.of(Map.of("cpu", "3.5", "mem", "4g", "cuda.device", 1)).at("s")));
        assertThat(s.agentId()).contains("i-1");
    }

    @Test
    void aPendingSessionCancelledNeverHeldSlotsAndNeverStarted() {
        Session cancelled = pending().transitionTo(CANCELLED, "user-requested", StatusData.NONE, at(1));
        assertThat(cancelled.status()).isEqualTo(CANCELLED);
        assertThat(cancelled.occupiedSlots().isEmpty()).isTrue();
        assertThat(cancelled.startedAt()).isEmpty();
        assertThat(cancelled.terminatedAt()).contains(at(1));
        assertThat(cancelled.agentId()).isEmpty();
    }

    @Test
    void anIllegalTransitionThrowsNamingBothStatusesAndLeavesTheSessionAsItWas() {
        Session s = pending();
        assertThatThrownBy(() -> s.transitionTo(RUNNING, "", StatusData.NONE, at(1)))
                .isInstanceOfSatisfying(IllegalTransitionException.class, e -> {
                    assertThat(e.from()).isEqualTo(PENDING);
                    assertThat(e.to()).isEqualTo(RUNNING);
                })
                .hasMessageContaining("s-1").hasMessageContaining("PENDING").hasMessageContaining("RUNNING");
        assertThat(s).isEqualTo(pending());
    }

    static Stream<Arguments> everyPairOfStatuses() {
        return SessionTransitionsTest.everyPairOfStatuses();
    }

    @ParameterizedTest(name = "{0} -> {1} allowed: {2}")
    @MethodSource("everyPairOfStatuses")
    void transitionToObeysTheReferenceTableForEveryPair(SessionStatus from, SessionStatus to, boolean allowed) {
        Session before = placedIn(from);
        Session snapshot = placedIn(from);
        if (allowed && to == PENDING) {
            // The retry re-queue: not a plain transition, only requeuedAfter with the ended attempt.
            assertThatThrownBy(() -> before.transitionTo(to, "why", StatusData.NONE, at(1))).isInstanceOf(IllegalTransitionException.class);
            Attempt ended = new Attempt(1, Optional.of("i-1"), Optional.empty(), Optional.of(T0), Optional.empty(), at(1),
                    ERROR, "agent-lost", Optional.empty(), true, "rule 1 (retry on agent-lost) matched");
            Session after = before.requeuedAfter(ended, "retrying", StatusData.NONE, at(1));
            assertThat(after.status()).isEqualTo(PENDING);
            assertThat(after.attempts()).containsExactly(ended);
            assertThat(after.attempt()).isEqualTo(2);
            assertThat(after.requeuedAt()).contains(at(1));
            assertThat(after.statusHistory()).containsExactly(new StatusChange(from, T0), new StatusChange(PENDING, at(1)));
        } else if (allowed) {
            Session after = before.transitionTo(to, "why", new StatusData(JsonObject.of("n", 1)), at(1));
            assertThat(after.status()).isEqualTo(to);
            assertThat(after.sequence()).isEqualTo(8);
            assertThat(after.statusHistory()).containsExactly(new StatusChange(from, T0), new StatusChange(to, at(1)));
            assertThat(after.statusInfo()).isEqualTo("why");
            assertThat(after.occupiedSlots().isEmpty()).isEqualTo(!to.occupiesSlots());
            assertThat(after.terminatedAt().isPresent()).isEqualTo(to.isFinal());
        } else {
            assertThatThrownBy(() -> before.transitionTo(to, "why", new StatusData(JsonObject.of("n", 1)), at(1)))
                    .isInstanceOfSatisfying(IllegalTransitionException.class, e -> {
                        assertThat(e.from()).isEqualTo(from);
                        assertThat(e.to()).isEqualTo(to);
                    });
        }
        assertThat(before).as("the original value never changes").isEqualTo(snapshot);
    }

    @Test
    void historyIsReadOnly() {
        Session s = pending();
        assertThatThrownBy(() -> s.statusHistory().add(new StatusChange(RUNNING, T0)))
                .isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> s.statusData().fields().put("x", JsonValue.of(1))).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void statusDataCanBeReplacedWithoutATransition() {
        Session s = pending().withStatusData("predicate-checks-failed", new StatusData(JsonObject.of("retries", 3)));
        assertThat(s.status()).isEqualTo(PENDING);
        assertThat(s.sequence()).isEqualTo(1);
        assertThat(s.statusHistory()).hasSize(1);
        assertThat(s.statusInfo()).isEqualTo("predicate-checks-failed");
        assertThat(s.statusData().fields()).containsEntry("retries", JsonValue.of(3));
    }

    @Test
    void errorStillHoldsSlotsUntilTerminated() {
        Session error = placedIn(RUNNING).transitionTo(ERROR, "agent-lost", new StatusData(JsonObject.of("source", "agent")), at(1));
        assertThat(error.occupiedSlots()).isEqualTo(KERNEL_SLOTS);
        assertThat(error.transitionTo(TERMINATED, "", StatusData.NONE, at(2)).occupiedSlots().isEmpty()).isTrue();
    }

    @Test
    void itsStatusEventSaysWhetherACallbackUrlWaits() {
        SessionSpec withCallback = SessionSpec.parse(RequestFields.of(Map.of("image", "python:3.12", "resource_slots", Map.of("cpu", 2, "mem", "4g"),
                "callback_url", "https://hooks.example/cb")), T0);
        Session calling = Session.enqueue("s-2", "alice", withCallback, "gpu", T0);
        assertThat(SessionStatusChanged.of(Optional.empty(), calling, T0).hasCallback()).isTrue();
        assertThat(SessionStatusChanged.of(Optional.empty(), pending(), T0).hasCallback()).isFalse();
    }
}
