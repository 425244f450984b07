package dev.sluice.core.port;

import dev.sluice.core.session.Session;

/** Applies a placement: the session and every kernel's reservation, in one transaction or not at all. */
public interface PlacementWriter {
    /**
     * Writes {@code scheduled} (already SCHEDULED, with its kernels) if the stored session is still PENDING at
     * {@code expectedSequence}, and reserves each kernel's slots on its agent if the agent is still alive,
     * schedulable and has them free. False when any condition failed: nothing was written.
     */
    boolean place(Session scheduled, long expectedSequence);
}
