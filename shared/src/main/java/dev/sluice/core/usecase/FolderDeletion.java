package dev.sluice.core.usecase;

import dev.sluice.core.json.JsonObject;
import dev.sluice.core.folder.Folder;
import dev.sluice.core.folder.FolderStatus;
import dev.sluice.core.port.FolderEvents;
import dev.sluice.core.port.FolderStorage;
import dev.sluice.core.port.FolderStore;
import dev.sluice.core.port.IdGenerator;
import dev.sluice.core.port.TaskStore;
import dev.sluice.core.task.BackgroundTask;
import dev.sluice.core.task.TaskPhase;
import dev.sluice.core.task.TaskProgress;
import dev.sluice.core.task.TaskStatus;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;

/**
 * Removing a deleted folder's data, a page (up to 1,000 objects) at a time within a budget, so that no folder is ever
 * left half-deleted by a request that ran out of time.
 *
 * <p>The API removes what fits in its budget; a folder that empties in it ends delete-complete at once. A bigger one
 * stays delete-ongoing and becomes a background task (kind {@value #KIND}): the task's first event starts the deletion
 * worker, which continues within its own budget, and the sweep continues any deletion whose task has not moved for
 * {@link #STALE} (a worker that died or ran out of time). Deleting objects is idempotent, so two workers on one folder
 * only waste requests; every ending is a conditional write. A storage failure leaves the folder delete-error and the
 * task failed; a second delete starts over.
 */
public final class FolderDeletion {
    public static final String KIND = "folder-delete";
    /** A deletion task whose progress has not moved for this long is continued by the sweep. */
    public static final Duration STALE = Duration.ofMinutes(2);
    /** Progress is written to the task every this many pages (and when a budget ends). */
    static final int PAGES_PER_WRITE = 10;

    /** How much one caller may do: pages of up to 1,000 objects, and time. */
    public record Budget(int pages, Duration time) {
        public Budget {
            if (pages < 1 || time.isNegative() || time.isZero()) {
                throw new IllegalArgumentException("a deletion budget needs at least one page and some time");
            }
        }
    }

    /** What the API's part of a deletion came to: the folder, and the task that goes on when it did not finish. */
    public record Started(Folder folder, Optional<BackgroundTask> task) {
    }

    /** What a worker's part came to: removed objects, and whether the deletion ended (either way) or goes on. */
    public record Continued(String taskId, long removed, boolean ended) {
    }

    private final FolderStore folders;
    private final TaskStore tasks;
    private final FolderStorage storage;
    private final FolderEvents events;
    private final IdGenerator ids;
    private final Clock clock;

    public FolderDeletion(FolderStore folders, TaskStore tasks, FolderStorage storage, FolderEvents events, IdGenerator ids, Clock clock) {
        this.folders = folders;
        this.tasks = tasks;
        this.storage = storage;
        this.events = events;
        this.ids = ids;
        this.clock = clock;
    }

    /**
     * The API's part, for a folder it has just moved to delete-ongoing. The task is written first, so a request that
     * dies halfway (a Lambda timeout) leaves a task the sweep continues; it is announced only when the deletion goes on
     * in the background (its first event carries the request's progress and starts the worker).
     */
    public Started start(Folder ongoing, Budget budget) {
        Instant begun = clock.instant();
        BackgroundTask task = new BackgroundTask("del-" + ids.newId(), KIND, ongoing.owner(), TaskStatus.STARTED,
                new TaskProgress(0, 0, 0, 0, TaskPhase.REMOVING, "removing objects", 0), begun, begun,
                Optional.empty(), JsonObject.of("folder_id", ongoing.id(), "folder", ongoing.name()), Optional.empty(), 1);
        if (!tasks.create(task)) {
            throw new IllegalStateException("task id " + task.id() + " is taken");
        }
        Instant deadline = begun.plus(budget.time());
        long removed = 0;
        int pages = 0;
        // Only full pages count: a short one means the next listing is most likely empty, which ends it here.
        while (pages < budget.pages() && !clock.instant().isAfter(deadline)) {
            int n = deletePage(ongoing, task.id());
            if (n == 0) {
                Folder done = complete(ongoing, task.id(), removed);
                return new Started(done, Optional.empty());
            }
            removed += n;
            if (n >= FolderStorage.DELETE_PAGE) {
                pages++;
            }
        }
        // The request's last word, sequence 2 either way: it is what the rule starting the worker matches.
        if (removed == 0) {
            tasks.setPhase(task.id(), TaskPhase.REMOVING, "removing objects in the background", 0, 0, clock.instant())
                    .ifPresent(t -> events.taskUpdated(t, "updated"));
        } else {
            writeProgress(task.id(), removed, "removing objects in the background");
        }
        return new Started(ongoing, Optional.of(tasks.find(task.id()).orElse(task)));
    }

