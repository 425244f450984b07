package dev.sluice.core.group;

import java.util.Locale;
import java.util.Optional;

/** How the scheduler picks among the agents that fit a session. */
public enum AgentSelectionStrategy {
    DISPERSED, CONCENTRATED, ROUNDROBIN, LEGACY;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<AgentSelectionStrategy> fromWire(String value) {
        for (AgentSelectionStrategy s : values()) {
            if (s.wireName().equals(value)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }
}
