package dev.sluice.core.session;

import static dev.sluice.core.session.SessionStatus.CANCELLED;
import static dev.sluice.core.session.SessionStatus.PENDING;
import static dev.sluice.core.session.SessionStatus.TERMINATED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The transition map, checked cell by cell against REFERENCE §1's table, copied here as it is written there, plus
 * Sluice's retry re-queue: each status in which the session should be running may go back to PENDING (only as a retry,
 * SessionRetryTest and SessionRetryPropertiesTest).
 */
class SessionTransitionsTest {

    /** REFERENCE §1, "Allowed transitions", row for row: {@code from(s) | to(s)}; PENDING at a row's end is the retry re-queue. */
    private static final String REFERENCE_TABLE = """
            PENDING | SCHEDULED, TERMINATING, TERMINATED, ERROR, CANCELLED
            SCHEDULED | PULLING, PREPARING, TERMINATED, ERROR, CANCELLED, PENDING
            PULLING | PREPARING, RUNNING, RUNNING_DEGRADED, TERMINATED, ERROR, CANCELLED, PENDING
            PREPARING | PULLING, RUNNING, RUNNING_DEGRADED, TERMINATING, TERMINATED, ERROR, CANCELLED, PENDING
            RUNNING | RESTARTING, RUNNING_DEGRADED, TERMINATING, TERMINATED, ERROR, PENDING
            RESTARTING | RUNNING, RUNNING_DEGRADED, TERMINATING, TERMINATED, ERROR, PENDING
            RUNNING_DEGRADED | RUNNING, TERMINATING, TERMINATED, ERROR, PENDING
            TERMINATING | TERMINATED, ERROR
            ERROR | TERMINATING, TERMINATED
            TERMINATED, CANCELLED | none (final)
            """;

    /** The expected map, read from {@link #REFERENCE_TABLE}; shared with {@link SessionTest}. */
    static final Map<SessionStatus, Set<SessionStatus>> EXPECTED = readTable(REFERENCE_TABLE);

    private static Map<SessionStatus, Set<SessionStatus>> readTable(String table) {
        Map<SessionStatus, Set<SessionStatus>> out = new EnumMap<>(SessionStatus.class);
        for (String row : table.strip().split("\n")) {
            String[] cells = row.split("\\|");
            Set<SessionStatus> targets = EnumSet.noneOf(SessionStatus.class);
            if (!cells[1].strip().startsWith("none")) {
                Arrays.stream(cells[1].split(",")).map(String::strip).map(SessionStatus::valueOf).forEach(targets::add);
            }
            for (String from : cells[0].split(",")) {
                Set<SessionStatus> previous = out.put(SessionStatus.valueOf(from.strip()), targets);
                if (previous != null) {
                    throw new IllegalStateException("the test's table lists " + from + " twice");
                }
            }
        }
        return Collections.unmodifiableMap(out);
    }

    static Stream<Arguments> everyPairOfStatuses() {
        return Arrays.stream(SessionStatus.values())
                .flatMap(from -> Arrays.stream(SessionStatus.values())
                        .map(to -> Arguments.of(from, to, EXPECTED.get(from).contains(to))));
    }

    @Test
    void theExpectedTableHasARowForEveryStatus() {
        assertThat(EXPECTED.keySet()).containsExactlyInAnyOrder(SessionStatus.values());
        assertThat(SessionStatus.values()).hasSize(11);
        assertThat(everyPairOfStatuses()).hasSize(121);
    }

    @ParameterizedTest(name = "{0} -> {1} allowed: {2}")
    @MethodSource("everyPairOfStatuses")
    void everyCellOfTheMatrixMatchesTheReferenceTable(SessionStatus from, SessionStatus to, boolean allowed) {
        assertThat(SessionTransitions.isAllowed(from, to)).as("isAllowed(%s, %s)", from, to).isEqualTo(allowed);
        assertThat(SessionTransitions.targetsFrom(from).contains(to)).as("targetsFrom(%s) has %s", from, to).isEqualTo(allowed);
    }

    @ParameterizedTest
    @EnumSource(SessionStatus.class)
    void targetsFromListExactlyTheReferenceRow(SessionStatus from) {
        assertThat(SessionTransitions.targetsFrom(from)).containsExactlyInAnyOrderElementsOf(EXPECTED.get(from));
    }

    @Test
    void fortySevenTransitionsAreAllowedInAllTheSixRequeuesIncluded() {
        long allowed = everyPairOfStatuses().filter(a -> SessionTransitions.isAllowed(
                (SessionStatus) a.get()[0], (SessionStatus) a.get()[1])).count();
        assertThat(allowed).isEqualTo(47);
    }

    @ParameterizedTest
    @EnumSource(SessionStatus.class)
    void onlyTheStatusesOfARunningAttemptGoBackToPendingAndOnlyAsARequeue(SessionStatus from) {
        assertThat(SessionTransitions.isAllowed(from, PENDING)).isEqualTo(from.isToRun());
        assertThat(SessionTransitions.isRequeue(from, PENDING)).isEqualTo(from.isToRun());
        assertThat(SessionTransitions.isRequeue(from, SessionStatus.ERROR)).isFalse();
    }

    @ParameterizedTest
    @EnumSource(value = SessionStatus.class, names = {"TERMINATED", "CANCELLED"})
    void finalStatusesHaveNoTargets(SessionStatus status) {
        assertThat(status.isFinal()).isTrue();
        assertThat(SessionTransitions.targetsFrom(status)).isEmpty();
        for (SessionStatus to : SessionStatus.values()) {
            assertThat(SessionTransitions.isAllowed(status, to)).as("%s -> %s", status, to).isFalse();
        }
    }

    @ParameterizedTest
    @EnumSource(value = SessionStatus.class, names = {"TERMINATED", "CANCELLED"}, mode = EnumSource.Mode.EXCLUDE)
    void nonFinalStatusesAreNotFinalAndCanStillEndAsTerminated(SessionStatus status) {
        assertThat(status.isFinal()).isFalse();
        assertThat(SessionTransitions.isAllowed(status, TERMINATED)).isTrue();
    }

    @ParameterizedTest
    @EnumSource(SessionStatus.class)
    void noStatusTransitionsToItself(SessionStatus status) {
        assertThat(SessionTransitions.isAllowed(status, status)).isFalse();
    }

    @Test
    void theTargetsCannotBeChangedByACaller() {
        Set<SessionStatus> targets = SessionTransitions.targetsFrom(PENDING);
        assertThatThrownBy(() -> targets.add(SessionStatus.RUNNING)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> SessionTransitions.targetsFrom(TERMINATED).add(PENDING))
                .isInstanceOf(UnsupportedOperationException.class);
        assertThat(SessionTransitions.isAllowed(PENDING, SessionStatus.RUNNING)).isFalse();
    }

    @ParameterizedTest
    @EnumSource(SessionStatus.class)
    void slotsAreOccupiedInEveryStatusButPendingTerminatedAndCancelled(SessionStatus status) {
        boolean free = status == PENDING || status == TERMINATED || status == CANCELLED;
        assertThat(status.occupiesSlots()).isEqualTo(!free);
    }
}
