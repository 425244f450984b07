package dev.sluice.core.port;

import java.util.List;
import java.util.Optional;

/** One page of a listing, and the opaque cursor of the next page when there is one. */
public record Page<T>(List<T> items, Optional<String> nextCursor) {
    public Page {
        items = List.copyOf(items);
    }

    /**
     * What a store throws for a cursor it did not make or that belongs to another listing; the use case turns it into
     * the 422 naming {@code cursor} (adapters report what they found, the core decides the answer).
     */
    public static final class UnknownCursor extends RuntimeException {
        private final String rule;

        /** {@code rule} completes "cursor ...", e.g. "is not a cursor this API returned". */
        public UnknownCursor(String rule) {
            super("cursor " + rule + ".", null, false, false);
            this.rule = rule;
        }

        public String rule() {
            return rule;
        }
    }
}
