package dev.sluice.core.port;

import dev.sluice.core.session.Session;
import dev.sluice.core.session.SessionQuery;
import dev.sluice.core.session.SessionStatus;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/** Where sessions live. Every write is conditional: a stale writer gets an outcome, never a silent overwrite. */
public interface SessionStore {

    /** Stores a new session; with a claim, a retried request with the same key returns the first session. */
    CreateOutcome create(Session session, Optional<IdempotencyClaim> claim);

    Optional<Session> find(String id);

    /**
     * A page of sessions matching the query, in creation order. {@code notBefore} bounds a listing of every owner's
     * sessions: no session was created before it.
     */
    Page<Session> list(SessionQuery query, java.time.Instant notBefore);

    /**
     * Hands each of the owner's sessions in one of {@code statuses} to {@code each}, a listing page at a time, until
     * there are no more or {@code each} answers false.
     */
    default void eachOf(String owner, Set<SessionStatus> statuses, Predicate<Session> each) {
        Optional<String> cursor = Optional.empty();
        do {
            Page<Session> page = list(new SessionQuery(Optional.of(owner), statuses, Optional.empty(), Optional.empty(), false,
                    SessionQuery.MAX_LIMIT, cursor), java.time.Instant.EPOCH);
            for (Session s : page.items()) {
                if (!each.test(s)) {
                    return;
                }
            }
            cursor = page.nextCursor();
        } while (cursor.isPresent());
    }

    /** What an owner holds across all groups now: sessions whose status occupies slots, and their slots. */
    dev.sluice.core.scheduler.Usage usageOf(String owner);

    /** How many sessions of its group are ahead of this pending session in the queue (0: it is next). */
    int sessionsAhead(Session pending);

    /** The PENDING sessions of a resource group in scheduling order: higher priority first, then oldest. */
    List<Session> pendingIn(String resourceGroup);

    /** Whether any session of the group is PENDING (as the pending queue shows it now; a store may answer from one key). */
    default boolean anyPendingIn(String resourceGroup) {
        return !pendingIn(resourceGroup).isEmpty();
    }

    /**
     * Applies one change, all of it or nothing: the session is written only if it is still in the change's expected
     * status at its expected sequence, and each reservation or release on an agent only under its condition. This is
     * the one way a stored session changes after its creation (the transition map was checked when the change was
     * made: {@link dev.sluice.core.session.SessionChange}).
     */
    SaveOutcome apply(dev.sluice.core.session.SessionChange change);

    /**
     * Applies a batch of changes as one write, all of them or none ({@link dev.sluice.core.session.SessionBatch}):
     * every session only if still in its change's expected status at its expected sequence, and one reservation or
     * release per agent for the sum of the batch's slots on it, under the changes' condition. A conflict says only that
     * nothing was written; the caller applies the changes one by one to learn which lost. A store that cannot write a
     * batch as one ({@link #appliesBatches()} false) takes only batches of one change.
     */
    default BatchOutcome applyAll(dev.sluice.core.session.SessionBatch batch) {
        if (batch.changes().size() == 1) {
            return apply(batch.changes().get(0)) instanceof SaveOutcome.Saved saved
                    ? new BatchOutcome.Saved(List.of(saved.session())) : new BatchOutcome.Conflict();
        }
        // A caller's error, not a missing feature: the applier asks appliesBatches() before it batches.
        throw new IllegalArgumentException("this store writes one change at a time (appliesBatches() is false), and was given "
                + batch.changes().size());
    }

    /** Whether {@link #applyAll} writes a batch of several changes as one. */
    default boolean appliesBatches() {
        return false;
    }

    /**
     * What one change weighs against the size limit of one batch ({@link dev.sluice.core.session.SessionBatch#MAX_TRANSACTION_BYTES}),
     * as this store counts it (at least; 0 when the store has no such limit).
     */
    default long writeBytes(dev.sluice.core.session.SessionChange change) {
        return 0;
    }

    /**
     * A session's last output kept with its write ({@link dev.sluice.core.session.SessionChange#output()}), if it was
     * small enough to be; a larger one is in {@link SessionLogs}.
     */
    default Optional<String> storedOutput(String sessionId) {
        return Optional.empty();
    }

    /** The sessions that still hold slots on an agent (through any of their kernels): what it should be running. */
    List<Session> onAgent(String agentId);

    /** A scoped idempotency key and the fingerprint of the request that first used it. */
    record IdempotencyClaim(String scope, String key, String fingerprint) {
    }

    sealed interface CreateOutcome {
        record Created(Session session) implements CreateOutcome {
        }

        /** The key was used before for the same request: here is what that request created. */
        record Replayed(Session session) implements CreateOutcome {
        }

        /** The key was used before for a different request. */
        record KeyReused(String key) implements CreateOutcome {
        }
    }

    sealed interface BatchOutcome {
        /** Every change of the batch was written: the sessions as stored, in the batch's order. */
        record Saved(List<Session> sessions) implements BatchOutcome {
        }

        /** Some condition of the batch failed, so nothing of it was written. */
        record Conflict() implements BatchOutcome {
        }
    }

    sealed interface SaveOutcome {
        record Saved(Session session) implements SaveOutcome {
        }

        /** Someone changed the session first; {@code current} is what is stored now (empty if it is gone). */
        record Conflict(Optional<Session> current) implements SaveOutcome {
        }
    }
}
