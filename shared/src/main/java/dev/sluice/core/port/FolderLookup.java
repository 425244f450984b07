package dev.sluice.core.port;

import dev.sluice.core.folder.Folder;
import java.util.Optional;

/** Finds a user's folder by name, for the mounts of a session being created. */
@FunctionalInterface
public interface FolderLookup {
    Optional<Folder> find(String owner, String name);

    /** No folders at all: every mount is refused. */
    FolderLookup NONE = (owner, name) -> Optional.empty();
}
