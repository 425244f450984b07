package dev.sluice.core.agent;

import java.time.Duration;
import java.time.Instant;

/** When an agent counts as lost: no heartbeat for the timeout (Backend.AI: 20 s interval, 40 s timeout). */
public final class Liveness {
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(20);
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(40);

    private Liveness() {
    }

    public static boolean isOverdue(Agent agent, Instant now, Duration timeout) {
        return agent.status() == AgentStatus.ALIVE && agent.lastHeartbeat() != null
                && agent.lastHeartbeat().plus(timeout).isBefore(now);
    }
}
