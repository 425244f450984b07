package dev.sluice.core.port;

import dev.sluice.core.session.SessionStatusChanged;

/** Publishes state changes for everyone who follows them (webhooks, the scheduler, the CLI). */
public interface EventPublisher {
    void publish(SessionStatusChanged event);

    /** A resource group was defined, changed or deactivated: its scheduler takes a new look at its queue. */
    void publishGroupChanged(String group, boolean active, java.time.Instant at);

    /** An agent registered, changed capacity, was drained, revived or lost: its group's scheduler takes a new look. */
    void publishAgentChanged(String agentId, String resourceGroup, String reason, java.time.Instant at);

    /** Publishes many events, in as few requests as the bus allows; by default one by one. */
    default void publishAll(java.util.List<SessionStatusChanged> events) {
        events.forEach(this::publish);
    }
}
