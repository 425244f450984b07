package dev.sluice.core.agent;

import dev.sluice.core.session.Session;
import dev.sluice.core.session.SessionChange;
import dev.sluice.protocol.SessionRuntimeFacts;
import dev.sluice.core.session.SessionResult;
import dev.sluice.core.session.SessionRetry;
import dev.sluice.core.session.SessionStatus;
import dev.sluice.core.session.SessionTransitions;
import dev.sluice.core.session.SessionType;
import dev.sluice.core.json.JsonObject;
import dev.sluice.core.session.StatusData;
import java.time.Instant;

/**
 * What an agent's report does to a session (REFERENCE §1–2, §5). Pure: the use case reads the session, asks here,
 * and writes the answer conditionally. A report of the status the session is already in changes nothing, so a retried
 * report is harmless; a report the transition map forbids (the agent says RUNNING, the session was destroyed) is
 * refused with the session's status, and the agent then follows the control plane.
 */
public final class KernelReports {
    private KernelReports() {
    }

    public sealed interface Decision {
        /** Already so: nothing to write. */
        record Unchanged(Session session) implements Decision {
        }

        /** Write {@code next}; {@code releaseSlots} when nothing runs any more although the status still holds slots. */
        record Apply(Session next, boolean releaseSlots) implements Decision {
        }

        /**
         * The status is already so, and the report brings new runtime facts while the workload starts: write them
         * alone ({@link dev.sluice.core.session.SessionChange#runtimeFacts}), with no event of their own.
         */
        record Facts(Session next) implements Decision {
        }

        /** The map forbids it; the agent must follow {@code current}. */
        record Refused(SessionStatus current) implements Decision {
        }
    }

    public static Decision decide(Session current, String agentId, KernelReport report, Instant now) {
        return decide(current, agentId, 0, report, now);
    }

    /**
     * The main kernel (index 0) drives the session's status. A further kernel of a multi-node session only matters
     * when it ends while the session runs: the session is then RUNNING_DEGRADED, naming the kernel.
     */
    public static Decision decide(Session current, String agentId, int kernelIndex, KernelReport report, Instant now) {
        Decision decision = decideStatus(current, agentId, kernelIndex, report, now);
        if (kernelIndex > 0 || report.runtime().isEmpty()) {
            return decision; // the main kernel's agent reports the facts; an agent before them keeps what is stored
        }
        SessionRuntimeFacts facts = report.runtime().get();
        if (decision instanceof Decision.Apply apply) {
            // A status change carries the latest facts with it.
            return new Decision.Apply(apply.next().withRuntime(facts), apply.releaseSlots());
        }
        if (decision instanceof Decision.Unchanged && report.status() == current.status()
                && SessionChange.RUNTIME_FACTS_STATUSES.contains(current.status()) && !facts.equals(current.runtime())) {
            return new Decision.Facts(current.withRuntime(facts));
        }
        return decision;
    }

    private static Decision decideStatus(Session current, String agentId, int kernelIndex, KernelReport report, Instant now) {
        if (kernelIndex > 0) {
            boolean ended = report.status() == SessionStatus.TERMINATED || report.status() == SessionStatus.ERROR;
            if (ended && current.status() == SessionStatus.RUNNING) {
                JsonObject.Builder data = current.statusData().json().toBuilder();
                data.put("degraded_kernel", kernelIndex);
                data.put("degraded_agent", agentId);
                report.exitCode().ifPresent(c -> data.put("degraded_exit_code", c));
                report.message().ifPresent(m -> data.put("message", m));
                return new Decision.Apply(current.transitionTo(SessionStatus.RUNNING_DEGRADED, "kernel-ended", new StatusData(data.build()), now), false);
            }
            return new Decision.Unchanged(current);
        }
        SessionStatus to = report.status();
        if (current.status() == to) {
            return new Decision.Unchanged(current);
        }
        if (current.status() == SessionStatus.PENDING) {
            // Not placed (re-queued by a retry, its kernels dropped): a late end of the earlier attempt is old news.
            return to == SessionStatus.TERMINATED || to == SessionStatus.ERROR
                    ? new Decision.Unchanged(current) : new Decision.Refused(current.status());
        }
        if (current.status().isFinal()) {
            // The session ended first (destroyed with force, cancelled): a late TERMINATED is old news.
            return to == SessionStatus.TERMINATED || to == SessionStatus.ERROR
                    ? new Decision.Unchanged(current) : new Decision.Refused(current.status());
        }
        if (!SessionTransitions.isAllowed(current.status(), to)) {
            return new Decision.Refused(current.status());
        }
        JsonObject.Builder data = JsonObject.builder();
        data.put("agent_id", agentId);
        report.containerId().ifPresent(c -> data.put("container_id", c));
        if (!report.devices().isEmpty()) {
            data.put("devices", report.devices());
        }
        switch (to) {
            case TERMINATED:
                return terminated(current, report, data, now);
            case ERROR: {
                data.put("source", "agent");
                report.message().ifPresent(m -> data.put("message", m));
                report.exitCode().ifPresent(c -> data.put("exit_code", c));
                // A spot interruption's facts (dev.sluice.protocol.AgentInterruption): who warned, the deadline, when
                // the workload was signalled.
                if (!report.interruption().isEmpty()) {
                    data.put("interruption_source", report.interruption().get("source"));
                    data.put("deadline", report.interruption().get("deadline"));
                    data.put("signaled_at", report.interruption().get("signaled_at"));
                }
                String info = report.reason().orElse("failed-to-start");
                Session next = current.transitionTo(SessionStatus.ERROR, info, new StatusData(data.build()), now);
                if (current.spec().type() == SessionType.BATCH) {
                    next = next.withResult(SessionResult.FAILURE);
                }
                // With retry rules: the attempt recorded, or the session re-queued in the same write.
                next = SessionRetry.afterEnd(current, next, now);
                // Nothing runs on the agent: its slots are given back now, not when someone destroys the session.
                return new Decision.Apply(next, true);
            }
            default: {
                String info = to.name().toLowerCase(java.util.Locale.ROOT);
                return new Decision.Apply(current.transitionTo(to, info, new StatusData(data.build()), now), false);
            }
        }
    }

    private static Decision terminated(Session current, KernelReport report, JsonObject.Builder data, Instant now) {
        int exit = report.exitCode().orElse(0);
        data.put("exit_code", exit);
        report.message().ifPresent(m -> data.put("message", m));
        boolean asked = current.status() == SessionStatus.TERMINATING || current.status() == SessionStatus.ERROR;
        String info;
        SessionResult result = current.result();
        if (asked) {
            // Destroyed by a user (or resolved after its agent was lost): the reason given then stands.
            info = current.statusInfo();
        } else if (current.spec().type() == SessionType.BATCH) {
            if (report.reason().filter("task-timeout"::equals).isPresent()) {
                info = "task-timeout";
                result = SessionResult.FAILURE;
            } else if (exit == 0) {
                info = "task-finished";
                result = SessionResult.SUCCESS;
            } else {
                info = "task-failed";
                result = SessionResult.FAILURE;
            }
        } else {
            info = report.reason().orElse("self-terminated");
        }
        StatusData reported = new StatusData(data.build());
        if (asked) {
            reported = reported.withDefaults(current.statusData());
        }
        Session ended = current.transitionTo(SessionStatus.TERMINATED, info, reported, now).withResult(result);
        // With retry rules: the attempt recorded, or the session re-queued in the same write (its slots go back in it).
        return new Decision.Apply(SessionRetry.afterEnd(current, ended, now), false);
    }
}
