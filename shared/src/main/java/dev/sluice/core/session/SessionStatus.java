package dev.sluice.core.session;

import java.util.EnumSet;
import java.util.Set;

/** The statuses of a session (REFERENCE §1). */
public enum SessionStatus {
    PENDING, SCHEDULED, PULLING, PREPARING, RUNNING, RESTARTING, RUNNING_DEGRADED,
    TERMINATING, TERMINATED, ERROR, CANCELLED;

    private static final Set<SessionStatus> FREE_OF_SLOTS = EnumSet.of(PENDING, TERMINATED, CANCELLED);
    private static final Set<SessionStatus> FINAL = EnumSet.of(TERMINATED, CANCELLED);

    /** Slots occupy agent capacity in every status except PENDING, TERMINATED and CANCELLED. */
    public boolean occupiesSlots() {
        return !FREE_OF_SLOTS.contains(this);
    }

    public boolean isFinal() {
        return FINAL.contains(this);
    }
}
