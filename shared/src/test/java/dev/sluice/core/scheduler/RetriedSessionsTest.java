package dev.sluice.core.scheduler;

import static dev.sluice.core.scheduler.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.agent.Agent;
import dev.sluice.core.session.Attempt;
import dev.sluice.core.session.Kernel;
import dev.sluice.core.session.Session;
import dev.sluice.core.session.SessionChange;
import dev.sluice.core.session.SessionStatus;
import dev.sluice.core.session.StatusData;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A session re-queued by its retry rules goes first among its priority, whatever the order, and its wait restarts. */
class RetriedSessionsTest {

    /** {@code s} placed, run and re-queued {@code secondsAgo} before NOW after its first attempt ended. */
    private static Session retried(Session s, long secondsAgo) {
        Session running = SessionChange.place(s, List.of(new Kernel("x", slots("cuda.device", 1))), "scheduled", StatusData.NONE,
                        s.createdAt().plusSeconds(1)).next()
                .transitionTo(SessionStatus.PREPARING, "preparing", StatusData.NONE, s.createdAt().plusSeconds(2))
                .transitionTo(SessionStatus.RUNNING, "running", StatusData.NONE, s.createdAt().plusSeconds(3));
        Attempt ended = new Attempt(1, Optional.of("x"), Optional.empty(), Optional.empty(), Optional.empty(), NOW.minusSeconds(secondsAgo),
                SessionStatus.ERROR, "agent-lost", Optional.empty(), true, "rule 1 (retry on agent-lost) matched: re-queued as attempt 2 of 2");
        Session pending = running.requeuedAfter(ended, "retrying", StatusData.NONE, NOW.minusSeconds(secondsAgo)).withoutKernels();
        assertThat(pending.status()).isEqualTo(SessionStatus.PENDING);
        return pending;
    }

    private static List<String> placed(SchedulingPlan plan) {
        return plan.placements().stream().map(p -> p.session().id()).toList();
    }

    @Test
    void fifoAndLifoAndDrfPlaceTheRetriedSessionFirstAmongItsPriority() {
        Agent one = agent("a", slots("cuda.device", 1));
        for (String order : List.of("fifo", "lifo", "drf")) {
            List<Session> pending = List.of(
                    session("oldest", 300, slots("cuda.device", 1)),
                    retried(session("retried", 200, slots("cuda.device", 1)), 5),
                    session("newest", 10, slots("cuda.device", 1)));
            SchedulingPlan plan = Planner.plan(snapshot(group(order, Map.of()), pending, List.of(one)));
            assertThat(placed(plan)).as(order).containsExactly("retried");
        }
    }

    @Test
    void aHigherPriorityStillGoesFirst() {
        Agent one = agent("a", slots("cuda.device", 1));
        SchedulingPlan plan = Planner.plan(snapshot(group("fifo", Map.of()), List.of(
                retried(session("retried", 200, slots("cuda.device", 1)), 5),
                session("urgent", "owner", 10, slots("cuda.device", 1), Map.of("priority", 50))), List.of(one)));
        assertThat(placed(plan)).containsExactly("urgent");
    }

    @Test
    void thePendingTimeoutCountsFromTheRequeue() {
        var group = group("fifo", Map.of("pending_timeout", "5m"));
        Session justRequeued = retried(session("fresh", 3600, slots("cuda.device", 1)), 60);
        Session longAgo = retried(session("stale", 3600, slots("cuda.device", 1)), 600);
        assertThat(PendingTimeoutSweep.expired(group, List.of(justRequeued, longAgo), NOW)).extracting(Session::id).containsExactly("stale");
    }
}
