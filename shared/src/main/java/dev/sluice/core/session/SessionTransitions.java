package dev.sluice.core.session;

import static dev.sluice.core.session.SessionStatus.*;

import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * The allowed status transitions, as data (REFERENCE §1). Anything not listed is refused.
 *
 * <p>Beyond REFERENCE §1, the retry re-queue ({@link #REQUEUE_FROM}): a session with {@code retry} rules whose attempt
 * ends (the agent's end report ERROR or TERMINATED, the lost-agent sweep's {@code agent-lost}, a spot interruption, a
 * folder staging failure) while its rules say retry and attempts remain goes from the status it was in straight back to
 * PENDING, in the one conditional write that would have recorded the end: the end is not written as a status, it is
 * the attempt appended to {@code attempts}. Only {@link Session#requeuedAfter} makes that step ({@link Session#transitionTo}
 * refuses PENDING), and a change to PENDING must carry the attempt ({@link SessionChange}). A session being destroyed
 * (TERMINATING) or already in ERROR is never re-queued.
 */
public final class SessionTransitions {
    private static final Map<SessionStatus, Set<SessionStatus>> ALLOWED = new EnumMap<>(SessionStatus.class);

    static {
        ALLOWED.put(PENDING, EnumSet.of(SCHEDULED, TERMINATING, TERMINATED, ERROR, CANCELLED));
        ALLOWED.put(SCHEDULED, EnumSet.of(PULLING, PREPARING, TERMINATED, ERROR, CANCELLED, PENDING));
        ALLOWED.put(PULLING, EnumSet.of(PREPARING, RUNNING, RUNNING_DEGRADED, TERMINATED, ERROR, CANCELLED, PENDING));
        ALLOWED.put(PREPARING, EnumSet.of(PULLING, RUNNING, RUNNING_DEGRADED, TERMINATING, TERMINATED, ERROR, CANCELLED, PENDING));
        ALLOWED.put(RUNNING, EnumSet.of(RESTARTING, RUNNING_DEGRADED, TERMINATING, TERMINATED, ERROR, PENDING));
        ALLOWED.put(RESTARTING, EnumSet.of(RUNNING, RUNNING_DEGRADED, TERMINATING, TERMINATED, ERROR, PENDING));
        ALLOWED.put(RUNNING_DEGRADED, EnumSet.of(RUNNING, TERMINATING, TERMINATED, ERROR, PENDING));
        ALLOWED.put(TERMINATING, EnumSet.of(TERMINATED, ERROR));
        ALLOWED.put(ERROR, EnumSet.of(TERMINATING, TERMINATED));
        ALLOWED.put(TERMINATED, EnumSet.noneOf(SessionStatus.class));
        ALLOWED.put(CANCELLED, EnumSet.noneOf(SessionStatus.class));
    }

    /** The statuses a retry re-queues from (to PENDING): those in which the session should be running on its agent. */
    public static final java.util.Set<SessionStatus> REQUEUE_FROM = SessionStatus.TO_RUN;

    private SessionTransitions() {
    }

    /** Whether {@code from -> to} is the retry re-queue (allowed only with the ended attempt recorded). */
    public static boolean isRequeue(SessionStatus from, SessionStatus to) {
        return to == PENDING && from != PENDING && REQUEUE_FROM.contains(from);
    }

    public static boolean isAllowed(SessionStatus from, SessionStatus to) {
        return ALLOWED.get(from).contains(to);
    }

    public static Set<SessionStatus> targetsFrom(SessionStatus from) {
        return Collections.unmodifiableSet(ALLOWED.get(from));
    }
}
