package dev.sluice.agent;

import dev.sluice.agent.runtime.SessionRuntime;
import java.time.Duration;

/**
 * Stops workloads in the background (a stop waits out its grace period; the loop never does), and says when every
 * stop it was given has returned: the point a test waits on before saying nothing else was stopped.
 */
final class StopRunner {
    private final SessionRuntime runtime;
    private final Duration grace;
    private int running;

    StopRunner(SessionRuntime runtime, Duration grace) {
        this.runtime = runtime;
        this.grace = grace;
    }

    /** Stops the session's workload on a thread of its own. */
    void stop(String sessionId) {
        stop(sessionId, grace);
    }

    /** Stops the session's workload on a thread of its own, with a grace of its own (a spot interruption's). */
    void stop(String sessionId, Duration grace) {
        background("stop-" + sessionId, () -> runtime.stop(sessionId, grace));
    }

    /**
     * Stops a workload this agent does not hold (an orphan) and then removes what is left of it: one task, so the
     * removal (a forced one) waits until the stop has returned and the workload had its grace. A stop that fails
     * still leaves the removal to run.
     */
    void stopAndRemove(String sessionId) {
        background("stop-and-remove-" + sessionId, () -> {
            try {
                runtime.stop(sessionId, grace);
            } finally {
                runtime.remove(sessionId);
            }
        });
    }

    private void background(String name, Runnable work) {
        synchronized (this) {
            running++;
        }
        Thread t = new Thread(() -> {
            try {
                work.run();
            } finally {
                synchronized (this) {
                    running--;
                    notifyAll();
                }
            }
        }, name);
        t.setDaemon(true);
        t.start();
    }

    /** Waits until every stop given so far has returned; false if some still runs after {@code within}. */
    synchronized boolean awaitIdle(Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (running > 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            wait(Math.max(1, left / 1_000_000));
        }
        return true;
    }
}
