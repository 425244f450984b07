package dev.sluice.core.session;

import dev.sluice.core.json.JsonObject;
import java.time.Instant;
import java.util.Optional;

/**
 * What an attempt's end becomes for a session with {@code retry} rules: the end itself, its attempt recorded, or the
 * session re-queued (PENDING, {@code retrying}) when a rule says retry and attempts remain. Pure: every path that ends
 * a running session (the agent's end report in {@code KernelReports}, the lost-agent sweep, a control-plane end such as
 * a spot interruption's) computes its end as before and passes it through {@link #afterEnd}; the caller writes what
 * comes back in the same one conditional change it would have written for the end.
 *
 * <p>Only an attempt that was running on its own (the session in one of {@link SessionTransitions#REQUEUE_FROM}) is
 * judged: a session being destroyed, or already in ERROR, ends as asked. A batch session's success is never retried.
 */
public final class SessionRetry {
    /** The status_info of a re-queued session. */
    public static final String RETRYING = "retrying";

    private SessionRetry() {
    }

    /**
     * Whether the session, running on an instance AWS warned it will interrupt, would be re-queued by its rules when it
     * ends {@code spot-interrupted} (as the agent reports it; an exit-code rule placed before the spot rule is not
     * foreseen): the fleet asks for its replacement capacity at the warning, not only once it is back in the queue.
     */
    public static boolean wouldRetryAfterInterruption(Session s) {
        return s.spec().retry().isPresent() && !s.unreleasedKernels().isEmpty()
                && SessionTransitions.REQUEUE_FROM.contains(s.status())
                && s.spec().retry().get().evaluate(new RetryPolicy.End(SessionStatus.ERROR,
                        dev.sluice.protocol.AgentInterruption.STATUS_INFO, Optional.empty()), s.attempt()).retry();
    }

    /**
     * {@code ended} (computed from {@code before} by an end: ERROR or TERMINATED) as it is to be written: unchanged for
     * a session without rules or never placed; with its attempt appended when the end stands; or {@code before}
     * re-queued after that attempt.
     */
    public static Session afterEnd(Session before, Session ended, Instant now) {
        Optional<RetryPolicy> policy = before.spec().retry();
        if (policy.isEmpty() || before.unreleasedKernels().isEmpty()) {
            return ended; // no rules, or no attempt under way (never placed, or its end was recorded already)
        }
        RetryPolicy.End end = endOf(ended);
        int number = before.attempt();
        RetryPolicy.Verdict verdict;
        if (!SessionTransitions.REQUEUE_FROM.contains(before.status())) {
            verdict = new RetryPolicy.Verdict(false, 0, "ended as asked (" + before.status() + " when it ended): not retried");
        } else if (ended.result() == SessionResult.SUCCESS) {
            verdict = new RetryPolicy.Verdict(false, 0, "succeeded");
        } else {
            verdict = policy.get().evaluate(end, number);
        }
        Attempt attempt = attemptOf(before, ended, number, end, verdict, now);
        if (!verdict.retry()) {
            return ended.withAttempt(attempt);
        }
        String message = "attempt " + number + " ended " + ended.status() + " (" + ended.statusInfo() + end.exitCode()
                .map(c -> ", exit " + c).orElse("") + "); " + verdict.reason();
        StatusData data = new StatusData(JsonObject.builder()
                .put("reason", RETRYING)
                .put("waiting", true)
                .put("message", message)
                .put("attempt", number + 1)
                .put("attempts", policy.get().attempts())
                .put("rule", verdict.rule())
                .put("previous_end", ended.statusInfo())
                .build());
        Session requeued = before.requeuedAfter(attempt, RETRYING, data, now);
        if (requeued.onDemandOnly()) {
            requeued = requeued.withStatusData(RETRYING, new StatusData(data.json().toBuilder().put("on_demand_only", true).build()));
        }
        return requeued;
    }

    /** The end as the rules see it: status, status_info and the exit code the agent reported with it (if any). */
    static RetryPolicy.End endOf(Session ended) {
        Optional<Integer> exit = ended.statusData().json().integer("exit_code").map(Long::intValue);
        return new RetryPolicy.End(ended.status(), ended.statusInfo(), exit);
    }

    private static Attempt attemptOf(Session before, Session ended, int number, RetryPolicy.End end, RetryPolicy.Verdict verdict,
                                     Instant now) {
        String agent = before.kernels().get(0).agentId();
        // This attempt's steps are those since its placement (the last SCHEDULED of the history).
        Optional<Instant> placed = Optional.empty();
        Optional<Instant> started = Optional.empty();
        for (StatusChange c : before.statusHistory()) {
            if (c.status() == SessionStatus.SCHEDULED) {
                placed = Optional.of(c.at());
                started = Optional.empty();
            } else if (c.status() == SessionStatus.RUNNING && started.isEmpty() && placed.isPresent()) {
                started = Optional.of(c.at());
            }
        }
        return new Attempt(number, Optional.of(agent), Attempt.instanceOf(agent), placed, started,
                ended.terminatedAt().orElse(now), ended.status(), ended.statusInfo(), end.exitCode(), verdict.retry(), verdict.reason());
    }
}
