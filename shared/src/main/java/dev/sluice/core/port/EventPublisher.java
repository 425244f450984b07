package dev.sluice.core.port;

import dev.sluice.core.session.SessionStatusChanged;

/** Publishes state changes for everyone who follows them (webhooks, the scheduler, the CLI). */
public interface EventPublisher {
    void publish(SessionStatusChanged event);
}
