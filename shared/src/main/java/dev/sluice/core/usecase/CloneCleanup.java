package dev.sluice.core.usecase;

import dev.sluice.core.folder.FolderStatus;
import dev.sluice.core.port.FolderEvents;
import dev.sluice.core.port.FolderStorage;
import dev.sluice.core.port.FolderStore;
import dev.sluice.core.port.TaskStore;
import dev.sluice.core.task.TaskStatus;
import java.time.Clock;
import java.util.EnumSet;
import java.util.Optional;

/**
 * What a failed or cancelled clone leaves behind, undone: the target's partial data removed and the target
 * {@code error}, the source back to {@code ready}, the task {@code failed} (unless it was cancelled). Every step is
 * conditional, so running it twice, or after a cancel did it, changes nothing more.
 */
final class CloneCleanup {
    private final FolderStore folders;
    private final TaskStore tasks;
    private final FolderStorage storage;
    private final FolderEvents events;
    private final Clock clock;

    CloneCleanup(FolderStore folders, TaskStore tasks, FolderStorage storage, FolderEvents events, Clock clock) {
        this.folders = folders;
        this.tasks = tasks;
        this.storage = storage;
        this.events = events;
        this.clock = clock;
    }

    /** The folders first, the task last: whoever sees the task failed sees the folders settled. */
    void run(CloneJob job, String reason) {
        undoFolders(job, reason);
        tasks.finish(job.taskId(), TaskStatus.FAILED, dev.sluice.core.json.JsonObject.EMPTY, Optional.of(reason), clock.instant())
                .ifPresent(t -> events.taskUpdated(t, "failed"));
    }

    /** The folders' half: data removed, target error, source ready. */
    void undoFolders(CloneJob job, String reason) {
        storage.deletePrefix(dev.sluice.core.folder.Folder.prefixOf(job.targetId()));
        folders.transition(job.owner(), job.targetName(), job.targetId(), EnumSet.of(FolderStatus.CLONING), FolderStatus.ERROR,
                "clone failed: " + reason, clock.instant()).ifPresent(f -> events.folderStatusChanged(f, Optional.of(FolderStatus.CLONING)));
        folders.transition(job.owner(), job.sourceName(), job.sourceId(), EnumSet.of(FolderStatus.PERFORMING), FolderStatus.READY,
                "clone to '" + job.targetName() + "' ended", clock.instant())
                .ifPresent(f -> events.folderStatusChanged(f, Optional.of(FolderStatus.PERFORMING)));
    }
}
