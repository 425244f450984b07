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
     * Writes {@code updated} only if the stored session is still in {@code expectedStatus} at {@code expectedSequence}.
     * A status change the transition map forbids is refused before anything is written.
     *
     * @throws dev.sluice.core.session.IllegalTransitionException when {@code expectedStatus -> updated.status()}
     *         is not an allowed transition
     */
    SaveOutcome save(Session updated, SessionStatus expectedStatus, long expectedSequence);

    /**
     * Like {@link #save}, and gives the slots of the session's kernels that are still reserved back to their agents in
     * the same write; the stored session has every kernel marked released. {@code save} does this by itself when a
     * session leaves the statuses that hold slots; this is for a session whose agent is gone while it stays in ERROR.
     */
    SaveOutcome saveAndRelease(Session updated, SessionStatus expectedStatus, long expectedSequence);

    /**
     * Like {@link #saveAndRelease}, for a session of a LOST agent: the release on that agent holds only if it is still
     * LOST with the last heartbeat {@code lastSeen} (a revived agent's sessions are not resolved behind its back).
     */
    SaveOutcome resolveLost(Session updated, SessionStatus expectedStatus, long expectedSequence, String lostAgent,
                            java.time.Instant lastSeen);

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

    sealed interface SaveOutcome {
        record Saved(Session session) implements SaveOutcome {
        }

        /** Someone changed the session first; {@code current} is what is stored now (empty if it is gone). */
        record Conflict(Optional<Session> current) implements SaveOutcome {
        }
    }
}
