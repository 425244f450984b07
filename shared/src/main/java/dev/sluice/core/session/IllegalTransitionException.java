package dev.sluice.core.session;

/** A status change the transition map does not allow. */
public final class IllegalTransitionException extends RuntimeException {
    private final SessionStatus from;
    private final SessionStatus to;

    public IllegalTransitionException(String sessionId, SessionStatus from, SessionStatus to) {
        super("session " + sessionId + " cannot go from " + from + " to " + to);
        this.from = from;
        this.to = to;
    }

    public SessionStatus from() {
        return from;
    }

    public SessionStatus to() {
        return to;
    }
}
