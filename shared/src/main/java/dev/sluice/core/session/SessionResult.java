package dev.sluice.core.session;

/** The outcome of a session's work: known only once a batch command has exited. */
public enum SessionResult {
    UNDEFINED, SUCCESS, FAILURE
}
