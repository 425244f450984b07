package dev.sluice.cli;

/** No endpoint or token from flags, environment or configuration file, or an unreadable configuration. */
final class NotConfigured extends Failure {
    NotConfigured(String message) {
        super(message);
    }

    @Override
    int exitCode() {
        return Sluice.EXIT_SETUP;
    }

    @Override
    String describe() {
        return "error: " + getMessage();
    }
}
