package dev.sluice.core.port;

import dev.sluice.core.session.SessionStatusChanged;

/** Publishes state changes for everyone who follows them (webhooks, the scheduler, the CLI). */
public interface EventPublisher {
    void publish(SessionStatusChanged event);

    /** Publishes many events, in as few requests as the bus allows; by default one by one. */
    default void publishAll(java.util.List<SessionStatusChanged> events) {
        events.forEach(this::publish);
    }
}
