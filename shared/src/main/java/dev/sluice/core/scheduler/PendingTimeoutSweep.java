package dev.sluice.core.scheduler;

import dev.sluice.core.group.ResourceGroup;
import dev.sluice.core.session.Session;
import dev.sluice.core.session.SessionStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Which pending sessions have waited longer than their group's {@code pending_timeout}. The wait is counted from
 * creation, or from {@code starts_at} for a reserved batch session, so a reservation is never cancelled before it
 * could start, or from its last re-queue for a session its retry rules sent back to the queue. A timeout of zero disables the sweep. It runs whether or not the group has a live agent.
 */
public final class PendingTimeoutSweep {
    private PendingTimeoutSweep() {
    }

    public static List<Session> expired(ResourceGroup group, List<Session> pending, Instant now) {
        Duration timeout = group.schedulerOptions().pendingTimeout();
        if (timeout.isZero()) {
            return List.of();
        }
        return pending.stream()
                .filter(s -> s.status() == SessionStatus.PENDING)
                .filter(s -> waitingSince(s).plus(timeout).isBefore(now))
                .toList();
    }

    /** Since creation (or {@code starts_at}); a session re-queued by a retry waits since its re-queue. */
    static Instant waitingSince(Session s) {
        Instant since = s.spec().startsAt().filter(t -> t.isAfter(s.createdAt())).orElse(s.createdAt());
        return s.requeuedAt().filter(t -> t.isAfter(since)).orElse(since);
    }
}
