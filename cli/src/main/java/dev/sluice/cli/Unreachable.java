package dev.sluice.cli;

/** The endpoint did not answer: refused, unknown host, or no reply in time. */
final class Unreachable extends Failure {
    private final String endpoint;
    private final String reason;

    Unreachable(String endpoint, String reason, Throwable cause) {
        super(reason, cause);
        this.endpoint = endpoint;
        this.reason = reason;
    }

    @Override
    int exitCode() {
        return Sluice.EXIT_SETUP;
    }

    @Override
    String describe() {
        String hint = reason.equals("connection refused") ? " Is 'sluice-local up' running?" : "";
        return "error: Cannot reach the Sluice API at " + endpoint + ": " + reason + "." + hint;
    }
}
