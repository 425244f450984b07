package dev.sluice.cli;

/** Why a command could not do what it was asked, with the exit code that says so (see {@link Sluice}). */
abstract sealed class Failure extends RuntimeException permits ApiRefusal, Unreachable, NotConfigured {
    Failure(String message) {
        super(message);
    }

    Failure(String message, Throwable cause) {
        super(message, cause);
    }

    abstract int exitCode();

    /** The line printed on stderr. */
    abstract String describe();
}
