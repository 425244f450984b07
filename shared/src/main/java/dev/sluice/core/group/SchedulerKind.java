package dev.sluice.core.group;

import java.util.Locale;
import java.util.Optional;

/** The order in which a resource group's pending sessions are considered. */
public enum SchedulerKind {
    FIFO, LIFO, DRF;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<SchedulerKind> fromWire(String value) {
        for (SchedulerKind k : values()) {
            if (k.wireName().equals(value)) {
                return Optional.of(k);
            }
        }
        return Optional.empty();
    }
}
