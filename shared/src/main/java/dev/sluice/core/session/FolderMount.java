package dev.sluice.core.session;

/**
 * A folder a session mounts, resolved when the session is created: what the agent's creation config needs to mount
 * it (the folder's id and S3 prefix, its permission, and where it appears in the container).
 */
public record FolderMount(String folderId, String name, String prefix, String permission, String mountPath) {
    /** Where a folder is mounted when the request names no path. */
    public static String defaultPath(String folderName) {
        return "/home/work/" + folderName;
    }
}
