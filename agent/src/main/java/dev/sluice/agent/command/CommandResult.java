package dev.sluice.agent.command;

/**
 * What running a {@link Command} gave.
 *
 * @param outcome  whether the program ran to its end, was not installed, or overran its timeout (and was killed)
 * @param exitCode the program's exit code when {@code outcome} is {@code EXITED}, else -1
 */
public record CommandResult(Outcome outcome, int exitCode, String stdout, String stderr) {

    public enum Outcome { EXITED, NOT_FOUND, TIMED_OUT }

    public static CommandResult exited(int exitCode, String stdout, String stderr) {
        return new CommandResult(Outcome.EXITED, exitCode, stdout, stderr);
    }

    public static CommandResult notFound(String message) {
        return new CommandResult(Outcome.NOT_FOUND, -1, "", message);
    }

    public static CommandResult timedOut(String stdout, String stderr) {
        return new CommandResult(Outcome.TIMED_OUT, -1, stdout, stderr);
    }

    /** Ran to its end with exit code 0. */
    public boolean succeeded() {
        return outcome == Outcome.EXITED && exitCode == 0;
    }

    /** Why it did not succeed, in one trimmed line-or-few, for a log line or a failure report. */
    public String failureDescription(String what) {
        switch (outcome) {
            case NOT_FOUND:
                return what + ": program not found (" + stderr.trim() + ")";
            case TIMED_OUT:
                return what + ": no answer before the timeout" + detail(stderr);
            default:
                String text = stderr.isBlank() ? stdout : stderr;
                return what + " exited " + exitCode + detail(text);
        }
    }

    private static String detail(String text) {
        String trimmed = text.trim();
        if (trimmed.isEmpty()) {
            return "";
        }
        return ": " + (trimmed.length() > 2000 ? trimmed.substring(0, 2000) + "…" : trimmed);
    }
}
