package dev.sluice.core.session;

import static dev.sluice.core.session.SessionStatus.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The transition map, checked cell by cell against REFERENCE §1's table, written out again here. */
class SessionTransitionsTest {
    private static final Map<SessionStatus, Set<SessionStatus>> TABLE = Map.ofEntries(
            Map.entry(PENDING, EnumSet.of(SCHEDULED, TERMINATING, TERMINATED, ERROR, CANCELLED)),
            Map.entry(SCHEDULED, EnumSet.of(PULLING, PREPARING, TERMINATED, ERROR, CANCELLED)),
            Map.entry(PULLING, EnumSet.of(PREPARING, RUNNING, RUNNING_DEGRADED, TERMINATED, ERROR, CANCELLED)),
            Map.entry(PREPARING, EnumSet.of(PULLING, RUNNING, RUNNING_DEGRADED, TERMINATING, TERMINATED, ERROR, CANCELLED)),
            Map.entry(RUNNING, EnumSet.of(RESTARTING, RUNNING_DEGRADED, TERMINATING, TERMINATED, ERROR)),
            Map.entry(RESTARTING, EnumSet.of(RUNNING, RUNNING_DEGRADED, TERMINATING, TERMINATED, ERROR)),
            Map.entry(RUNNING_DEGRADED, EnumSet.of(RUNNING, TERMINATING, TERMINATED, ERROR)),
            Map.entry(TERMINATING, EnumSet.of(TERMINATED, ERROR)),
            Map.entry(ERROR, EnumSet.of(TERMINATING, TERMINATED)),
            Map.entry(TERMINATED, EnumSet.noneOf(SessionStatus.class)),
            Map.entry(CANCELLED, EnumSet.noneOf(SessionStatus.class)));

    @Test
    void everyCellOfTheMatrixMatchesTheReferenceTable() {
        int allowed = 0;
        for (SessionStatus from : SessionStatus.values()) {
            for (SessionStatus to : SessionStatus.values()) {
                assertThat(SessionTransitions.isAllowed(from, to)).as(from + " -> " + to).isEqualTo(TABLE.get(from).contains(to));
                allowed += SessionTransitions.isAllowed(from, to) ? 1 : 0;
            }
        }
        assertThat(allowed).isEqualTo(41);
    }

    @Test
    void finalStatusesLeadNowhere() {
        assertThat(SessionTransitions.targetsFrom(TERMINATED)).isEmpty();
        assertThat(SessionTransitions.targetsFrom(CANCELLED)).isEmpty();
        assertThat(TERMINATED.isFinal()).isTrue();
        assertThat(ERROR.isFinal()).isFalse();
    }

    @Test
    void slotsAreOccupiedInEveryStatusButPendingTerminatedAndCancelled() {
        for (SessionStatus s : SessionStatus.values()) {
            assertThat(s.occupiesSlots()).as(s.name()).isEqualTo(!EnumSet.of(PENDING, TERMINATED, CANCELLED).contains(s));
        }
    }
}
