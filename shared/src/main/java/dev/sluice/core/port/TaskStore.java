package dev.sluice.core.port;

import dev.sluice.core.json.JsonObject;
import dev.sluice.core.task.BackgroundTask;
import dev.sluice.core.task.TaskPhase;
import dev.sluice.core.task.TaskStatus;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Background tasks; progress and endings are conditional on the task still running. */
public interface TaskStore {
    Optional<BackgroundTask> find(String id);

    /** The owner's tasks, newest first, at most {@code limit}. */
    List<BackgroundTask> list(String owner, int limit);

    /** Sets the phase, message and estimates while the task runs; empty when it has ended. */
    Optional<BackgroundTask> setPhase(String id, TaskPhase phase, String message, long objectsTotal, long bytesTotal, Instant at);

    /**
     * Takes a running task for one worker: sets its {@code updatedAt} to {@code now} and adds one to its sequence, only
     * if it is still running and its {@code updatedAt} is still {@code seen}. Empty when another worker changed it first
     * (or it ended).
     */
    Optional<BackgroundTask> claim(String id, Instant seen, Instant now);

    /** Stores a new task; false when one with its id exists. */
    boolean create(BackgroundTask task);

    /** {@link #addPage(String, long, long, long, TaskPhase, String, Instant)} for a clone's copied page. */
    default PageOutcome addPage(String id, long pagesDoneBefore, long objects, long bytes, String message, Instant at) {
        return addPage(id, pagesDoneBefore, objects, bytes, TaskPhase.TRANSFERRING, message, at);
    }

    /**
     * Adds one page of work (in {@code phase}), only if the task still runs and {@code pagesDone} pages were counted before (a retried step
     * counts its page once). Empty when the condition failed; {@code alreadyCounted} tells the two failures apart.
     */
    PageOutcome addPage(String id, long pagesDoneBefore, long objects, long bytes, TaskPhase phase, String message, Instant at);

    sealed interface PageOutcome permits PageOutcome.Counted, PageOutcome.AlreadyCounted, PageOutcome.Ended {
        record Counted(BackgroundTask task) implements PageOutcome { }
        record AlreadyCounted() implements PageOutcome { }
        record Ended(TaskStatus status) implements PageOutcome { }
    }

    /** Ends a running task; empty when it had already ended. */
    Optional<BackgroundTask> finish(String id, TaskStatus status, JsonObject result, Optional<String> error, Instant at);

    /** Records the Step Functions execution now doing the work (it changes when the workflow continues as new). */
    void setExecution(String id, String executionArn);

    Optional<String> execution(String id);

    /** Tasks of a kind still running that started before {@code before} (a sparse index holds only running tasks). */
    List<BackgroundTask> runningSince(String kind, java.time.Instant before, int limit);
}
