package dev.sluice.core.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.error.DomainException;
import dev.sluice.core.error.ErrorCode;
import org.junit.jupiter.api.Test;

/** Destroy rules of REFERENCE §1. */
class SessionDestructionTest {

    @Test
    void aPendingSessionIsCancelled() {
        assertThat(SessionDestruction.plan(SessionStatus.PENDING, false, false))
                .isEqualTo(new SessionDestruction.Plan(SessionStatus.CANCELLED, "user-requested"));
    }

    @Test
    void aRunningSessionIsAskedToTerminateOrEndedAtOnceWhenForced() {
        assertThat(SessionDestruction.plan(SessionStatus.RUNNING, false, false).target()).isEqualTo(SessionStatus.TERMINATING);
        assertThat(SessionDestruction.plan(SessionStatus.RUNNING_DEGRADED, true, false))
                .isEqualTo(new SessionDestruction.Plan(SessionStatus.TERMINATED, "force-terminated"));
    }

    @Test
    void scheduledPreparingTerminatingAndErrorNeedForced() {
        for (SessionStatus s : new SessionStatus[] {SessionStatus.SCHEDULED, SessionStatus.PREPARING, SessionStatus.TERMINATING, SessionStatus.ERROR}) {
            assertThatThrownBy(() -> SessionDestruction.plan(s, false, true))
                    .isInstanceOf(DomainException.class)
                    .satisfies(e -> assertThat(((DomainException) e).code()).isEqualTo(ErrorCode.CONFLICT));
            SessionDestruction.Plan forced = SessionDestruction.plan(s, true, false);
            assertThat(SessionTransitions.isAllowed(s, forced.target())).isTrue();
        }
    }

    @Test
    void pullingNeedsAnAdminsForce() {
        assertThatThrownBy(() -> SessionDestruction.plan(SessionStatus.PULLING, true, false))
                .satisfies(e -> assertThat(((DomainException) e).code()).isEqualTo(ErrorCode.FORBIDDEN));
        assertThatThrownBy(() -> SessionDestruction.plan(SessionStatus.PULLING, false, true))
                .satisfies(e -> assertThat(((DomainException) e).code()).isEqualTo(ErrorCode.CONFLICT));
        assertThat(SessionDestruction.plan(SessionStatus.PULLING, true, true).target()).isEqualTo(SessionStatus.TERMINATED);
    }

    @Test
    void endedSessionsAreRefused() {
        assertThatThrownBy(() -> SessionDestruction.plan(SessionStatus.TERMINATED, true, true)).isInstanceOf(DomainException.class);
        assertThatThrownBy(() -> SessionDestruction.plan(SessionStatus.CANCELLED, false, false)).isInstanceOf(DomainException.class);
    }

    @Test
    void everyPlannedChangeIsAllowedByTheMap() {
        for (SessionStatus s : SessionStatus.values()) {
            for (boolean forced : new boolean[] {false, true}) {
                try {
                    SessionDestruction.Plan p = SessionDestruction.plan(s, forced, true);
                    assertThat(SessionTransitions.isAllowed(s, p.target())).as(s + " forced=" + forced).isTrue();
                } catch (DomainException refused) {
                    assertThat(refused.code()).isIn(ErrorCode.CONFLICT, ErrorCode.FORBIDDEN);
                }
            }
        }
    }
}
