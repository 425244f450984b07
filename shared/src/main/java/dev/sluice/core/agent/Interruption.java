package dev.sluice.core.agent;

import dev.sluice.protocol.AgentInterruption;
import java.time.Instant;
import java.util.Optional;

/**
 * What the control plane recorded about an agent's instance going away: an {@code EC2 Spot Instance Interruption
 * Warning} (the instance goes at {@code deadline}, the event's time plus two minutes) or an {@code EC2 Instance
 * Rebalance Recommendation} (it may go soon: no deadline; the agent is only drained). Either drains the agent; only a
 * deadline is told to the agent ({@link AgentInterruption}).
 *
 * @param source     {@link AgentInterruption#SOURCE_WARNING} or {@link AgentInterruption#SOURCE_REBALANCE}
 * @param deadline   when the instance goes (a warning only)
 * @param noticedAt  the event's time
 */
public record Interruption(String source, Optional<Instant> deadline, Instant noticedAt) {
    public Interruption {
        java.util.Objects.requireNonNull(source, "source");
        deadline = deadline == null ? Optional.empty() : deadline;
        java.util.Objects.requireNonNull(noticedAt, "noticedAt");
    }

    /** The warning EventBridge sends two minutes before a spot instance is reclaimed. */
    public static Interruption warning(Instant eventTime) {
        return new Interruption(AgentInterruption.SOURCE_WARNING, Optional.of(eventTime.plus(AgentInterruption.WARNING_LEAD)), eventTime);
    }

    /** A rebalance recommendation: drain only, no deadline. */
    public static Interruption rebalance(Instant eventTime) {
        return new Interruption(AgentInterruption.SOURCE_REBALANCE, Optional.empty(), eventTime);
    }

    /** What the agent is told in its heartbeat answer: only an interruption with a deadline. */
    public Optional<AgentInterruption.Notice> notice() {
        return deadline.map(d -> new AgentInterruption.Notice(d, source));
    }

    /** The EventBridge detail-types this reads (source {@code aws.ec2}). */
    public static final String WARNING_DETAIL_TYPE = "EC2 Spot Instance Interruption Warning";
    public static final String REBALANCE_DETAIL_TYPE = "EC2 Instance Rebalance Recommendation";

    /** An instance and what was recorded about it. */
    public record ForInstance(String instanceId, Interruption interruption) {
    }

    /**
     * Reads an EventBridge event as AWS sends it (its {@code source}, {@code detail-type}, {@code time} and
     * {@code detail["instance-id"]}, each null when absent): source {@code aws.ec2}, detail-type
     * {@value #WARNING_DETAIL_TYPE} or {@value #REBALANCE_DETAIL_TYPE}. Anything else (another source or type, no
     * instance id, an unreadable time) is no interruption: empty, with the reason in {@code why}.
     */
    public static Optional<ForInstance> fromEvent(String source, String detailType, String time, String instanceId,
                                                  java.util.function.Consumer<String> why) {
        if (!"aws.ec2".equals(source) || !(WARNING_DETAIL_TYPE.equals(detailType) || REBALANCE_DETAIL_TYPE.equals(detailType))) {
            why.accept("not an EC2 interruption event (source " + source + ", detail-type " + detailType + ")");
            return Optional.empty();
        }
        if (instanceId == null || instanceId.isBlank()) {
            why.accept("the event's detail names no instance-id");
            return Optional.empty();
        }
        Instant at;
        try {
            at = Instant.parse(String.valueOf(time));
        } catch (java.time.format.DateTimeParseException e) {
            why.accept("the event's time is not an ISO-8601 instant: " + time);
            return Optional.empty();
        }
        return Optional.of(new ForInstance(instanceId, WARNING_DETAIL_TYPE.equals(detailType) ? warning(at) : rebalance(at)));
    }
}
