package dev.sluice.core.session;

import dev.sluice.protocol.SessionRuntimeFacts;
import java.time.Instant;
import java.util.Optional;

/**
 * The event published after every successful status change (and at creation, with no previous status).
 * {@code sequence} grows by one per change of the same session, so receivers can order and deduplicate.
 * {@code hasCallback} says whether the session has a {@code callback_url}: the bus rule that feeds callbacks matches
 * on it, so a session without one costs no delivery message. {@code runtime} is what the agent reported last about
 * the workload (the latest pull progress, ...), empty when nothing is known. {@code attempt} is the number of the
 * session's attempt (1 until its retry rules re-queue it: the re-queue's PENDING event already carries 2).
 */
public record SessionStatusChanged(
        String sessionId,
        String owner,
        String resourceGroup,
        SessionType type,
        Optional<SessionStatus> previousStatus,
        SessionStatus status,
        String statusInfo,
        Instant occurredAt,
        long sequence,
        boolean hasCallback,
        SessionRuntimeFacts runtime,
        int attempt) {

    public static final String VERSION = "1";

    public SessionStatusChanged {
        runtime = runtime == null ? SessionRuntimeFacts.EMPTY : runtime;
        if (attempt < 1) {
            throw new IllegalArgumentException("attempt counts from 1");
        }
    }

    /** An event of a session's first attempt. */
    public SessionStatusChanged(String sessionId, String owner, String resourceGroup, SessionType type,
                                Optional<SessionStatus> previousStatus, SessionStatus status, String statusInfo, Instant occurredAt,
                                long sequence, boolean hasCallback, SessionRuntimeFacts runtime) {
        this(sessionId, owner, resourceGroup, type, previousStatus, status, statusInfo, occurredAt, sequence, hasCallback, runtime, 1);
    }

    /** An event of a session of which no runtime facts are known. */
    public SessionStatusChanged(String sessionId, String owner, String resourceGroup, SessionType type,
                                Optional<SessionStatus> previousStatus, SessionStatus status, String statusInfo, Instant occurredAt,
                                long sequence, boolean hasCallback) {
        this(sessionId, owner, resourceGroup, type, previousStatus, status, statusInfo, occurredAt, sequence, hasCallback,
                SessionRuntimeFacts.EMPTY);
    }

    public static SessionStatusChanged of(Optional<SessionStatus> previous, Session now, Instant at) {
        return new SessionStatusChanged(now.id(), now.owner(), now.resourceGroup(), now.spec().type(), previous,
                now.status(), now.statusInfo(), at, now.sequence(),
                now.spec().callbackUrl().isPresent(), now.runtime(), now.attempt());
    }
}
