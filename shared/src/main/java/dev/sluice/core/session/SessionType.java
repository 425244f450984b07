package dev.sluice.core.session;

import java.util.Locale;
import java.util.Optional;

/** The kinds of session a user can ask for (REFERENCE §2). */
public enum SessionType {
    INTERACTIVE, BATCH, INFERENCE;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<SessionType> fromWire(String value) {
        for (SessionType t : values()) {
            if (t.wireName().equals(value)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }
}
