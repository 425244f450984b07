package dev.sluice.cli;

import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;

/** What one run of the command sees of the world: its environment, its streams, the time and a way to wait. */
record Invocation(Map<String, String> env, PrintStream out, PrintStream err, Clock clock, Pause pause) {

    /** Waits between polls; tests pass one that returns at once. */
    @FunctionalInterface
    interface Pause {
        void sleep(Duration duration) throws InterruptedException;
    }

    static Invocation of(Map<String, String> env, PrintStream out, PrintStream err) {
        return new Invocation(env, out, err, Clock.systemUTC(), d -> Thread.sleep(d.toMillis()));
    }
}
