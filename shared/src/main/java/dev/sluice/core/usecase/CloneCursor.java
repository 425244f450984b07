package dev.sluice.core.usecase;

import java.util.Optional;

/**
 * Where a clone's copy stands: the listing's continuation token, pages done in all, pages done by this execution
 * (bounded, so its history stays small), and whether more pages remain.
 */
public record CloneCursor(Optional<String> token, long pagesDone, long pagesHere, boolean hasMore) {
    public static final CloneCursor START = new CloneCursor(Optional.empty(), 0, 0, true);
}
