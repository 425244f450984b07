package dev.sluice.core.session;

import static dev.sluice.core.session.SessionStatus.*;

import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/** The allowed status transitions, as data (REFERENCE §1). Anything not listed is refused. */
public final class SessionTransitions {
    private static final Map<SessionStatus, Set<SessionStatus>> ALLOWED = new EnumMap<>(SessionStatus.class);

    static {
        ALLOWED.put(PENDING, EnumSet.of(SCHEDULED, TERMINATING, TERMINATED, ERROR, CANCELLED));
        ALLOWED.put(SCHEDULED, EnumSet.of(PULLING, PREPARING, TERMINATED, ERROR, CANCELLED));
        ALLOWED.put(PULLING, EnumSet.of(PREPARING, RUNNING, RUNNING_DEGRADED, TERMINATED, ERROR, CANCELLED));
        ALLOWED.put(PREPARING, EnumSet.of(PULLING, RUNNING, RUNNING_DEGRADED, TERMINATING, TERMINATED, ERROR, CANCELLED));
        ALLOWED.put(RUNNING, EnumSet.of(RESTARTING, RUNNING_DEGRADED, TERMINATING, TERMINATED, ERROR));
        ALLOWED.put(RESTARTING, EnumSet.of(RUNNING, RUNNING_DEGRADED, TERMINATING, TERMINATED, ERROR));
        ALLOWED.put(RUNNING_DEGRADED, EnumSet.of(RUNNING, TERMINATING, TERMINATED, ERROR));
        ALLOWED.put(TERMINATING, EnumSet.of(TERMINATED, ERROR));
        ALLOWED.put(ERROR, EnumSet.of(TERMINATING, TERMINATED));
        ALLOWED.put(TERMINATED, EnumSet.noneOf(SessionStatus.class));
        ALLOWED.put(CANCELLED, EnumSet.noneOf(SessionStatus.class));
    }

    private SessionTransitions() {
    }

    public static boolean isAllowed(SessionStatus from, SessionStatus to) {
        return ALLOWED.get(from).contains(to);
    }

    public static Set<SessionStatus> targetsFrom(SessionStatus from) {
        return Collections.unmodifiableSet(ALLOWED.get(from));
    }
}
