package dev.sluice.core.usecase;

import dev.sluice.core.json.JsonObject;
import dev.sluice.core.auth.Principal;
import dev.sluice.core.error.DomainException;
import dev.sluice.core.error.ErrorCode;
import dev.sluice.core.folder.CloneRequest;
import dev.sluice.core.folder.Folder;
import dev.sluice.core.folder.FolderStatus;
import dev.sluice.core.port.CloneWorkflow;
import dev.sluice.core.port.FolderEvents;
import dev.sluice.core.port.FolderStorage;
import dev.sluice.core.port.FolderStore;
import dev.sluice.core.port.IdGenerator;
import dev.sluice.core.port.TaskStore;
import dev.sluice.core.task.BackgroundTask;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;

/** Starting the clone of a folder; the copy itself is {@link CloneSteps}, run by the clone workflow. */
public final class FolderClones {
    private final FolderCatalog catalog;
    private final FolderStore folders;
    private final TaskStore tasks;
    private final FolderStorage storage;
    private final CloneWorkflow workflow;
    private final FolderEvents events;
    private final IdGenerator ids;
    private final Clock clock;
    private final CloneSettings settings;

    public FolderClones(FolderCatalog catalog, FolderStore folders, TaskStore tasks, FolderStorage storage, CloneWorkflow workflow,
                        FolderEvents events, IdGenerator ids, Clock clock, CloneSettings settings) {
        this.catalog = catalog;
        this.folders = folders;
        this.tasks = tasks;
        this.storage = storage;
        this.workflow = workflow;
        this.events = events;
        this.ids = ids;
        this.clock = clock;
        this.settings = settings;
    }

    /** The answer to a clone request: the target as created and the task doing the copy. */
    public record CloneStarted(Folder target, BackgroundTask task) {
    }

    /**
     * Starts a clone: the checks of REFERENCE §6, one conditional write (target {@code cloning}, source
     * {@code performing}, task {@code started}), then the background execution. Returns at once.
     */
    public CloneStarted clone(Principal caller, String sourceName, CloneRequest request) {
        Folder source = get(caller, sourceName);
        if (!source.cloneable()) {
            throw DomainException.invalidBecause("name", "The folder named '" + sourceName + "' is not cloneable.");
        }
        if (source.status() != FolderStatus.READY) {
            throw notReady(source);
        }
        Instant now = clock.instant();
        Folder target = Folder.create(ids.newId(), caller.subject(), request.targetSpec(source), FolderStatus.CLONING,
                "cloning from '" + source.name() + "'", now);
        String taskId = ids.newId();
        JsonObject refs = JsonObject.builder().put("source_id", source.id()).put("source_name", source.name())
                .put("target_id", target.id()).put("target_name", target.name()).build();
        BackgroundTask task = BackgroundTask.started(taskId, BackgroundTask.KIND_CLONE, caller.subject(), refs, now);
        switch (folders.startClone(source, target, task)) {
            case TARGET_NAME_TAKEN:
                throw new DomainException(ErrorCode.CONFLICT, "target_name", "You already have a folder named '" + target.name() + "'; choose another target_name.");
            case SOURCE_NOT_READY:
                throw notReady(get(caller, sourceName));
            default:
                break;
        }
        events.folderStatusChanged(target, Optional.empty());
        events.folderStatusChanged(source.withStatus(FolderStatus.PERFORMING, "cloning to '" + target.name() + "'", now),
                Optional.of(FolderStatus.READY));
        events.taskUpdated(task, "updated");
        CloneJob job = new CloneJob(taskId, caller.subject(), source.id(), source.name(), target.id(), target.name());
        try {
            String execution = workflow.start(CloneJob.executionName(taskId, 0), CloneState.first(job, settings));
            tasks.setExecution(taskId, execution);
        } catch (RuntimeException e) {
            new CloneCleanup(folders, tasks, storage, events, clock).run(job, "the clone could not be started");
            throw e;
        }
        return new CloneStarted(target, task);
    }

    private Folder get(Principal caller, String name) {
        return catalog.get(caller, name);
    }

    private static DomainException notReady(Folder folder) {
        return FolderCatalog.notReady(folder);
    }
}
