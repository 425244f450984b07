package dev.sluice.core.port;

import dev.sluice.core.folder.Folder;
import dev.sluice.core.folder.FolderStatus;
import dev.sluice.core.task.BackgroundTask;
import java.util.Optional;

/** Publishes folder status changes and background-task updates on the bus. */
public interface FolderEvents {
    void folderStatusChanged(Folder folder, Optional<FolderStatus> previous);

    /** {@code kind}: updated, done, failed or cancelled. */
    void taskUpdated(BackgroundTask task, String kind);
}
