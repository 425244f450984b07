package dev.sluice.core.port;

import java.util.List;

/**
 * Which sessions still use a folder: those that mount it and have not ended (TERMINATED, CANCELLED or ERROR). Their
 * agents copy the folder in when they start and save writable ones back when they stop, so the folder must keep its
 * name and data until they end.
 */
@FunctionalInterface
public interface FolderUsers {

    /** Ids of the owner's sessions that mount the folder and have not ended, at most {@code limit} of them. */
    List<String> activeSessionsMounting(String owner, String folderId, int limit);
}
