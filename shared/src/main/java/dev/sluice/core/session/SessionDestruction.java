package dev.sluice.core.session;

import dev.sluice.core.error.DomainException;
import dev.sluice.core.error.ErrorCode;

/**
 * What destroying a session does, by its status (REFERENCE §1): a pending session is cancelled; a running one is
 * asked to terminate (its agent reports TERMINATED); SCHEDULED, PREPARING, TERMINATING and ERROR need {@code forced};
 * PULLING needs an admin's force; ended sessions are refused. A forced destroy ends the session at once.
 */
public final class SessionDestruction {
    private SessionDestruction() {
    }

    /** The status change a destroy asks for: target status and reason code. */
    public record Plan(SessionStatus target, String statusInfo) {
    }

    public static Plan plan(SessionStatus current, boolean forced, boolean byAdmin) {
        return switch (current) {
            case PENDING -> new Plan(SessionStatus.CANCELLED, "user-requested");
            case RUNNING, RESTARTING, RUNNING_DEGRADED -> forced
                    ? new Plan(SessionStatus.TERMINATED, "force-terminated")
                    : new Plan(SessionStatus.TERMINATING, "user-requested");
            case SCHEDULED, PREPARING, TERMINATING, ERROR -> {
                if (!forced) {
                    throw new DomainException(ErrorCode.CONFLICT, "forced",
                            "A session in " + current + " can only be destroyed with forced=true.");
                }
                yield new Plan(SessionStatus.TERMINATED, "force-terminated");
            }
            case PULLING -> {
                if (!forced || !byAdmin) {
                    throw new DomainException(byAdmin ? ErrorCode.CONFLICT : ErrorCode.FORBIDDEN, "forced",
                            "A session that is pulling its image can only be destroyed by an admin with forced=true.");
                }
                yield new Plan(SessionStatus.TERMINATED, "force-terminated");
            }
            case TERMINATED, CANCELLED -> throw new DomainException(ErrorCode.CONFLICT, null,
                    "The session has already ended (" + current + ").");
        };
    }
}
