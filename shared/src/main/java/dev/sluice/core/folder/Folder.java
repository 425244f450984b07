package dev.sluice.core.folder;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A virtual folder: its record in the folders table; the data lives in the folder bucket under {@link #prefix()}.
 * The prefix is keyed by id, so a rename moves no data.
 */
public record Folder(String id, String name, String host, String owner, UsageMode usageMode, FolderPermission permission,
                     boolean cloneable, FolderStatus status, List<FolderStatusChange> statusHistory, Instant createdAt) {
    public Folder {
        statusHistory = List.copyOf(statusHistory);
    }

    public static Folder create(String id, String owner, FolderSpec spec, FolderStatus initial, String reason, Instant now) {
        return new Folder(id, spec.name(), spec.host(), owner, spec.usageMode(), spec.permission(), spec.cloneable(), initial,
                List.of(new FolderStatusChange(initial, now, reason)), now);
    }

    /** Where the folder's objects live in the bucket. */
    public String prefix() {
        return prefixOf(id);
    }

    public static String prefixOf(String folderId) {
        return "folders/" + folderId + "/";
    }

    public Folder withStatus(FolderStatus next, String reason, Instant at) {
        List<FolderStatusChange> history = new ArrayList<>(statusHistory);
        history.add(new FolderStatusChange(next, at, reason));
        return new Folder(id, name, host, owner, usageMode, permission, cloneable, next, history, createdAt);
    }

    public Folder withName(String newName) {
        return new Folder(id, newName, host, owner, usageMode, permission, cloneable, status, statusHistory, createdAt);
    }
}
