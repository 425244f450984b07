package dev.sluice.core.session;

import java.time.Instant;
import java.util.Optional;

/**
 * The event published after every successful status change (and at creation, with no previous status).
 * {@code sequence} grows by one per change of the same session, so receivers can order and deduplicate.
 * {@code hasCallback} says whether the session has a {@code callback_url}: the bus rule that feeds callbacks matches
 * on it, so a session without one costs no delivery message.
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
        boolean hasCallback) {

    public static final String VERSION = "1";

    public static SessionStatusChanged of(Optional<SessionStatus> previous, Session now, Instant at) {
        return new SessionStatusChanged(now.id(), now.owner(), now.resourceGroup(), now.spec().type(), previous,
                now.status(), now.statusInfo(), at, now.sequence(),
                now.spec().callbackUrl().isPresent());
    }
}
