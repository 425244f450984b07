package dev.sluice.core.port;

import dev.sluice.core.folder.Folder;
import dev.sluice.core.folder.FolderStatus;
import dev.sluice.core.task.BackgroundTask;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** Folder records, one per owner and name; every status change conditional on the status it leaves. */
public interface FolderStore {
    Optional<Folder> find(String owner, String name);

    /** The owner's folders, by name. */
    List<Folder> list(String owner);

    /** Stores a new folder; false when the owner already has a live folder of that name. */
    boolean create(Folder folder);

    /**
     * Moves the folder with this id (under this owner and name) to {@code to}, only if its status is one of {@code from};
     * the updated folder, or empty when the condition did not hold (or the folder is gone).
     */
    Optional<Folder> transition(String owner, String name, String folderId, Set<FolderStatus> from, FolderStatus to, String reason,
                                Instant at);

    /** Renames a ready folder in one transaction; the outcome says which condition failed. */
    RenameOutcome rename(Folder folder, String newName, Instant at);

    enum RenameOutcome { RENAMED, NAME_TAKEN, NOT_READY }

    /**
     * The one short write that starts a clone: the target created ({@code cloning}), the source marked {@code performing}
     * (only if ready and cloneable), the task stored. Nothing is written unless all three hold.
     */
    CloneStart startClone(Folder source, Folder target, BackgroundTask task);

    enum CloneStart { STARTED, TARGET_NAME_TAKEN, SOURCE_NOT_READY }

    /**
     * Claims {@code path} of the folder {@code folderId} as a file, and each of its parent directories as a directory,
     * in one conditional write, until {@code until}: false (nothing written) when another claim still live at
     * {@code now} holds one of them as the other kind ({@code a} as a file while {@code a/b} is uploaded, or the
     * reverse). Of two racing uploads of {@code a} and {@code a/b}, exactly one gets its claim. At most
     * {@link #MAX_CLAIM_DEPTH} directories deep.
     */
    boolean claimFile(String folderId, String path, Instant until, Instant now);

    /** The deepest path a claim takes: the file and its directories are one transaction of at most 100 items. */
    int MAX_CLAIM_DEPTH = 99;
}