    /**
     * A worker's part: continues the deletion of this task's folder within the budget, once it has claimed the task
     * (a conditional write on the time of its last change): a second worker — a duplicated event, an overlapping
     * sweep — finds the claim taken and leaves.
     */
    public Continued resume(String taskId, Budget budget) {
        return resume(taskId, budget, Optional.empty());
    }

    /**
     * As {@link #resume(String, Budget)}, for the worker started by the task's event of sequence {@code announced}: if
     * the task has moved since (another worker claimed it: a claim adds to the sequence), this event is stale.
     */
    public Continued resume(String taskId, Budget budget, Optional<Long> announced) {
        BackgroundTask seen = tasks.find(taskId).orElseThrow(() -> new IllegalArgumentException("no task " + taskId));
        if (!KIND.equals(seen.kind()) || seen.status().isFinal()) {
            return new Continued(taskId, 0, true);
        }
        if (announced.isPresent() && seen.sequence() != announced.get()) {
            return new Continued(taskId, 0, false);
        }
        Optional<BackgroundTask> claimed = tasks.claim(taskId, seen.updatedAt(), clock.instant());
        if (claimed.isEmpty()) {
            return new Continued(taskId, 0, false);
        }
        BackgroundTask task = claimed.get();
        String folderId = task.result().text("folder_id").orElse(null);
        String name = task.result().text("folder").orElse(null);
        Optional<Folder> found = folders.find(task.owner(), name).filter(f -> f.id().equals(folderId));
        if (found.isEmpty() || found.get().status() != FolderStatus.DELETE_ONGOING) {
            // Another worker finished it, or the record moved on: end the task to match.
            boolean complete = found.isPresent() && found.get().status() == FolderStatus.DELETE_COMPLETE;
            tasks.finish(taskId, complete ? TaskStatus.DONE : TaskStatus.FAILED, JsonObject.EMPTY,
                    complete ? Optional.empty() : Optional.of("the folder is " + found.map(f -> f.status().wireName()).orElse("gone")),
                    clock.instant()).ifPresent(t -> events.taskUpdated(t, complete ? "done" : "failed"));
            return new Continued(taskId, 0, true);
        }
        Folder folder = found.get();
        Instant deadline = clock.instant().plus(budget.time());
        long removed = 0;
        long unwritten = 0;
        int pages = 0;
        while (pages < budget.pages() && !clock.instant().isAfter(deadline)) {
            int n;
            try {
                n = deletePage(folder, taskId);
            } catch (StorageFailed e) {
                return new Continued(taskId, removed, true);
            }
            if (n == 0) {
                writeProgress(taskId, unwritten, "removing objects");
                Folder done;
                try {
                    done = complete(folder, taskId, removed);
                } catch (StorageFailed e) {
                    return new Continued(taskId, removed, true);
                }
                return new Continued(taskId, removed, done.status() == FolderStatus.DELETE_COMPLETE);
            }
            removed += n;
            unwritten += n;
            if (n >= FolderStorage.DELETE_PAGE) {
                pages++;
            }
            if (unwritten >= PAGES_PER_WRITE * (long) FolderStorage.DELETE_PAGE) {
                writeProgress(taskId, unwritten, "removing objects");
                unwritten = 0;
            }
        }
        writeProgress(taskId, unwritten, "removing objects");
        return new Continued(taskId, removed, false);
    }

