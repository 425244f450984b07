package dev.sluice.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.agent.runtime.SessionRuntime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class StopRunnerTest {

    /** A runtime whose stop takes as long as the test says (its grace), recording what happened in which order. */
    static class SlowStopRuntime implements SessionRuntime {
        final List<String> calls = Collections.synchronizedList(new ArrayList<>());
        final CountDownLatch stopStarted = new CountDownLatch(1);
        final CountDownLatch graceOver = new CountDownLatch(1);
        volatile Duration graceGiven;

        @Override
        public String name() {
            return "slow";
        }

        @Override
        public void start(Assignment assignment, Listener listener) {
        }

        @Override
        public void stop(String sessionId, Duration grace) {
            graceGiven = grace;
            calls.add("stop " + sessionId + " begins");
            stopStarted.countDown();
            try {
                graceOver.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            calls.add("stop " + sessionId + " returns");
        }

        @Override
        public List<Workload> discover() {
            return List.of();
        }

        @Override
        public void reattach(String sessionId, Listener listener) {
        }

        @Override
        public void remove(String sessionId) {
            calls.add("remove " + sessionId);
        }

        @Override
        public Optional<String> logs(String sessionId, int lines) {
            return Optional.empty();
        }
    }

    @Test
    void anOrphanIsRemovedOnlyAfterItsStopReturnedSoItGetsItsGrace() throws Exception {
        SlowStopRuntime runtime = new SlowStopRuntime();
        StopRunner stops = new StopRunner(runtime, Duration.ofSeconds(7));

        stops.stopAndRemove("orphan");

        assertThat(runtime.stopStarted.await(10, TimeUnit.SECONDS)).isTrue();
        // While the workload still has its grace, nothing removes it (`docker rm -f` used to run at once, beside the
        // stop); the stop cannot return before the latch, so this is no race.
        assertThat(runtime.calls).containsExactly("stop orphan begins");
        assertThat(stops.awaitIdle(Duration.ZERO)).isFalse();

        runtime.graceOver.countDown();

        assertThat(stops.awaitIdle(Duration.ofSeconds(10))).isTrue();
        assertThat(runtime.calls).containsExactly("stop orphan begins", "stop orphan returns", "remove orphan");
        assertThat(runtime.graceGiven).isEqualTo(Duration.ofSeconds(7));
    }

    @Test
    void aPlainStopRemovesNothing() throws Exception {
        SlowStopRuntime runtime = new SlowStopRuntime();
        runtime.graceOver.countDown();
        StopRunner stops = new StopRunner(runtime, Duration.ofSeconds(1));

        stops.stop("s1");

        assertThat(stops.awaitIdle(Duration.ofSeconds(10))).isTrue();
        assertThat(runtime.calls).containsExactly("stop s1 begins", "stop s1 returns");
    }

    @Test
    void anOrphanWhoseStopFailsIsStillRemoved() throws Exception {
        SlowStopRuntime runtime = new SlowStopRuntime() {
            @Override
            public void stop(String sessionId, Duration grace) {
                calls.add("stop " + sessionId + " fails");
                throw new IllegalStateException("the engine did not answer the stop");
            }
        };
        StopRunner stops = new StopRunner(runtime, Duration.ofSeconds(1));

        stops.stopAndRemove("orphan");

        assertThat(stops.awaitIdle(Duration.ofSeconds(10))).isTrue();
        assertThat(runtime.calls).containsExactly("stop orphan fails", "remove orphan");
    }
}
