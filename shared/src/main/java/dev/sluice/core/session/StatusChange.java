package dev.sluice.core.session;

import java.time.Instant;

/** One entry of a session's status history. */
public record StatusChange(SessionStatus status, Instant at) {
}
