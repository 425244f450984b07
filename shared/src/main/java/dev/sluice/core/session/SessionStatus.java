package dev.sluice.core.session;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * The statuses of a session (REFERENCE §1), and the named sets of them that the rest of the code asks about: defined
 * here once, used everywhere.
 */
public enum SessionStatus {
    PENDING, SCHEDULED, PULLING, PREPARING, RUNNING, RESTARTING, RUNNING_DEGRADED,
    TERMINATING, TERMINATED, ERROR, CANCELLED;

    /** No change can follow: the session has ended for good. */
    public static final Set<SessionStatus> FINAL = Collections.unmodifiableSet(EnumSet.of(TERMINATED, CANCELLED));
    /** Ended or failed: what a listing of "dead" sessions shows (ERROR can still be destroyed, but runs nothing). */
    public static final Set<SessionStatus> DEAD = Collections.unmodifiableSet(EnumSet.of(TERMINATED, CANCELLED, ERROR));
    /** Not final: the session may still change (the sparse open-by-owner index holds these). */
    public static final Set<SessionStatus> OPEN = Collections.unmodifiableSet(EnumSet.complementOf(EnumSet.of(TERMINATED, CANCELLED)));
    /** The session should be running (or starting) on its agent. */
    public static final Set<SessionStatus> TO_RUN = Collections.unmodifiableSet(EnumSet.of(SCHEDULED, PULLING, PREPARING,
            RUNNING, RESTARTING, RUNNING_DEGRADED));
    /** Running, restarting or degraded: what a listing of "running" sessions shows. */
    public static final Set<SessionStatus> RUNNING_NOW = Collections.unmodifiableSet(EnumSet.of(RUNNING, RESTARTING, RUNNING_DEGRADED));
    /** The session's kernels hold slots on their agents: every status except PENDING, TERMINATED and CANCELLED. */
    public static final Set<SessionStatus> OCCUPYING = Collections.unmodifiableSet(EnumSet.complementOf(EnumSet.of(PENDING, TERMINATED, CANCELLED)));

    public boolean occupiesSlots() {
        return OCCUPYING.contains(this);
    }

    public boolean isFinal() {
        return FINAL.contains(this);
    }

    public boolean isDead() {
        return DEAD.contains(this);
    }

    public boolean isOpen() {
        return OPEN.contains(this);
    }

    public boolean isToRun() {
        return TO_RUN.contains(this);
    }
}
