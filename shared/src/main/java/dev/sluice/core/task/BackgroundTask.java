package dev.sluice.core.task;

import dev.sluice.core.json.JsonObject;
import java.time.Instant;
import java.util.Optional;

/**
 * Long work the API answered at once for: id, kind, owner, status, progress, timestamps, and a result or an error.
 * {@code sequence} grows with every update, so a follower can tell a new state from one it has seen. The result is
 * open JSON by contract (each kind has its own: a clone's folders and counts, a deletion's folder and objects removed).
 */
public record BackgroundTask(String id, String kind, String owner, TaskStatus status, TaskProgress progress, Instant createdAt,
                             Instant updatedAt, Optional<Instant> finishedAt, JsonObject result, Optional<String> error,
                             long sequence) {
    public static final String KIND_CLONE = "folder-clone";

    public BackgroundTask {
        java.util.Objects.requireNonNull(result, "result");
    }

    public static BackgroundTask started(String id, String kind, String owner, JsonObject result, Instant now) {
        return new BackgroundTask(id, kind, owner, TaskStatus.STARTED, TaskProgress.preparing(), now, now, Optional.empty(),
                result, Optional.empty(), 1);
    }
}
