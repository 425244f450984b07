package dev.sluice.adapters;

import dev.sluice.core.port.CloneWorkflow;
import dev.sluice.core.port.FolderEvents;
import dev.sluice.core.port.FolderStorage;
import dev.sluice.core.port.FolderStore;
import dev.sluice.core.port.FolderUsers;
import dev.sluice.core.port.TaskStore;
import dev.sluice.core.usecase.CloneSettings;
import dev.sluice.core.usecase.CloneSteps;
import dev.sluice.core.usecase.FolderDeletion;
import dev.sluice.core.usecase.FolderCatalog;
import dev.sluice.core.usecase.FolderClones;
import dev.sluice.core.usecase.FolderFiles;
import dev.sluice.core.usecase.TaskService;
import java.time.Clock;

/**
 * Folders, clones and background tasks, as the wiring root ({@link Wiring}) built them from a function's environment ({@code FOLDERS_TABLE},
 * {@code TASKS_TABLE}, {@code FOLDER_BUCKET}, {@code CLONE_STATE_MACHINE_ARN}, optional {@code CLONE_PAGE_SIZE},
 * {@code CLONE_PAGES_PER_EXECUTION}, {@code CLONE_MULTIPART_THRESHOLD}, {@code CLONE_COPY_CONCURRENCY},
 * {@code FOLDER_DELETE_REQUEST_PAGES}: pages of 1,000 objects a delete request removes before the rest goes to the
 * background). It reads no environment and makes no clock.
 */
public final class FolderPlane {
    public static final long DEFAULT_MULTIPART_THRESHOLD = 16L * 1024 * 1024;
    public static final long PART_SIZE = 16L * 1024 * 1024;

    private final FolderCatalog catalog;
    private final FolderFiles files;
    private final FolderClones clones;
    private final TaskService tasks;
    private final CloneSteps cloneSteps;
    private final dev.sluice.core.usecase.CloneSweep cloneSweep;
    private final FolderDeletion deletion;
    private final FolderStore folderStore;
    private final TaskStore taskStore;
    private final FolderStorage storage;

    public FolderPlane(FolderStore folderStore, TaskStore taskStore, FolderStorage storage, CloneWorkflow workflow, FolderEvents events,
                       FolderUsers users, Clock clock, dev.sluice.core.port.IdGenerator ids, CloneSettings settings, int copyConcurrency,
                       FolderDeletion.Budget requestDeletionBudget) {
        this.folderStore = folderStore;
        this.taskStore = taskStore;
        this.storage = storage;
        this.catalog = new FolderCatalog(folderStore, taskStore, storage, events, users, ids, clock,
                requestDeletionBudget);
        this.files = new FolderFiles(catalog, storage, settings);
        this.clones = new FolderClones(catalog, folderStore, taskStore, storage, workflow, events, ids, clock,
                settings);
        this.deletion = new FolderDeletion(folderStore, taskStore, storage, events, ids, clock);
        this.tasks = new TaskService(taskStore, folderStore, storage, workflow, events, clock);
        this.cloneSteps = new CloneSteps(folderStore, taskStore, storage, workflow, events, clock, copyConcurrency);
        this.cloneSweep = new dev.sluice.core.usecase.CloneSweep(folderStore, taskStore, storage, workflow, events, clock, settings);
    }

    /** Folders' records: create, list, get, rename, delete. */
    public FolderCatalog catalog() {
        return catalog;
    }

    /** Folders' data: uploads, downloads, listings. */
    public FolderFiles files() {
        return files;
    }

    /** Starting clones. */
    public FolderClones clones() {
        return clones;
    }

    public TaskService tasks() {
        return tasks;
    }

    public CloneSteps cloneSteps() {
        return cloneSteps;
    }

    public dev.sluice.core.usecase.CloneSweep cloneSweep() {
        return cloneSweep;
    }

    public FolderDeletion deletion() {
        return deletion;
    }

    public FolderStore folderStore() {
        return folderStore;
    }

    public TaskStore taskStore() {
        return taskStore;
    }

    public FolderStorage storage() {
        return storage;
    }
}
