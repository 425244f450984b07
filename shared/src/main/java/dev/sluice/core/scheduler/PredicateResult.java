package dev.sluice.core.scheduler;

/** The verdict of one predicate on one session: its name, whether it passed, and a message a person can act on. */
public record PredicateResult(String name, boolean passed, String message) {
    public static PredicateResult pass(String name) {
        return new PredicateResult(name, true, "");
    }

    public static PredicateResult fail(String name, String message) {
        return new PredicateResult(name, false, message);
    }
}
