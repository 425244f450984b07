package dev.sluice.core.usecase;

import dev.sluice.core.auth.Principal;
import dev.sluice.core.error.DomainException;
import dev.sluice.core.error.ErrorCode;
import dev.sluice.core.port.CloneWorkflow;
import dev.sluice.core.port.FolderEvents;
import dev.sluice.core.port.FolderStorage;
import dev.sluice.core.port.FolderStore;
import dev.sluice.core.port.TaskStore;
import dev.sluice.core.task.BackgroundTask;
import dev.sluice.core.task.TaskStatus;
import java.time.Clock;
import java.util.List;
import java.util.Optional;

/** Reading and cancelling background tasks; a user sees only their own (others' are 404). */
public final class TaskService {
    private final TaskStore tasks;
    private final FolderStore folders;
    private final FolderStorage storage;
    private final CloneWorkflow workflow;
    private final FolderEvents events;
    private final Clock clock;

    public TaskService(TaskStore tasks, FolderStore folders, FolderStorage storage, CloneWorkflow workflow, FolderEvents events, Clock clock) {
        this.tasks = tasks;
        this.folders = folders;
        this.storage = storage;
        this.workflow = workflow;
        this.events = events;
        this.clock = clock;
    }

    private static final java.util.regex.Pattern TASK_ID = java.util.regex.Pattern.compile("[A-Za-z0-9-]{1,64}");

    public BackgroundTask get(Principal caller, String id) {
        if (!TASK_ID.matcher(id).matches()) {
            throw DomainException.notFound("task " + id);
        }
        return tasks.find(id).filter(t -> t.owner().equals(caller.subject()) || caller.isAdmin())
                .orElseThrow(() -> DomainException.notFound("task " + id));
    }

    public List<BackgroundTask> list(Principal caller, int limit) {
        return tasks.list(caller.subject(), limit);
    }

    /**
     * Cancels a running task: the task becomes cancelled (conditionally, so a task that just finished stays finished),
     * its execution is stopped, and the clone is undone as for a failure.
     */
    public BackgroundTask cancel(Principal caller, String id) {
        BackgroundTask task = get(caller, id);
        if (task.status().isFinal()) {
            throw new DomainException(ErrorCode.CONFLICT, "id", "The task with id " + id + " has already ended (" + task.status().wireName() + ").");
        }
        if (FolderDeletion.KIND.equals(task.kind())) {
            throw new DomainException(ErrorCode.CONFLICT, "id", "The task with id " + id + " is a folder deletion, which cannot be cancelled: part of its data is already removed.");
        }
        BackgroundTask cancelled = tasks.finish(id, TaskStatus.CANCELLED, dev.sluice.core.json.JsonObject.EMPTY, Optional.of("cancelled by the user"), clock.instant())
                .orElseThrow(() -> new DomainException(ErrorCode.CONFLICT, "id",
                        "The task with id " + id + " has already ended (" + get(caller, id).status().wireName() + ")."));
        tasks.execution(id).ifPresent(arn -> workflow.stop(arn, "cancelled by the user"));
        if (BackgroundTask.KIND_CLONE.equals(task.kind())) {
            new CloneCleanup(folders, tasks, storage, events, clock).undoFolders(CloneJob.of(task), "cancelled");
        }
        events.taskUpdated(cancelled, "cancelled");
        return cancelled;
    }
}