    /**
     * The sweep's part: deletions whose task has not moved for {@link #STALE} (a worker that died or ran out of time, a
     * request cut short), continued one after the other while the budget's time lasts (each gets what is left of it).
     */
    public List<Continued> sweep(Budget total, int limit) {
        Instant start = clock.instant();
        Instant deadline = start.plus(total.time());
        Instant staleBefore = start.minus(STALE);
        List<Continued> out = new java.util.ArrayList<>();
        for (BackgroundTask t : tasks.runningSince(KIND, staleBefore, limit)) {
            Duration left = Duration.between(clock.instant(), deadline);
            if (left.isNegative() || left.isZero()) {
                break;
            }
            if (t.updatedAt().isBefore(staleBefore)) {
                out.add(resume(t.id(), new Budget(total.pages(), left), Optional.empty()));
            }
        }
        return out;
    }

    /** A storage failure, already recorded: the folder is delete-error and the task failed. */
    static final class StorageFailed extends RuntimeException {
        StorageFailed(RuntimeException cause) {
            super(cause.getMessage(), cause);
        }
    }

    /** One page removed; a storage failure ends the deletion (delete-error, task failed) and is thrown as such. */
    private int deletePage(Folder folder, String taskId) {
        try {
            return storage.deletePage(folder.prefix());
        } catch (RuntimeException e) {
            fail(folder, taskId, e);
            throw new StorageFailed(e);
        }
    }

    /** Adds removed objects to the task; a write that meets another worker's is read again and added on top. */
    private void writeProgress(String taskId, long objects, String message) {
        if (objects == 0) {
            return;
        }
        for (int attempt = 0; attempt < 5; attempt++) {
            BackgroundTask t = tasks.find(taskId).orElseThrow();
            TaskStore.PageOutcome outcome = tasks.addPage(taskId, t.progress().pagesDone(), objects, 0, TaskPhase.REMOVING, message,
                    clock.instant());
            if (outcome instanceof TaskStore.PageOutcome.Counted counted) {
                events.taskUpdated(counted.task(), "updated");
                return;
            }
            if (outcome instanceof TaskStore.PageOutcome.Ended) {
                return;
            }
        }
    }

    /** The prefix is empty: unfinished uploads aborted, the folder delete-complete, the task done. */
    private Folder complete(Folder ongoing, String taskId, long removed) {
        try {
            storage.abortUploads(ongoing.prefix());
        } catch (RuntimeException e) {
            fail(ongoing, taskId, e);
            throw new StorageFailed(e);
        }
        Optional<Folder> done = folders.transition(ongoing.owner(), ongoing.name(), ongoing.id(), EnumSet.of(FolderStatus.DELETE_ONGOING),
                FolderStatus.DELETE_COMPLETE, "objects removed", clock.instant());
        done.ifPresent(f -> events.folderStatusChanged(f, Optional.of(FolderStatus.DELETE_ONGOING)));
        BackgroundTask current = tasks.find(taskId).orElseThrow();
        tasks.finish(taskId, TaskStatus.DONE, JsonObject.builder().put("folder_id", ongoing.id()).put("folder", ongoing.name())
                        .put("objects_removed", current.progress().objectsDone() + (current.progress().pagesDone() == 0 ? removed : 0)).build(),
                Optional.empty(), clock.instant()).ifPresent(t -> events.taskUpdated(t, "done"));
        // Empty: another worker completed it first (or it moved on); the caller reads it again.
        return done.orElseGet(() -> folders.find(ongoing.owner(), ongoing.name()).orElse(ongoing));
    }

    private void fail(Folder ongoing, String taskId, RuntimeException cause) {
        folders.transition(ongoing.owner(), ongoing.name(), ongoing.id(), EnumSet.of(FolderStatus.DELETE_ONGOING), FolderStatus.DELETE_ERROR,
                        "objects could not be removed", clock.instant())
                .ifPresent(f -> events.folderStatusChanged(f, Optional.of(FolderStatus.DELETE_ONGOING)));
        tasks.finish(taskId, TaskStatus.FAILED, JsonObject.EMPTY, Optional.of("objects could not be removed: " + cause.getMessage()), clock.instant())
                .ifPresent(t -> events.taskUpdated(t, "failed"));
    }
}
