package dev.sluice.core.port;

import java.util.Optional;

/** The last lines of each session's output, as its agent uploads them. */
public interface SessionLogs {
    void put(String sessionId, String text);

    Optional<String> get(String sessionId);
}
