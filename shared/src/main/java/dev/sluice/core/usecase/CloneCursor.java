package dev.sluice.core.usecase;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Where a clone's copy stands: the listing's continuation token, pages done in all, pages done by this execution
 * (bounded, so its history stays small), and whether more pages remain.
 */
public record CloneCursor(Optional<String> token, long pagesDone, long pagesHere, boolean hasMore) {
    public static final CloneCursor START = new CloneCursor(Optional.empty(), 0, 0, true);

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("token", token.orElse(null));
        m.put("pages_done", pagesDone);
        m.put("pages_here", pagesHere);
        m.put("has_more", hasMore);
        return m;
    }

    @SuppressWarnings("unchecked")
    public static CloneCursor fromState(Map<String, Object> state) {
        Map<String, Object> m = (Map<String, Object>) state.get("cursor");
        return new CloneCursor(Optional.ofNullable((String) m.get("token")), ((Number) m.get("pages_done")).longValue(),
                ((Number) m.get("pages_here")).longValue(), Boolean.TRUE.equals(m.get("has_more")));
    }
}
